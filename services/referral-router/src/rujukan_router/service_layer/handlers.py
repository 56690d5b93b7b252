"""The router's one handler table: every event it consumes and every command it is given.

Consumers apply ``IntakeSubmittedV1`` (in batches) and ``ReferralOutcomeV1``; the outbox relay
hands over ``Published``; routes and jobs send the commands of ``domain/commands.py``. Each
handler gets its message and the unit of work it runs in; what they share in one process (the
live catalogue) is bound when the table is built.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from rujukan_contracts.events import IntakeSubmittedV1, ReferralOutcomeV1
from rujukan_contracts.topics import agency_principal, program_of_outcomes
from rujukan_eligibility.rules import RuleError, compile_rule
from rujukan_platform.consumer import InvalidMessage
from rujukan_platform.handlers import Handlers, Published, Received
from rujukan_platform.outbox import OutboxRecord
from rujukan_platform.problems import Problem, invalid_rule
from rujukan_platform.uow import UnitOfWork
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.commands import (
    AddRegistryUpdates,
    CancelReplay,
    CreateReplay,
    FireDueTimers,
    ReportOutcome,
    StartReplay,
)
from rujukan_router.domain.lifecycle import TransitionRefused
from rujukan_router.service_layer.outcomes import apply_outcome
from rujukan_router.service_layer.referrals import ProgramMismatch, ReferralNotFound
from rujukan_router.service_layer.replay import (
    add_registry_updates,
    cancel_replay,
    create_replay,
    start_replay,
)
from rujukan_router.service_layer.routing import record_delivery, route_intakes
from rujukan_router.service_layer.timers import fire_due_timers


def handlers(catalogue: Catalogue, ready: asyncio.Event) -> Handlers[UnitOfWork]:
    """The table, bound to this process's live catalogue (``ready``: loaded)."""

    async def route_many(items: Sequence[Received[IntakeSubmittedV1]], uow: UnitOfWork) -> None:
        """A batch of intakes, routed in set-based statements (see route_intakes)."""
        await ready.wait()  # never decide with a half-loaded catalogue
        await route_intakes(
            uow.session,
            [(item.message, item.envelope.traceparent) for item in items],
            catalogue,
            received=[item.envelope.value for item in items],
        )

    async def route_one(event: IntakeSubmittedV1, uow: UnitOfWork) -> None:
        assert uow.cause is not None
        await route_many([Received(event, uow.cause)], uow)

    async def outcome_event(event: ReferralOutcomeV1, uow: UnitOfWork) -> None:
        await on_outcome_event(event, uow, catalogue)

    async def report_outcome(command: ReportOutcome, uow: UnitOfWork) -> Any:
        return await on_report_outcome(command, uow, catalogue)

    async def create(command: CreateReplay, uow: UnitOfWork) -> UUID:
        return await on_create_replay(command, uow, catalogue)

    return (
        Handlers[UnitOfWork]()
        .on(IntakeSubmittedV1, route_one, many=route_many)
        .on(ReferralOutcomeV1, outcome_event)
        .on(Published, on_published)
        .on(ReportOutcome, report_outcome)
        .on(CreateReplay, create)
        .on(AddRegistryUpdates, on_add_registry_updates)
        .on(StartReplay, on_start_replay)
        .on(CancelReplay, on_cancel_replay)
        .on(FireDueTimers, on_fire_due_timers)
    )


async def on_report_outcome(command: ReportOutcome, uow: UnitOfWork, catalogue: Catalogue) -> Any:
    """Move a referral by an agency's report (``TransitionRefused``, ``ReferralNotFound``,
    ``ProgramMismatch`` or the ``key_mismatch`` problem when it cannot); returns the referral
    as it is now."""
    row, _staged = await apply_outcome(
        uow.session,
        referral_id=command.referral_id,
        program_code=command.program_code,
        outcome=command.outcome,
        reason=command.reason_code,
        note=command.note,
        actor=command.actor,
        idempotency_key=command.idempotency_key,
        at=command.at,
        catalogue=catalogue,
        traceparent=uow.cause.traceparent if uow.cause else uow.traceparent,
    )
    return row


