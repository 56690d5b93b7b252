"""Withdraw a resident's consent: stored on the household's intakes, then announced.

``rujukan.consent.withdrawn.v1`` goes on ``intake.submitted`` (the router withdraws the open
referrals made on the old consent, in order with the household's intakes) and, when
'notification' is withdrawn, on ``intake.contacts`` (notifications forget the contact and cancel
what was waiting; compaction then drops the contact from the log). Withdrawing what is already
withdrawn changes nothing and answers the withdrawal that took it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from rujukan_contracts.events import ConsentWithdrawnV1
from rujukan_contracts.topics import INTAKE_CONTACTS, INTAKE_SUBMITTED
from rujukan_intake.domain.consent import (
    Withdrawal,
    WithdrawConsent,
    last_withdrawal,
    still_given,
    withdrawn_from,
)
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_platform.ids import new_id


class HouseholdNotFound(LookupError):
    """No such household, or not one of the caller's regions."""


class NothingToWithdraw(ValueError):
    """The household's intakes never consented to the purposes named."""


async def withdraw_consent(command: WithdrawConsent, uow: IntakeUnitOfWork) -> Withdrawal:
    village = await uow.consent.village_of(command.household_id)
    if village is None or not command.by.covers_region(village):
        raise HouseholdNotFound(str(command.household_id))
    stored = await uow.consent.lock(command.household_id)
    consents = [c for _id, c in stored]
    taken = still_given(consents, command.purposes)
    if not taken:
        last = last_withdrawal(consents, command.purposes)
        if last is None:
            raise NothingToWithdraw(str(command.household_id))
        return _repeated(command, last)
    at = datetime.now(UTC)
    withdrawal = Withdrawal(
        withdrawal_id=new_id(),
        household_id=command.household_id,
        purposes=tuple(taken),
        withdrawn_at=at,
        recorded_by=command.by.subject,
        intakes=sum(bool(set(taken) & set(c.get("purposes", []))) for c in consents),
    )
    record = {
        "withdrawal_id": str(withdrawal.withdrawal_id),
        "purposes": taken,
        "withdrawn_at": at.isoformat(),
        "recorded_by": withdrawal.recorded_by,
    }
    await uow.consent.save([(i, withdrawn_from(c, taken, record)) for i, c in stored])
    event = ConsentWithdrawnV1(
        withdrawal_id=withdrawal.withdrawal_id,
        household_id=command.household_id,
        purposes=taken,
        withdrawn_at=at,
        recorded_by=withdrawal.recorded_by,
    )
    uow.publish(INTAKE_SUBMITTED, event)
    if "notification" in taken:
        uow.publish(INTAKE_CONTACTS, event)
    return withdrawal


def _repeated(command: WithdrawConsent, last: Mapping[str, Any]) -> Withdrawal:
    """Nothing left to withdraw: the withdrawal that took it, as it was recorded."""
    return Withdrawal(
        withdrawal_id=UUID(last["withdrawal_id"]),
        household_id=command.household_id,
        purposes=tuple(last["purposes"]),
        withdrawn_at=datetime.fromisoformat(last["withdrawn_at"]),
        recorded_by=last["recorded_by"],
        intakes=0,
        repeated=True,
    )
