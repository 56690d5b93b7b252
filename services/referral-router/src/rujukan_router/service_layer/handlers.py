"""The router's one handler table: every event it consumes and every command it is given.

Consumers apply ``IntakeSubmittedV1`` (in batches) and ``ReferralOutcomeV1``; the catalogue
view hands over ``ProgramPublishedV1``; the outbox relay hands over ``Published``; routes and
jobs send the commands of ``domain/commands.py``. Each handler gets its message and the unit of
work it runs in; what they share in one process (``RouterState``) is bound when the table is
built.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from rujukan_contracts.events import (
    ConsentWithdrawnV1,
    IntakeSubmittedV1,
    ProgramPublishedV1,
    ReferralOutcomeV1,
    ReferralStatus,
)
from rujukan_contracts.topics import agency_principal, program_of_outcomes
from rujukan_eligibility.rules import RuleError, compile_rule
from rujukan_platform.consumer import InvalidMessage
from rujukan_platform.handlers import Handlers, Published, Received
from rujukan_platform.language import Localised, Words
from rujukan_platform.outbox import OutboxRecord, follow_up
from rujukan_platform.problems import Problem, invalid_rule, refused
from rujukan_router.adapters.events import CREATED, delivered_record
from rujukan_router.adapters.referrals import HistoryRow, StoredReferral
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.commands import (
    AddRegistryUpdates,
    CancelReplay,
    CreateReplay,
    FireDueTimers,
    ReportOutcome,
    StartReplay,
    WithdrawReferral,
)
from rujukan_router.domain.lifecycle import TransitionRefused, transition
from rujukan_router.metrics import observe_published
from rujukan_router.service_layer.outcomes import apply_outcome
from rujukan_router.service_layer.referrals import ProgramMismatch, ReferralNotFound
from rujukan_router.service_layer.replay import (
    add_registry_updates,
    cancel_replay,
    create_replay,
    start_replay,
)
from rujukan_router.service_layer.routing import route_intakes
from rujukan_router.service_layer.state import RouterState
from rujukan_router.service_layer.timers import fire_due_timers
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork
from rujukan_router.service_layer.withdrawals import withdraw_for_consent, withdraw_referral

S = ReferralStatus
#: the title of a replay's draft rule refused for anything but a dry run of one program (422)
WHAT_IF_ONLY = Localised("Hanya simulasi", "What-if only")


def handlers(state: RouterState) -> Handlers[RouterUnitOfWork]:
    """The table, bound to this process's live catalogue."""
    catalogue = state.catalogue

    async def route_many(
        items: Sequence[Received[IntakeSubmittedV1]], uow: RouterUnitOfWork
    ) -> None:
        """A batch of intakes, routed in set-based statements (see route_intakes)."""
        await state.view.ready.wait()  # never decide with a half-loaded catalogue
        await route_intakes(
            uow,
            [(item.message, item.envelope.traceparent) for item in items],
            catalogue,
            received=[item.envelope.value for item in items],
        )

    async def route_one(event: IntakeSubmittedV1, uow: RouterUnitOfWork) -> None:
        assert uow.cause is not None
        await route_many([Received(event, uow.cause)], uow)

    async def report_outcome(command: ReportOutcome, uow: RouterUnitOfWork) -> StoredReferral:
        """Move a referral by an agency's report (``TransitionRefused``, ``ReferralNotFound``,
        ``ProgramMismatch`` or the ``key_mismatch`` problem when it cannot); returns the
        referral as it is now."""
        return await apply_outcome(uow, command, catalogue)

    async def outcome_event(event: ReferralOutcomeV1, uow: RouterUnitOfWork) -> None:
        await on_outcome_event(event, uow, catalogue)

    async def fire_timers(command: FireDueTimers, uow: RouterUnitOfWork) -> int:
        """Escalate or expire missed deadlines, each level's audience read from the catalogue."""
        return await fire_due_timers(
            uow, command.now, catalogue, grace=command.grace, limit=command.limit
        )

    async def create(command: CreateReplay, uow: RouterUnitOfWork) -> UUID:
        check_replay(command, catalogue)
        return await create_replay(uow, command, datetime.now(UTC))

    return (
        Handlers[RouterUnitOfWork]()
        .on(IntakeSubmittedV1, route_one, many=route_many)
        .on(ReferralOutcomeV1, outcome_event)
        .on(ProgramPublishedV1, on_program)
        .on(Published, on_published)
        .on(ReportOutcome, report_outcome)
        .on(CreateReplay, create)
        .on(AddRegistryUpdates, on_add_registry_updates)
        .on(StartReplay, on_start_replay)
        .on(CancelReplay, on_cancel_replay)
        .on(FireDueTimers, fire_timers)
        .on(WithdrawReferral, withdraw_referral)
        .on(ConsentWithdrawnV1, withdraw_for_consent)
    )


