"""Intake's handler table: every change of state, by command or event.

Handlers that need the process's keys or registry (``IntakeState``) get it bound here, once, so
every entry of the table is ``handler(message, uow)``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from rujukan_contracts.events import ProgramPublishedV1, ReferralStatusChangedV1
from rujukan_intake.domain.commands import ReadHousehold, SubmitIntakes
from rujukan_intake.domain.consent import WithdrawConsent
from rujukan_intake.service_layer.consent import withdraw_consent
from rujukan_intake.service_layer.identity import read_household
from rujukan_intake.service_layer.intakes import submit_intakes
from rujukan_intake.service_layer.state import IntakeState
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_platform.handlers import Handlers, Received


async def record_referral_status(event: ReferralStatusChangedV1, uow: IntakeUnitOfWork) -> None:
    """One change (``record_referral_statuses``)."""
    await uow.referrals.record([event])


async def record_referral_statuses(
    received: Sequence[Received[ReferralStatusChangedV1]], uow: IntakeUnitOfWork
) -> None:
    """Keep the intake's view of its referrals current (``GET /v1/intakes/{id}``), a consumer
    batch's changes at once."""
    await uow.referrals.record([r.message for r in received])


async def remember_program(event: ProgramPublishedV1, uow: IntakeUnitOfWork) -> None:
    """Keep each program's name and required documents, for the agency that reads a
    referral's household (``service_layer.identity``)."""
    await uow.programs.remember(event)


def handlers(state: IntakeState) -> Handlers[IntakeUnitOfWork]:
    return (
        Handlers[IntakeUnitOfWork]()
        .on(SubmitIntakes, partial(submit_intakes, state=state))
        .on(ReadHousehold, partial(read_household, state=state))
        .on(ReferralStatusChangedV1, record_referral_status, many=record_referral_statuses)
        .on(ProgramPublishedV1, remember_program)
        .on(WithdrawConsent, withdraw_consent)
    )
