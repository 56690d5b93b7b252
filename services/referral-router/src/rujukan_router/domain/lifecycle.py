"""The referral lifecycle as an explicit state machine (ours; SLRT publishes none).

``created → delivered → received → accepted → in_service → completed``, with ``rejected``
(reason code required), ``expired`` (SLA passed) and ``withdrawn``. An agency may answer before
the router has recorded delivery, or skip 'received' and accept straight away: those steps are
implied, never invented as extra events. Anything else is refused, never applied.
"""

from __future__ import annotations

from rujukan_contracts.events import OutcomeKind, ReasonCode, ReferralStatus

S = ReferralStatus

TERMINAL = frozenset({S.completed, S.rejected, S.expired, S.withdrawn})

ALLOWED: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.created: frozenset({S.delivered, S.received, S.accepted, S.rejected, S.withdrawn, S.expired}),
    S.delivered: frozenset({S.received, S.accepted, S.rejected, S.withdrawn, S.expired}),
    S.received: frozenset({S.accepted, S.rejected, S.withdrawn, S.expired}),
    S.accepted: frozenset({S.in_service, S.completed, S.withdrawn, S.expired}),
    S.in_service: frozenset({S.completed, S.withdrawn, S.expired}),
    S.completed: frozenset(),
    S.rejected: frozenset(),
    S.expired: frozenset(),
    S.withdrawn: frozenset(),
}

OUTCOME_STATUS: dict[OutcomeKind, ReferralStatus] = {
    OutcomeKind.received: S.received,
    OutcomeKind.accepted: S.accepted,
    OutcomeKind.rejected: S.rejected,
    OutcomeKind.in_service: S.in_service,
    OutcomeKind.completed: S.completed,
}

OPEN = frozenset(ALLOWED) - TERMINAL


class TransitionRefused(ValueError):
    def __init__(self, current: ReferralStatus, target: ReferralStatus, why: str) -> None:
        super().__init__(f"cannot go from '{current}' to '{target}': {why}")
        self.current = current
        self.target = target


def transition(
    current: ReferralStatus, target: ReferralStatus, reason: ReasonCode | None = None
) -> ReferralStatus:
    """The new status, or ``TransitionRefused`` naming why."""
    if target not in ALLOWED[current]:
        why = "the referral is closed" if current in TERMINAL else "that step is not allowed"
        raise TransitionRefused(current, target, why)
    if target == S.rejected and reason is None:
        raise TransitionRefused(current, target, "a rejection needs a reason_code")
    return target
