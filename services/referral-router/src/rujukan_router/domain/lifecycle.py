"""The referral lifecycle as an explicit state machine (ours; SLRT publishes none).

``created → delivered → received → accepted → in_service → completed``, with ``rejected``
(reason code required), ``expired`` (SLA passed) and ``withdrawn``. An agency may answer before
the router has recorded delivery, or skip 'received' and accept straight away: those steps are
implied, never invented as extra events. Anything else is refused, never applied.

A complaint case (pengaduan) has a table of its own: ``created → delivered → received →
in_progress → answered → closed``, with ``expired`` and ``withdrawn``. Answering needs the
answer's text (what the resident is told); an answer the resident disputes may be taken up again
(``answered → in_progress``). ``transition`` is the one door for both.
"""

from __future__ import annotations

from rujukan_contracts.events import OutcomeKind, ReasonCode, ReferralStatus
from rujukan_contracts.text import Localised

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
    OutcomeKind.in_progress: S.in_progress,
    OutcomeKind.answered: S.answered,
    OutcomeKind.closed: S.closed,
}

OPEN = frozenset(ALLOWED) - TERMINAL

COMPLAINT_TERMINAL = frozenset({S.closed, S.expired, S.withdrawn})

COMPLAINT_ALLOWED: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.created: frozenset(
        {S.delivered, S.received, S.in_progress, S.answered, S.withdrawn, S.expired}
    ),
    S.delivered: frozenset({S.received, S.in_progress, S.answered, S.withdrawn, S.expired}),
    S.received: frozenset({S.in_progress, S.answered, S.withdrawn, S.expired}),
    S.in_progress: frozenset({S.answered, S.withdrawn, S.expired}),
    S.answered: frozenset({S.closed, S.in_progress, S.withdrawn}),
    S.closed: frozenset(),
    S.expired: frozenset(),
    S.withdrawn: frozenset(),
}

#: every status that ends a referral or a complaint case (the stored ``open`` flag's opposite)
CLOSED = TERMINAL | COMPLAINT_TERMINAL


class TransitionRefused(ValueError):
    """An impossible step; ``reason`` says why in both languages (the message, in English)."""

    def __init__(self, current: ReferralStatus, target: ReferralStatus, why: Localised) -> None:
        super().__init__(f"cannot go from '{current}' to '{target}': {why.en}")
        self.current = current
        self.target = target
        self.reason = Localised(
            f"tidak dapat berpindah dari '{current}' ke '{target}': {why.id}", str(self)
        )


def transition(
    current: ReferralStatus,
    target: ReferralStatus,
    reason: ReasonCode | None = None,
    *,
    kind: str = "need",
    answer: str | None = None,
) -> ReferralStatus:
    """The new status of a referral (or, ``kind="complaint"``, a complaint case), or
    ``TransitionRefused`` naming why. ``answer``: the text an answer gives the resident."""
    allowed, terminal = (
        (COMPLAINT_ALLOWED, COMPLAINT_TERMINAL) if kind == "complaint" else (ALLOWED, TERMINAL)
    )
    if target not in allowed.get(current, frozenset()):
        why = (
            Localised("rujukan sudah ditutup", "the referral is closed")
            if current in terminal
            else Localised("langkah itu tidak diizinkan", "that step is not allowed")
        )
        if kind == "complaint" and current not in terminal:
            why = Localised(
                "langkah itu tidak diizinkan untuk pengaduan",
                "that step is not allowed for a complaint",
            )
        raise TransitionRefused(current, target, why)
    if target == S.rejected and reason is None:
        why = Localised("penolakan memerlukan reason_code", "a rejection needs a reason_code")
        raise TransitionRefused(current, target, why)
    if target == S.answered and not (answer and answer.strip()):
        why = Localised("jawaban memerlukan teksnya (note)", "an answer needs its text (note)")
        raise TransitionRefused(current, target, why)
    return target
