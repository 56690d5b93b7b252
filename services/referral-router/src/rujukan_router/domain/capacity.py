"""Capacity periods: a program accepts so many referrals per month, quarter or year."""

from __future__ import annotations

from datetime import date
from typing import Literal


def period_start(day: date, period: Literal["month", "quarter", "year"]) -> date:
    if period == "year":
        return date(day.year, 1, 1)
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, day.month, 1)
