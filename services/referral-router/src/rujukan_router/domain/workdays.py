"""Working days as Indonesian government offices keep them.

Monday to Friday, minus the national public holidays and the *cuti bersama* (collective leave)
days the government sets — both from the ``holidays`` package (categories ``public`` and
``government``), which ships the dates so nothing is fetched at run time — and a program's own
closed dates. Days are counted in the local time of the region that must act.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays

SATURDAY = 5


@cache
def national_days_off(year: int) -> frozenset[date]:
    """Indonesia's public holidays and cuti bersama in ``year``."""
    days = holidays.country_holidays("ID", years=year, categories=("public", "government"))
    return frozenset(days)


def is_working_day(day: date, closed: Collection[date] = ()) -> bool:
    return day.weekday() < SATURDAY and day not in national_days_off(day.year) and day not in closed


def add_working_days(
    since: datetime, days: int, zone: ZoneInfo, closed: Collection[date] = ()
) -> datetime:
    """``since`` moved on by ``days`` working days, to the same local hour: a referral made on
    Friday afternoon with one working day to receive is due on Monday afternoon (Tuesday if
    Monday is a holiday). Indonesia keeps no daylight saving, so wall-clock arithmetic holds."""
    local = since.astimezone(zone)
    day = _working_days_after(local.date(), days, frozenset(closed))
    return (local + timedelta(days=(day - local.date()).days)).astimezone(since.tzinfo)


@lru_cache(maxsize=4096)
def _working_days_after(start: date, days: int, closed: frozenset[date]) -> date:
    """The day ``days`` working days after ``start``. Nearly every referral of a day asks the
    same few questions (its date, a program's few SLA lengths), so the count is kept."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, closed):
            left -= 1
    return day