async def on_outcome_event(
    event: ReferralOutcomeV1, uow: RouterUnitOfWork, catalogue: Catalogue
) -> None:
    """An agency's report from Kafka. Only the program's owner agency may write its outcome
    topic (a broker ACL on its own principal), so the topic says who reported: a report
    naming another program, or on another program's referral, is refused (to the DLQ).
    Records carry no credentials."""
    cause = uow.cause
    assert cause is not None
    program = program_of_outcomes(cause.topic)
    if program is None:
        raise _outcome_refused(
            Localised(
                f"{cause.topic} bukan topik program mana pun",
                f"{cause.topic} is no program's topic",
            )
        )
    if event.program_code != program:
        raise _outcome_refused(
            Localised(
                f"topik {program} membawa laporan tentang {event.program_code}",
                f"{program}'s topic carries a report on {event.program_code}",
            )
        )
    report = ReportOutcome(
        referral_id=event.referral_id,
        outcome=event.outcome,
        reason_code=event.reason_code,
        note=event.note,
        public_note=event.public_note,
        actor=agency_principal(program),
        idempotency_key=str(cause.meta.id),
        program_code=event.program_code,
        at=event.reported_at,
    )
    try:
        await apply_outcome(uow, report, catalogue)
    except (TransitionRefused, ReferralNotFound, ProgramMismatch) as exc:
        raise _outcome_refused(exc.reason) from exc
    except Problem as exc:  # an event id reused for another report: it will not pass
        raise _outcome_refused(exc.detail or exc.title) from exc


def _outcome_refused(why: Words) -> InvalidMessage:
    """An agency's report refused (to its outcomes DLQ, which it reads): in Indonesian too
    where ``why`` is."""
    if isinstance(why, Localised):
        return InvalidMessage(
            Localised(f"laporan hasil ditolak: {why.id}", f"outcome refused: {why.en}")
        )
    return InvalidMessage(f"outcome refused: {why}")


async def on_published(message: Published, uow: RouterUnitOfWork) -> None:
    """Kafka acknowledged these rows: the referrals they created, still 'created', become
    'delivered' (in one statement), their status events raised for the relay to publish.
    What was published is counted (``metrics``)."""
    created = {e.aggregateid: e for e in message.events if e.type == CREATED}
    delivered: list[OutboxRecord] = []
    if created:
        at = datetime.now(UTC)
        to = transition(S.created, S.delivered)
        moved = await uow.referrals.move_all(list(created), from_status=S.created, to=to, at=at)
        await uow.referrals.add_history(
            [HistoryRow(r.id, S.created.value, to.value, None, "router", at) for r in moved]
        )
        delivered = [delivered_record(r, created=created[str(r.id)], at=at) for r in moved]
        uow.add_records(delivered)
    observe_published([*message.events, *map(follow_up, delivered)])


async def on_program(event: ProgramPublishedV1, uow: RouterUnitOfWork) -> None:
    """A program version the live catalogue took: kept queryable, and for explaining."""
    await uow.programs.record(event)


def check_replay(command: CreateReplay, catalogue: Catalogue) -> None:
    """A replay names programs the live catalogue knows, and a draft rule only as a what-if
    for one program (a 422 problem otherwise)."""
    unknown = [c for c in command.programs or [] if catalogue.get(c) is None]
    if unknown:
        named = ", ".join(unknown)
        raise refused(
            [
                {
                    "field": "programs",
                    "reason": Localised(f"{named} tidak dikenal", f"{named} unknown"),
                }
            ],
            Localised("Program tidak dikenal", "Unknown program"),
        )
    if command.rule is None:
        return
    if command.apply or not command.programs or len(command.programs) != 1:
        what_if = Localised(
            "aturan draf memerlukan tepat satu program dan apply=false; terbitkan aturannya di "
            "registri untuk menerapkannya",
            "a draft rule needs exactly one program and apply=false; publish the rule at the "
            "registry to apply it",
        )
        raise refused([{"field": "rule", "reason": what_if}], WHAT_IF_ONLY)
    try:
        compile_rule(command.rule)
    except RuleError as exc:
        raise invalid_rule("rule", exc.criterion, exc.reason) from exc


async def on_add_registry_updates(command: AddRegistryUpdates, uow: RouterUnitOfWork) -> int:
    return await add_registry_updates(uow, command.replay_id, command.updates)


async def on_start_replay(command: StartReplay, uow: RouterUnitOfWork) -> None:
    await start_replay(uow, command.replay_id)


async def on_cancel_replay(command: CancelReplay, uow: RouterUnitOfWork) -> None:
    await cancel_replay(uow, command.replay_id, datetime.now(UTC))
