"""Who hears what, through which channels, and how their addresses are shown.

* The **resident** on the news of their visit and the changes that matter to them
  (``domain/news.py``), summed up per visit (``resident_plan``): through each channel they
  consented to that the deployment offers; when none can reach them, the village Puskesos is
  asked, in its inbox, to tell them in person, and the delivery row says why.
* The **Puskesos operator** of the village, in the inbox, on rejections, expiries and
  escalations; the **supervisor** of the regency (``33.04``) on escalations too. An escalation
  is a change to ``expired`` or a change whose note starts with "escalated".
* The **agency** on each new referral, by its program's webhook, on ``created``: every referral
  has exactly one ``created`` change, while ``delivered`` is skipped when an agency answers before
  the relay's hook runs (see docs/decisions.md).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from rujukan_contracts.events import ContactPoint, ReferralStatusChangedV1
from rujukan_notifications.domain.channels import ChannelName
from rujukan_notifications.domain.messages import IN_PERSON, NEWS
from rujukan_platform.logging import mask

Audience = Literal["resident", "operator", "supervisor", "agency"]
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

    reason: Literal["no_channel_configured", "no_contact"]
    detail: str


@dataclass(frozen=True, slots=True)
class Routing:
    """What the deployment offers agencies: the programs with a webhook."""

    agency_programs: frozenset[str] = frozenset()


_CHANNEL_WORDS = {"email": "e-mail", "sms": "SMS", "whatsapp": "WhatsApp"}
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
        only = " atau ".join(_CHANNEL_WORDS[c] for c in consented)
        why = Unreachable(
            "no_channel_configured",
            f"Warga hanya dapat dihubungi lewat {only}, yang belum tersedia di sistem ini.",
        )
    inbox = f"puskesos:{village_code}"
    return [Planned("resident", "inbox", f"inbox_{IN_PERSON}", inbox, unreachable=why)]


def is_escalation(event: ReferralStatusChangedV1) -> bool:
    note = (event.note or "").strip().lower()
    return event.to_status.value == "expired" or note.startswith("escalated")


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
    if escalated:
        regency = regency_of(event.village_code)
        planned.append(Planned("supervisor", "inbox", "inbox_escalated", f"supervisor:{regency}"))
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
