"""Deadlines in working days, per priority lane, in the region's own time (pure logic)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from rujukan_contracts.events import LaneSla, PriorityLane, ReferralStatus, SlaDays
from rujukan_regions import WIB, WIT
from rujukan_router.domain.sla import step_deadline
from rujukan_router.domain.workdays import add_working_days, is_working_day, national_days_off

FRIDAY_10_WIB = datetime(2026, 12, 4, 10, 0, tzinfo=WIB)
SLA = SlaDays(
    receive=2,
    decide=5,
    serve=14,
    lanes={
        PriorityLane.pregnant_or_breastfeeding: LaneSla(receive=1, decide=2),
        PriorityLane.violence_victim: LaneSla(receive=1),
        PriorityLane.elderly: LaneSla(decide=3),
    },
)


def test_a_weekend_does_not_count() -> None:
    assert add_working_days(FRIDAY_10_WIB, 1, WIB) == datetime(2026, 12, 7, 10, 0, tzinfo=WIB)


def test_national_holidays_and_cuti_bersama_do_not_count() -> None:
    assert {date(2026, 12, 24), date(2026, 12, 25)} <= national_days_off(2026)  # cuti, Natal
    wednesday = datetime(2026, 12, 23, 9, 0, tzinfo=WIB)
    assert add_working_days(wednesday, 1, WIB).date() == date(2026, 12, 28)
    # Nyepi and Idul Fitri 2026 with their cuti bersama: Tuesday 17 March → Wednesday 25 March
    assert add_working_days(datetime(2026, 3, 17, 9, 0, tzinfo=WIB), 1, WIB).date() == date(
        2026, 3, 25
    )


def test_a_programs_own_closed_days_do_not_count() -> None:
    due = add_working_days(FRIDAY_10_WIB, 1, WIB, closed={date(2026, 12, 7)})
    assert due == datetime(2026, 12, 8, 10, 0, tzinfo=WIB)


def test_days_are_counted_in_the_regions_local_time() -> None:
    friday_night_wib = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # 23:30 WIB, Sat 01:30 WIT
    assert add_working_days(friday_night_wib, 1, WIB) == datetime(2026, 12, 7, 23, 30, tzinfo=WIB)
    assert add_working_days(friday_night_wib, 1, WIT) == datetime(2026, 12, 7, 1, 30, tzinfo=WIT)
    assert add_working_days(friday_night_wib, 1, WIT).tzinfo is UTC  # given back as it came


@given(
    since=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)),
    days=st.integers(min_value=1, max_value=30),
)
def test_a_deadline_lands_on_a_working_day_after_exactly_that_many(
    since: datetime, days: int
) -> None:
    start = since.replace(tzinfo=WIB)
    due = add_working_days(start, days, WIB)
    assert due > start and due.time() == start.time() and is_working_day(due.date())
    between = (
        start.date() + timedelta(days=n) for n in range(1, (due.date() - start.date()).days + 1)
    )
    assert sum(is_working_day(day) for day in between) == days


def test_the_fastest_lane_of_the_household_sets_a_step() -> None:
    lanes = ["elderly", "pregnant_or_breastfeeding"]
    assert (SLA.days("receive", lanes), SLA.days("decide", lanes), SLA.days("serve", lanes)) == (
        1,
        2,
        14,
    )
    assert SLA.days("decide", ["elderly"]) == 3
    assert SLA.days("receive", ["disability"]) == SLA.days("receive") == 2


def test_a_pregnant_mother_is_due_in_one_working_day_a_household_without_a_lane_in_two() -> None:
    created = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # Thursday 09:00 WIB
    village = "33.04.01.2001"
    lane = step_deadline(
        ReferralStatus.created,
        SLA,
        created,
        lanes=["pregnant_or_breastfeeding"],
        village_code=village,
    )
    plain = step_deadline(ReferralStatus.created, SLA, created, village_code=village)
    assert lane == created + timedelta(days=1)  # Friday
    assert plain == created + timedelta(days=4)  # Monday: the weekend does not count
    assert step_deadline(ReferralStatus.completed, SLA, created) is None


def test_a_program_may_count_calendar_days() -> None:
    calendar = SLA.model_copy(update={"working_days": False})
    created = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    assert step_deadline(ReferralStatus.received, calendar, created) == created + timedelta(days=5)
