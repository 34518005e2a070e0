"""Periods (month, quarter, half, year) and month arithmetic, in Python.

Date arithmetic stays out of SQL so the queries run unchanged on SQLite,
PostgreSQL and DuckDB: periods reach the queries as parameters.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_NAMES = ("month", "quarter", "half", "year")


def add_months(d: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day."""
    m = d.month - 1 + months
    y = d.year + m // 12
    m = m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def add_years(d: date, years: int) -> date:
    return add_months(d, 12 * years)


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def months_between(start: date, end: date) -> float:
    """Months from `start` to `end`, to one decimal (whole months, then days of the next)."""
    if end <= start:
        return 0.0
    whole = (end.year - start.year) * 12 + end.month - start.month
    while whole > 0 and add_months(start, whole) > end:
        whole -= 1
    anchor = add_months(start, whole)
    nxt = add_months(start, whole + 1)
    frac = (end - anchor).days / max((nxt - anchor).days, 1)
    return round(whole + frac, 1)


@dataclass(frozen=True)
class Period:
    key: str  # "2022", "2022-H1", "2022-Q3", "2022-05"
    start: date
    end: date
    label: str  # Chinese, for messages

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def periods_of_year(year: int, period: str) -> list[Period]:
    if period == "year":
        return [Period(str(year), date(year, 1, 1), date(year, 12, 31), f"{year}年")]
    if period == "half":
        return [
            Period(f"{year}-H1", date(year, 1, 1), date(year, 6, 30), f"{year}年上半年"),
            Period(f"{year}-H2", date(year, 7, 1), date(year, 12, 31), f"{year}年下半年"),
        ]
    if period == "quarter":
        out = []
        for q in range(4):
            start = date(year, 3 * q + 1, 1)
            out.append(
                Period(
                    f"{year}-Q{q + 1}",
                    start,
                    month_end(add_months(start, 2)),
                    f"{year}年第{q + 1}季度",
                )
            )
        return out
    if period == "month":
        return [
            Period(
                f"{year}-{m:02d}", date(year, m, 1), month_end(date(year, m, 1)), f"{year}年{m}月"
            )
            for m in range(1, 13)
        ]
    raise ValueError(f"unknown period {period!r}")


def judge(
    *,
    start: date,
    due: date,
    actual: float,
    required: float,
    as_of: date,
    reminder_days: int,
    pace: bool = True,
) -> str | None:
    """Severity of a figure against its minimum, as the findings contract says.

    Ended (due on or before as_of) and short: violation. Open and short: a
    warning when due within the reminder window, or when behind pace
    (below floor(required × elapsed share)). Not begun: nothing.
    """
    if start > as_of or actual >= required:
        return None
    if due <= as_of:
        return "violation"
    if (due - as_of).days <= reminder_days:
        return "warning"
    if pace:
        elapsed = (as_of - start).days + 1
        total = (due - start).days + 1
        if actual < math.floor(required * elapsed / total):
            return "warning"
    return None


def check_day(year: int, as_of: date) -> date:
    """The day standing requirements are checked on: as_of, or the year's end if earlier."""
    return min(as_of, date(year, 12, 31))


def day_before(d: date) -> date:
    return d - timedelta(days=1)
