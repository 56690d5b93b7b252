"""Who hears what, through which channels, and how their addresses are shown.

* The **resident** on the news of their visit and the changes that matter to them
  (``domain/news.py``), summed up per visit (``resident_plan``): through each channel they
  consented to that the deployment offers; when none can reach them, the village Puskesos is
  asked, in its inbox, to tell them in person, and the delivery row says why.
* The **Puskesos operator** of the village, in the inbox, on rejections, expiries and
  escalations (the router marks them: ``escalated``).
* On a late referral (an escalation or an expiry), the **level of the agency's chain** who must
  act now (the router names its audience from the catalogue: an inbox, a named webhook or a work
  e-mail; the regency's Dinas Sosial inbox when it names none), and the **agency** itself, told
  of its own late referral through the webhook it takes new referrals on, else its own audience
  (``late_plan``). A webhook the deployment does not configure is replaced by the inbox.
* The **agency** on each new referral, by its program's webhook, on ``created``: every referral
  has exactly one ``created`` change, while ``delivered`` is skipped when an agency answers before
  the relay's hook runs (see docs/decisions.md).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any, Literal

from rujukan_contracts.events import (
    ContactPoint,
    EscalationAudience,
    ReferralStatusChangedV1,
    escalation_role,
)
from rujukan_contracts.references import referral_reference
from rujukan_notifications.domain.channels import ChannelName, channel_words
from rujukan_notifications.domain.messages import IN_PERSON, NEWS
from rujukan_platform.logging import mask

Audience = Literal["resident", "operator", "supervisor", "agency", "escalation"]
AGENCY_STATUS = "created"


@dataclass(frozen=True, slots=True)
class Planned:
    audience: Audience
    channel: ChannelName
    template: str
    #: where it goes, for operators and agencies (no personal data); ``None`` for residents,
    #: whose contact is read from ``contacts`` when sending
    address: str | None = None
    #: a resident told in person: why no channel reaches them (``Unreachable``)
    unreachable: Unreachable | None = None


@dataclass(frozen=True, slots=True)
class Unreachable:
    """Why a resident is told in person: a machine reason and the same in Bahasa Indonesia."""

    reason: Literal["no_channel_configured", "no_contact", "undeliverable"]
    detail: str


@dataclass(frozen=True, slots=True)
class Routing:
    """What the deployment offers agencies: the names with a webhook (program codes, and the
    names escalation chains use)."""

    agency_programs: frozenset[str] = frozenset()


_NEWS_TEMPLATES = {"email": f"status_{NEWS}", "sms": f"sms_{NEWS}", "whatsapp": f"sms_{NEWS}"}


def resident_plan(
    consented: Sequence[ChannelName] | None,
    offered: Sequence[ChannelName],
    village_code: str,
) -> list[Planned]:
    """How a resident hears one message of news: through each channel they consented to that
    the deployment offers (``consented`` is ``None`` while their contact has not arrived:
    every offered channel, checked when sent). When none can reach them, one delivery to the
    village Puskesos inbox, asking an officer to tell them in person, and saying why."""
    usable = [c for c in offered if consented is None or c in consented]
    if usable:
        return [Planned("resident", c, _NEWS_TEMPLATES[c]) for c in usable]
    if consented == []:
        why = Unreachable(
            "no_contact",
            "Warga setuju diberi kabar, tetapi tidak memberikan alamat e-mail atau nomor telepon.",
        )
    elif consented is None:
        why = Unreachable(
            "no_channel_configured",
            "Sistem ini belum menyediakan saluran pesan untuk warga (e-mail, SMS, WhatsApp).",
        )
    else:
        only = " atau ".join(channel_words(c) for c in consented)
        why = Unreachable(
            "no_channel_configured",
            f"Warga hanya dapat dihubungi lewat {only}, yang belum tersedia di sistem ini.",
        )
    return [told_in_person(village_code, why)]


def told_in_person(village_code: str, why: Unreachable) -> Planned:
    """A task in the village Puskesos inbox to tell a resident the news in person."""
    inbox = f"puskesos:{village_code}"
    return Planned("resident", "inbox", f"inbox_{IN_PERSON}", inbox, unreachable=why)


def undeliverable(channel: str, attempts: int) -> Unreachable:
    """Why a resident is told in person after every message to them failed for good."""
    return Unreachable(
        "undeliverable",
        f"Pesan lewat {channel_words(channel)} kepada warga gagal terkirim"
        f" ({attempts} kali dicoba).",
    )


def is_escalation(event: ReferralStatusChangedV1) -> bool:
    """A missed deadline moved the referral one level up its chain: the router's marker, or on
    an event from before it, a role named with the status unchanged."""
    return event.escalated or (
        event.escalated_to is not None and event.from_status == event.to_status
    )


def late_plan(event: ReferralStatusChangedV1, webhooks: Collection[str]) -> list[Planned]:
    """On an escalation or an expiry: the level who must act now, and the owning agency. A
    webhook among ``webhooks`` (the names the deployment configures) is used as named; any other
    is replaced by the inbox the level would have without one."""
    if not (is_escalation(event) or event.to_status.value == "expired"):
        return []
    regency = regency_of(event.village_code)
    level = _reachable(level_audience(event), webhooks, f"dinsos:{regency}")
    if event.program_code in webhooks:  # where the agency takes its new referrals
        agency: tuple[ChannelName, str] = ("webhook", event.program_code)
    else:
        own = event.agency_audience or EscalationAudience(
            role="agency_officer", channel="inbox", address=f"agency:{event.program_code}:{regency}"
        )
        agency = _reachable(own, webhooks, f"agency:{event.program_code}:{regency}")
    return [
        Planned("escalation", level[0], _late_template(level[0], "escalation"), level[1]),
        Planned("agency", agency[0], _late_template(agency[0], "agency"), agency[1]),
    ]


def _late_template(channel: ChannelName, audience: Audience) -> str:
    """Officials read a message (inbox, e-mail); an agency's system gets JSON (webhook)."""
    if channel == "webhook":
        return "webhook_referral_overdue"
    return "inbox_overdue_agency" if audience == "agency" else "inbox_overdue"


