"""The days every surface agrees on: the check day of a year, a term's end, valid years.

One place decides them; pages, exports, the API, the calendar and the .ics all call here.

- The check day of `year` (what a report is "截至"): today for the current year; the
  year's last day for a past year; today for a future year too — nothing of it has begun,
  so every item of it is upcoming and there are no findings. In one formula:
  ``min(today, 31 December of year)``.
- A term elected on day D for N years ends on the same day N years later; a term elected
  on 29 February ends on 28 February (the month's last day). It is overdue from that day
  on (the engine's `term_due`: due <= check day).
- Years read from a URL lie in YEAR_MIN..YEAR_MAX; anything else is refused.
"""

from __future__ import annotations

from datetime import date

from dangjian.policy.periods import add_years

YEAR_MIN = 1949
YEAR_MAX = 2100


class BadYear(ValueError):
    """A year or date from the user that cannot be used; the message is Chinese."""

    def __init__(self, message: str, *, malformed: bool) -> None:
        super().__init__(message)
        self.malformed = malformed  # not a number/date at all (400) vs out of range (404)


def check_day(year: int, today: date | None = None) -> date:
    """The day `year` is checked on: today, or the year's end for a finished year."""
    today = today or date.today()
    return min(today, date(year, 12, 31))


def as_of_label(day: date) -> str:
    """截至 2026年11月30日"""
    return f"截至 {day.year}年{day.month}月{day.day}日"


def term_end(elected_on: date, years: int) -> date:
    """The day a term ends (the next election is due): 29 February → 28 February."""
    return add_years(elected_on, years)


def term_overdue(ends_on: date, day: date) -> bool:
    """A term is overdue from its end day on (the engine's `term_due`)."""
    return ends_on <= day


def parse_year(value: object, *, name: str = "年度") -> int:
    """A year from user input (URL, query string), else BadYear with a Chinese message."""
    text = str(value).strip()
    try:
        year = int(text)
    except ValueError:
        raise BadYear(f"{name}“{text}”不是年份，应为四位数字，如 2026", malformed=True) from None
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise BadYear(f"{name}“{text}”超出范围（{YEAR_MIN}—{YEAR_MAX}年）", malformed=False)
    return year


def parse_date(value: object, *, name: str = "日期") -> date:
    """A date (YYYY-MM-DD) from user input, within the valid years, else BadYear."""
    text = str(value).strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadYear(
            f"{name}“{text}”不是日期，应写作 年-月-日，如 2026-03-31", malformed=True
        ) from None
    parse_year(day.year, name=name)
    return day
