"""Who hears what, through which channels, and how their addresses are shown.

* The **resident** on the changes they care about (``RESIDENT_STATUSES``: referral sent, i.e.
  ``delivered``, accepted, rejected, completed), through each channel they consented to.
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
from rujukan_notifications.domain.messages import RESIDENT_STATUSES
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


@dataclass(frozen=True, slots=True)
class Routing:
    """What the deployment offers: residents' channels with a provider, agencies with a
    webhook."""

    resident_channels: Sequence[ChannelName] = ("email",)
    agency_programs: frozenset[str] = frozenset()


def is_escalation(event: ReferralStatusChangedV1) -> bool:
    note = (event.note or "").strip().lower()
    return event.to_status.value == "expired" or note.startswith("escalated")


def regency_of(village_code: str) -> str:
    return ".".join(village_code.split(".")[:2])


def plan(
    event: ReferralStatusChangedV1,
    *,
    resident_channels: Sequence[ChannelName],
    agency_programs: Collection[str],
) -> list[Planned]:
    status = event.to_status.value
    planned: list[Planned] = []
    if status in RESIDENT_STATUSES:
        kinds = {"email": "status", "sms": "sms", "whatsapp": "sms"}
        planned += [Planned("resident", ch, f"{kinds[ch]}_{status}") for ch in resident_channels]
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