def level_audience(event: ReferralStatusChangedV1) -> EscalationAudience:
    """Who must act on a late referral: the router's audience, or on an event from before it
    named one, the regency's Dinas Sosial inbox."""
    return event.audience or EscalationAudience(
        role=escalation_role(event.escalated_to or "") or "head_of_office",
        channel="inbox",
        address=f"dinsos:{regency_of(event.village_code)}",
    )


def _reachable(
    audience: EscalationAudience, webhooks: Collection[str], inbox: str
) -> tuple[ChannelName, str]:
    if audience.channel == "webhook" and audience.address not in webhooks:
        return "inbox", inbox
    return audience.channel, audience.address


#: the roles of the chain in words, as the officials who read the messages name them
ROLE_WORDS: dict[str, dict[str, str]] = {
    "agency_officer": {"id": "petugas agensi program", "en": "the program agency's officer"},
    "agency_supervisor": {"id": "atasan petugas agensi", "en": "the agency supervisor"},
    "program_manager": {"id": "pengelola program", "en": "the program manager"},
    "head_of_office": {
        "id": "Kepala Dinas Sosial",
        "en": "the head of the social affairs office",
    },
}
_WIB = timezone(timedelta(hours=7))


def escalation_context(event: ReferralStatusChangedV1) -> dict[str, Any]:
    """What the chain's messages read of a late referral (``escalation``; nothing for other
    changes): the level, its role in words, its office, the new deadline in WIB and the
    referral's reference. No personal data."""
    if not (is_escalation(event) or event.to_status.value == "expired"):
        return {}
    level = level_audience(event)
    words = ROLE_WORDS.get(level.role, {"id": level.role, "en": level.role})
    due = event.due_at.astimezone(_WIB).strftime("%d-%m-%Y %H.%M WIB") if event.due_at else ""
    return {
        "escalation": {
            "escalated": is_escalation(event),
            "level": event.escalation_level,
            "role": level.role,
            "role_id": words["id"],
            "role_en": words["en"],
            "office": level.office or "",
            "due": due if is_escalation(event) else "",
            "due_at": event.due_at.isoformat() if event.due_at else None,
            "reference": referral_reference(event.referral_id, event.village_code),
        }
    }


def regency_of(village_code: str) -> str:
    return ".".join(village_code.split(".")[:2])


def plan(event: ReferralStatusChangedV1, *, agency_programs: Collection[str]) -> list[Planned]:
    """Who among staff and agencies hears of ``event`` at once (residents hear of it with
    their visit's news: ``resident_plan``)."""
    status = event.to_status.value
    planned: list[Planned] = []
    escalated = is_escalation(event)
    if status in ("rejected", "expired") or escalated:
        inbox = f"inbox_{status}" if status in ("rejected", "expired") else "inbox_escalated"
        planned.append(Planned("operator", "inbox", inbox, f"puskesos:{event.village_code}"))
    planned += late_plan(event, agency_programs)
    if status == AGENCY_STATUS and event.program_code in agency_programs:
        planned.append(Planned("agency", "webhook", "webhook_referral_created", event.program_code))
    return planned


def consented_channels(
    contact: ContactPoint | None, phone_channels: Sequence[ChannelName]
) -> list[ChannelName]:
    """The channels a consented contact may be told through (intake sends a contact only with
    the 'notification' purpose consented).

    ``ContactPoint`` carries an e-mail and a phone but no channel preference. So: an e-mail
    address is consent to e-mail, and a phone number is consent to SMS — and to WhatsApp only
    where the deployment says so (``RUJUKAN_NOTIFICATIONS_PHONE_CHANNELS``, default ``sms``).
    """
    if contact is None:
        return []
    channels: list[ChannelName] = ["email"] if contact.email else []
    if normalize_phone(contact.phone):
        channels += list(phone_channels)
    return channels


def normalize_phone(phone: str | None) -> str | None:
    """E.164 for Indonesian numbers (``0812…``, ``62812…`` → ``+62812…``); ``None`` if unusable."""
    if not phone:
        return None
    digits = re.sub(r"[\s().-]", "", phone)
    if digits.startswith("0"):
        digits = "+62" + digits[1:]
    elif not digits.startswith("+"):
        digits = "+" + digits
    return digits if re.fullmatch(r"\+\d{8,15}", digits) else None


def mask_recipient(channel: str, address: str) -> str:
    """What is stored, published and logged: ``w***@example.org``, ``+62*******789``; the
    non-personal addresses of inboxes and webhooks stay as they are."""
    if channel == "email":
        return mask(address)
    if channel in ("sms", "whatsapp"):
        return address[:3] + "*" * max(0, len(address) - 6) + address[-3:]
    return address