async def on_outcome_event(event: ReferralOutcomeV1, uow: UnitOfWork, catalogue: Catalogue) -> None:
    """An agency's report from Kafka. Only the program's owner agency may write its outcome
    topic (a broker ACL on its own principal), so the topic says who reported: a report
    naming another program, or on another program's referral, is refused (to the DLQ).
    Records carry no credentials."""
    cause = uow.cause
    assert cause is not None
    program = program_of_outcomes(cause.topic)
    if program is None:
        raise InvalidMessage(f"outcome refused: {cause.topic} is no program's topic")
    if event.program_code != program:
        raise InvalidMessage(
            f"outcome refused: {program}'s topic carries a report on {event.program_code}"
        )
    command = ReportOutcome(
        referral_id=event.referral_id,
        outcome=event.outcome,
        reason_code=event.reason_code,
        note=event.note,
        actor=agency_principal(program),
        idempotency_key=str(cause.meta.id),
        program_code=event.program_code,
        at=event.reported_at,
    )
    try:
        await on_report_outcome(command, uow, catalogue)
    except (TransitionRefused, ReferralNotFound, ProgramMismatch) as exc:
        raise InvalidMessage(f"outcome refused: {exc}") from exc
    except Problem as exc:  # an event id reused for another report: it will not pass
        raise InvalidMessage(f"outcome refused: {exc.detail}") from exc


async def on_published(message: Published, uow: UnitOfWork) -> None:
    """Kafka acknowledged these rows: referrals it carried become 'delivered'."""
    for e in await record_delivery(uow.session, message.events):
        record: OutboxRecord = (
            UUID(e.id),
            "referral",
            e.aggregateid,
            e.type,
            e.payload,
            e.topic,
            e.traceparent,
            e.created_at,
        )
        uow.add_records([record])


async def on_create_replay(command: CreateReplay, uow: UnitOfWork, catalogue: Catalogue) -> UUID:
    """A replay job, checked against the live catalogue: programs it knows, and a draft rule
    only as a what-if for one program."""
    unknown = [c for c in command.programs or [] if catalogue.get(c) is None]
    if unknown:
        raise Problem(
            422,
            "Unknown program",
            f"programs: {', '.join(unknown)} unknown",
            errors=[{"field": "programs", "reason": f"unknown: {unknown}"}],
        )
    if command.rule is not None:
        if command.apply or not command.programs or len(command.programs) != 1:
            raise Problem(
                422,
                "What-if only",
                "rule: a draft rule needs exactly one program and "
                "apply=false; publish the rule at the registry to apply it",
                errors=[{"field": "rule", "reason": "dry run only, for one program"}],
            )
        try:
            compile_rule(command.rule)
        except RuleError as exc:
            raise invalid_rule("rule", exc.criterion, exc.fault) from exc
    return await create_replay(
        uow.session,
        apply=command.apply,
        programs=command.programs,
        rule=dict(command.rule) if command.rule is not None else None,
        since=command.since,
        registry_updates=command.registry_updates,
        requested_by=command.requested_by,
        start=command.start,
        now=datetime.now(UTC),
    )


async def on_add_registry_updates(command: AddRegistryUpdates, uow: UnitOfWork) -> int:
    return await add_registry_updates(uow.session, command.replay_id, command.updates)


async def on_start_replay(command: StartReplay, uow: UnitOfWork) -> None:
    await start_replay(uow.session, command.replay_id)


async def on_cancel_replay(command: CancelReplay, uow: UnitOfWork) -> None:
    await cancel_replay(uow.session, command.replay_id, datetime.now(UTC))


async def on_fire_due_timers(command: FireDueTimers, uow: UnitOfWork) -> int:
    return await fire_due_timers(uow.session, command.now, grace=command.grace, limit=command.limit)
