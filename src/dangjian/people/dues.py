"""Party dues (党费) by the 2008 rules (关于中国共产党党费收缴、使用和管理的规定): the
monthly amount, the months a payment may cover and the run of unpaid months.

Pure functions on exact decimals (never floats); no database. The rule engine's
`dues_rate` and `dues_arrears` kinds call these, with the bands of their pack's
parameters, so the ledger and the engine compute one way.

- 第三条/第四条 in service: monthly income (after tax) up to and including 3000 yuan 0.5%,
  3000–5000 1%, 5000–10000 1.5%, above 10000 2%, each upper bound inclusive;
  retired: up to and including 5000 0.5%, above 5000 1%.
- 第五条 farmers 0.2–1 yuan a month (the minimum is what is required); students, the
  unemployed and those living on relief or allowances 0.2 yuan a month.
- 第六条 paying more of one's own will is welcome: a voluntary extra is added on top.
- 第十二条 dues may be paid by the quarter; back-payment generally not beyond 6 months.
- 第十三条 six months in a row unpaid: the rules' violation (three: an early warning).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# (inclusive upper bound of monthly income or None for "above", rate)
Band = tuple[Decimal | None, Decimal]


@dataclass(frozen=True)
class DuesTable:
    brackets: Mapping[str, Sequence[Band]]
    fixed: Mapping[str, Decimal] = field(default_factory=dict)


def _d(value: object) -> Decimal:
    """An exact decimal from a pack value (YAML numbers arrive as int or float)."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def table_from_params(params: Mapping[str, object]) -> DuesTable:
    """The table of a `dues_rate` rule's parameters (numbers read through their text)."""
    brackets = params.get("brackets") or {}
    fixed = params.get("fixed") or {}
    assert isinstance(brackets, Mapping) and isinstance(fixed, Mapping)
    return DuesTable(
        brackets={
            kind: tuple((None if up is None else _d(up), _d(rate)) for up, rate in bands)
            for kind, bands in brackets.items()
        },
        fixed={kind: _d(amount) for kind, amount in fixed.items()},
    )


# The 2008 rules; the national pack's `dues-rate` parameters hold the same numbers
# (a test keeps the two equal).
DUES_2008 = table_from_params(
    {
        "brackets": {
            "in_service": [[3000, "0.005"], [5000, "0.01"], [10000, "0.015"], [None, "0.02"]],
            "retired": [[5000, "0.005"], [None, "0.01"]],
        },
        "fixed": {"farmer": "0.2", "student": "0.2", "unemployed": "0.2"},
    }
)

# How many months one payment may cover (quarterly payment, 第十二条) and how far back
# a month may be paid for (补交 at most six months, 第十二条).
MAX_MONTHS_AT_ONCE = 3
MAX_BACK_MONTHS = 6


def monthly_dues(
    employment: str,
    income: Decimal | None,
    *,
    table: DuesTable = DUES_2008,
    extra: Decimal = Decimal(0),
) -> Decimal | None:
    """The monthly amount due, to the cent (half up), or None when it cannot be told
    (an income-based kind without a recorded income, or a kind the table lacks)."""
    if isinstance(income, float):
        raise TypeError("income must be a Decimal, not a float")
    base: Decimal | None = None
    if employment in table.fixed:
        base = table.fixed[employment]
    elif income is not None:
        for upper, rate in table.brackets.get(employment) or ():
            if upper is None or income <= upper:
                base = income * rate
                break
    if base is None:
        return None
    return (base + extra).quantize(CENT, rounding=ROUND_HALF_UP)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def add_months(day: datetime.date, n: int) -> datetime.date:
    index = month_index(day) + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(first: datetime.date, last: datetime.date) -> int:
    """Months from month `first` to month `last`, both counted (0 if last is earlier)."""
    return max(0, month_index(last) - month_index(first) + 1)


def last_ended_month(day: datetime.date) -> datetime.date:
    """First day of the last month that has ended on `day`."""
    nxt = day + datetime.timedelta(days=1)
    return month_start(day) if nxt.day == 1 else add_months(month_start(day), -1)


def first_unpaid_month(
    last_paid: datetime.date | None, joined: datetime.date | None, fallback: datetime.date
) -> datetime.date:
    """The month an unpaid run starts: after the last paid month, else the month of
    joining (预备党员 pay from admission, 第八条), else `fallback`."""
    if last_paid is not None:
        return add_months(month_start(last_paid), 1)
    if joined is not None:
        return month_start(joined)
    return month_start(fallback)


def unpaid_run(
    last_paid: datetime.date | None,
    joined: datetime.date | None,
    day: datetime.date,
    fallback: datetime.date,
) -> tuple[datetime.date, int]:
    """(first unpaid month, months unpaid in a row up to the last month ended on `day`)."""
    start = first_unpaid_month(last_paid, joined, fallback)
    return start, months_between(start, last_ended_month(day))


def arrears_severity(run: int, *, warning_months: int = 3, violation_months: int = 6) -> str | None:
    """'violation' from six months in a row unpaid, 'warning' from three (第十三条)."""
    if run >= violation_months:
        return "violation"
    if run >= warning_months:
        return "warning"
    return None


def payment_refusal(
    month: datetime.date, months: int, paid_on: datetime.date, joined: datetime.date | None
) -> str | None:
    """Why a payment of `months` months from `month`, made on `paid_on`, is refused
    (a Chinese sentence), or None when it is allowed."""
    first = month_start(month)
    if not 1 <= months <= MAX_MONTHS_AT_ONCE:
        return f"一次最多交纳 {MAX_MONTHS_AT_ONCE} 个月（按季度交纳）的党费"
    if month_index(first) > month_index(paid_on):
        return "所属月份不能晚于交纳日期所在的月份（可从本月起按季度预交）"
    late = month_index(paid_on) - month_index(first)
    if late > MAX_BACK_MONTHS:
        return (
            f"{first:%Y年%m月}的党费到交纳日已超过 {MAX_BACK_MONTHS} 个月，"
            "补交党费的时间一般不得超过6个月（党费规定第十二条）"
        )
    if joined is not None and month_index(first) < month_index(joined):
        return f"入党（{joined:%Y年%m月%d日}）之前的月份无需交纳党费"
    return None
