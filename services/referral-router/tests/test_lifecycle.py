"""The referral lifecycle and the complaint case's, exhaustively: every status against every
target status, in each table."""

from __future__ import annotations

import itertools

import pytest

from rujukan_contracts.events import OutcomeKind, ReasonCode, ReferralStatus
from rujukan_router.domain.lifecycle import (
    ALLOWED,
    COMPLAINT_ALLOWED,
    COMPLAINT_TERMINAL,
    OPEN,
    OUTCOME_STATUS,
    TERMINAL,
    TransitionRefused,
    transition,
)

S = ReferralStatus

# The documented lifecycle, written out independently of the module under test:
# created → delivered → received → accepted → in_service → completed, an agency may answer before
# delivery is recorded or skip 'received', and withdrawn/expired close any open referral.
EXPECTED: dict[ReferralStatus, set[ReferralStatus]] = {
    S.created: {S.delivered, S.received, S.accepted, S.rejected, S.withdrawn, S.expired},
    S.delivered: {S.received, S.accepted, S.rejected, S.withdrawn, S.expired},
    S.received: {S.accepted, S.rejected, S.withdrawn, S.expired},
    S.accepted: {S.in_service, S.completed, S.withdrawn, S.expired},
    S.in_service: {S.completed, S.withdrawn, S.expired},
    S.completed: set(),
    S.rejected: set(),
    S.expired: set(),
    S.withdrawn: set(),
}

PAIRS = list(itertools.product(EXPECTED, ReferralStatus))


def test_the_table_covers_every_status_and_matches_the_documented_lifecycle() -> None:
    assert set(ALLOWED) | set(COMPLAINT_ALLOWED) == set(ReferralStatus)
    assert {k: set(v) for k, v in ALLOWED.items()} == EXPECTED
    assert {S.completed, S.rejected, S.expired, S.withdrawn} == TERMINAL
    assert set(ALLOWED) - TERMINAL == OPEN


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{c}->{t}" for c, t in PAIRS])
def test_transition_returns_the_target_exactly_for_allowed_pairs(
    current: ReferralStatus, target: ReferralStatus
) -> None:
    reason = ReasonCode.lack_of_capacity if target == S.rejected else None
    if target in EXPECTED[current]:
        assert transition(current, target, reason) is target
        if target == S.rejected:
            with pytest.raises(TransitionRefused, match="needs a reason_code"):
                transition(current, target)
    else:
        with pytest.raises(TransitionRefused) as refused:
            transition(current, target, reason)
        assert refused.value.current is current and refused.value.target is target
        message = str(refused.value)
        assert f"'{current}'" in message and f"'{target}'" in message
        if current in TERMINAL:
            assert "closed" in message
        else:
            assert "not allowed" in message


@pytest.mark.parametrize("current", sorted(TERMINAL))
def test_terminal_states_refuse_everything_even_with_a_reason(current: ReferralStatus) -> None:
    for target in ReferralStatus:
        for reason in (None, *ReasonCode):
            with pytest.raises(TransitionRefused, match="closed"):
                transition(current, target, reason)


def test_no_status_may_move_to_itself_or_back_to_created() -> None:
    for status in ReferralStatus:
        with pytest.raises(TransitionRefused):
            transition(status, status, ReasonCode.other)
        with pytest.raises(TransitionRefused):
            transition(status, S.created)


@pytest.mark.parametrize("current", [S.created, S.delivered, S.received])
def test_rejection_needs_a_reason_and_every_reason_code_is_accepted(
    current: ReferralStatus,
) -> None:
    with pytest.raises(TransitionRefused, match="reason_code"):
        transition(current, S.rejected, None)
    for reason in ReasonCode:
        assert transition(current, S.rejected, reason) is S.rejected


def test_a_reason_is_harmless_on_other_transitions() -> None:
    assert transition(S.received, S.accepted, ReasonCode.other) is S.accepted


def test_outcome_status_maps_every_outcome_kind_to_the_status_of_the_same_name() -> None:
    assert set(OUTCOME_STATUS) == set(OutcomeKind)
    for kind in OutcomeKind:
        assert OUTCOME_STATUS[kind] is ReferralStatus(kind.value)
        # every reported outcome is reachable from some open status, of a referral or a case
        assert any(OUTCOME_STATUS[kind] in ALLOWED[s] for s in OPEN) or any(
            OUTCOME_STATUS[kind] in targets for targets in COMPLAINT_ALLOWED.values()
        )


# A complaint case (pengaduan), written out as docs/slrt.md says it: received, taken in hand,
# answered (with the answer's text), closed; an answer may be taken up again; withdrawn or
# expired while open (never expired once answered: the answer waits on nobody).
COMPLAINT: dict[ReferralStatus, set[ReferralStatus]] = {
    S.created: {S.delivered, S.received, S.in_progress, S.answered, S.withdrawn, S.expired},
    S.delivered: {S.received, S.in_progress, S.answered, S.withdrawn, S.expired},
    S.received: {S.in_progress, S.answered, S.withdrawn, S.expired},
    S.in_progress: {S.answered, S.withdrawn, S.expired},
    S.answered: {S.closed, S.in_progress, S.withdrawn},
    S.closed: set(),
    S.expired: set(),
    S.withdrawn: set(),
}
COMPLAINT_PAIRS = list(itertools.product(COMPLAINT, ReferralStatus))


def test_the_complaint_table_matches_the_documented_case_lifecycle() -> None:
    assert {k: set(v) for k, v in COMPLAINT_ALLOWED.items()} == COMPLAINT
    assert {S.closed, S.expired, S.withdrawn} == COMPLAINT_TERMINAL
    # a case is never accepted, rejected or served: those are a referral's answers
    assert not {S.accepted, S.rejected, S.in_service, S.completed} & set(COMPLAINT_ALLOWED)


@pytest.mark.parametrize(
    ("current", "target"), COMPLAINT_PAIRS, ids=[f"{c}->{t}" for c, t in COMPLAINT_PAIRS]
)
def test_a_complaint_moves_exactly_along_its_own_table(
    current: ReferralStatus, target: ReferralStatus
) -> None:
    answer = "Bantuan bulan ini cair tanggal 20" if target == S.answered else None
    if target in COMPLAINT[current]:
        assert transition(current, target, kind="complaint", answer=answer) is target
    else:
        with pytest.raises(TransitionRefused) as refused:
            transition(current, target, ReasonCode.other, kind="complaint", answer=answer)
        expected = "closed" if current in COMPLAINT_TERMINAL else "not allowed for a complaint"
        assert expected in str(refused.value)


@pytest.mark.parametrize("answer", [None, "", "   "])
def test_answering_a_complaint_needs_the_answer_text(answer: str | None) -> None:
    with pytest.raises(TransitionRefused, match="an answer needs its text"):
        transition(S.in_progress, S.answered, kind="complaint", answer=answer)


def test_the_two_tables_never_mix() -> None:
    """A referral is never answered or closed; a complaint is never accepted or rejected."""
    for status in (S.in_progress, S.answered, S.closed):
        with pytest.raises(TransitionRefused):
            transition(S.received, status, answer="jawaban")
    for status in (S.accepted, S.rejected, S.in_service, S.completed):
        with pytest.raises(TransitionRefused):
            transition(S.received, status, ReasonCode.other, kind="complaint")
