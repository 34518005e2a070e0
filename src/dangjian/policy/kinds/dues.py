"""Dues: arrears (consecutive unpaid months) and the rate paid against income."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from dangjian.people import dues as calc
from dangjian.policy.context import Context, in_list, num_out, to_date
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import (
    CTE_SELECTORS,
    S_COUNT,
    Kind,
    Rule,
    people_cte,
    register,
    subject_rows,
)
from dangjian.policy.periods import add_months, month_end


@register
class DuesArrears(Kind):
    name = "dues_arrears"
    weight = 2
    selectors = CTE_SELECTORS
    subject = "person"
    periods = ("year",)
    params_schema = {
        "type": "object",
        "properties": {"violation_months": S_COUNT, "warning_months": S_COUNT},
        "required": ["violation_months", "warning_months"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        periods = ctx.periods("year")
        if not periods:
            return
        day = ctx.check_day
        p = rule.params
        pcte, pparams = ctx.periods_cte(periods)
        scte, sparams = people_cte(ctx, rule)
        for _, person_id, _ in subject_rows(ctx, rule, periods):
            ctx.evaluated.add(("person", person_id))
        # Whoever paid by the check day for a month on or after `recent` has a run shorter
        # than either threshold: only the others (an anti-join) are read, with their
        # latest month paid for by the check day.
        shortest = min(int(p["warning_months"]), int(p["violation_months"]))
        recent = calc.add_months(calc.last_ended_month(day), 1 - shortest)
        rows = ctx.query(
            f"WITH {pcte}, {scte} SELECT subj.person_id, subj.org_id, p.joined_on,"
            " (SELECT MAX(d.month) FROM dj_due d WHERE d.person_id = subj.person_id"
            " AND d.paid_on <= %s)"
            " FROM subj JOIN dj_person p ON p.id = subj.person_id"
            " WHERE NOT EXISTS (SELECT 1 FROM dj_due d WHERE d.person_id = subj.person_id"
            " AND d.month >= %s AND d.paid_on <= %s)",
            [*pparams, *sparams, ctx.param(day), ctx.param(recent), ctx.param(day)],
        )
        for person_id, org_id, joined, paid in rows:
            joined, paid = to_date(joined), to_date(paid)
            start, run = calc.unpaid_run(paid, joined, day, ctx.year_start)
            severity = calc.arrears_severity(
                run, warning_months=p["warning_months"], violation_months=p["violation_months"]
            )
            if severity is None:
                continue
            last = calc.last_ended_month(day)
            person = ctx.people[person_id]
            evidence = [f"{person.ext_id}/{paid.strftime('%Y-%m')}"] if paid else [person.ext_id]
            yield rule.finding(
                subject=ctx.person_subject(person_id),
                period=f"{start.isoformat()}/{month_end(last).isoformat()}",
                severity=severity,
                required=p["violation_months"],
                actual=run,
                due=add_months(start, p["violation_months"])
                if severity == "warning"
                else month_end(last),
                evidence=evidence,
                message=(
                    f"{person.name} 已连续 {run} 个月未交纳党费"
                    f"（自 {start.strftime('%Y年%m月')} 起）"
                ),
                org=ctx.org_ref(org_id),
            )


BRACKET = {
    "type": "array",
    "items": {
        "type": "array",
        "prefixItems": [
            {"type": ["number", "null"]},
            {"type": "number", "minimum": 0, "maximum": 1},
        ],
        "minItems": 2,
        "maxItems": 2,
    },
    "minItems": 1,
}


@register
class DuesRate(Kind):
    name = "dues_rate"
    weight = 3
    selectors = CTE_SELECTORS
    subject = "person"
    periods = ("year",)
    params_schema = {
        "type": "object",
        "properties": {
            "brackets": {"type": "object", "additionalProperties": BRACKET},
            "fixed": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
        },
        "required": ["brackets"],
        "additionalProperties": False,
    }

    @staticmethod
    def monthly(params: dict, employment: str, income: Decimal | None) -> Decimal | None:
        """The monthly amount by the people app's calculator, with this rule's bands."""
        return calc.monthly_dues(employment, income, table=calc.table_from_params(params))

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        periods = ctx.periods("year")
        if not periods:
            return
        per = periods[0]
        pcte, pparams = ctx.periods_cte(periods)
        scte, sparams = people_cte(ctx, rule)
        fixed_sql, fparams = in_list(sorted(rule.params.get("fixed") or {}))
        # The table once per rule, and each (employment, income) priced once: incomes repeat.
        table = calc.table_from_params(rule.params)
        cand_sql, cparams = _may_fall_short(ctx, table)
        # Only who paid for a month of the year by as_of: each is a subject, and only those
        # who may have paid less than the most the rule can ask for (a bound in SQL, with
        # a margin) are priced, exactly, here. Over the whole database the engine counts
        # every member on the check day itself (these are such members): only those rows
        # are read.
        counted = not ctx.people_scoped
        rows = ctx.query(
            f"WITH {pcte}, {scte}, paid AS (SELECT d.person_id, COUNT(*) AS n,"
            " SUM(d.amount) AS total FROM dj_due d WHERE d.month >= %s AND d.month <= %s"
            f" AND d.paid_on <= %s AND {ctx.person_scope('d.person_id')} GROUP BY d.person_id)"
            " SELECT y.person_id, y.cand, y.org_id, y.employment, y.income, y.n, y.total"
            " FROM (SELECT subj.person_id, subj.org_id, p.employment,"
            f" p.monthly_income AS income, paid.n, paid.total, {cand_sql} AS cand"
            " FROM subj JOIN dj_person p ON p.id = subj.person_id"
            " JOIN paid ON paid.person_id = subj.person_id"
            f" WHERE p.monthly_income IS NOT NULL OR p.employment IN {fixed_sql}) y"
            + (" WHERE y.cand" if counted else ""),
            [
                *pparams,
                *sparams,
                ctx.param(per.start),
                ctx.param(per.end),
                ctx.param(ctx.as_of),
                *cparams,
                *fparams,
            ],
        )
        rates: dict[tuple[str, Any], Decimal | None] = {}
        for person_id, candidate, org_id, employment, income, months, paid in rows:
            if not counted:
                ctx.evaluated.add(("person", person_id))
            if not candidate:
                continue
            if (employment, income) not in rates:
                rates[employment, income] = calc.monthly_dues(employment, _dec(income), table=table)
            rate = rates[employment, income]
            if rate is None:
                continue
            expected = rate * int(months)
            actual = (_dec(paid) or Decimal(0)).quantize(calc.CENT)
            if actual >= expected:
                continue
            person = ctx.people[person_id]
            yield rule.finding(
                subject=ctx.person_subject(person_id),
                period=per.key,
                severity="violation" if per.end <= ctx.as_of else "warning",
                required=num_out(float(expected)),
                actual=num_out(float(actual)),
                due=per.end,
                evidence=[f"{person.ext_id}/{per.key}"],
                message=(
                    f"{person.name} {per.label}已交 {months} 个月党费共"
                    f" {num_out(float(actual))} 元，按规定应交 {num_out(float(expected))} 元"
                ),
                org=ctx.org_ref(org_id),
            )


@register
class DuesBackPayment(Kind):
    """Dues paid in the year for a month more than `max_months` months earlier
    (补交党费的时间一般不得超过6个月): one finding per person, naming the months."""

    name = "dues_back_payment"
    weight = 2
    subject = "person"
    selectors = ("members",)  # everyone whose dues were paid in the year
    org_types_honoured = False
    periods = ("year",)
    params_schema = {
        "type": "object",
        "properties": {"max_months": S_COUNT},
        "required": ["max_months"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        if ctx.as_of < ctx.year_start:
            return
        most = int(rule.params["max_months"])
        # Paid in month P, the month paid for is too old when it is before P minus `most`
        # months: more than `most` months between their month numbers. One pass over the
        # year's dues; the cheap text/date bounds first (no month paid for on or after the
        # latest cutoff can be too old), then the days between the two dates (more than
        # `most` months apart in number means more than 28 × `most` days apart, whatever
        # the days of the month), the month arithmetic only for the few left (at 200k
        # members 896,000 rows pass the bounds, none the days: 0.24 → 0.07 s on
        # PostgreSQL, 0.38 → 0.28 s on SQLite).
        last_first = date(ctx.year, min(ctx.as_of, ctx.year_end).month, 1)
        where, wparams = ctx.path_like("o")
        rows = ctx.query(
            "SELECT d.person_id, p.org_id, d.month, d.paid_on FROM dj_due d"
            " JOIN dj_person p ON p.id = d.person_id"
            " JOIN dj_organization o ON o.id = p.org_id"
            " WHERE d.paid_on >= %s AND d.paid_on <= %s AND d.month < %s"
            f" AND {_days_between(ctx, 'd.month', 'd.paid_on')} > %s"
            f" AND {_month_number(ctx, 'd.paid_on')} - {_month_number(ctx, 'd.month')} > %s"
            f" AND {ctx.person_scope('d.person_id')} AND {where}"
            " ORDER BY d.person_id, d.month",
            [
                ctx.param(ctx.year_start),
                ctx.param(ctx.as_of),
                ctx.param(add_months(last_first, -most)),
                28 * most,
                most,
                *wparams,
            ],
        )
        late: dict[int, tuple[int, list[tuple[date, date]]]] = {}
        for person_id, org_id, month, paid_on in rows:
            late.setdefault(person_id, (org_id, []))[1].append(
                (to_date(month) or ctx.year_start, to_date(paid_on) or ctx.year_start)
            )
        for person_id, (org_id, items) in late.items():
            ctx.evaluated.add(("person", person_id))
            person = ctx.people[person_id]
            worst = max(calc.months_between(m, paid) - 1 for m, paid in items)
            months = "、".join(f"{m.year}年{m.month}月" for m, _ in items[:6])
            more = f"等 {len(items)} 个月" if len(items) > 6 else ""
            yield rule.finding(
                subject=ctx.person_subject(person_id),
                period=str(ctx.year),
                severity="violation",
                required=most,
                actual=worst,
                due=max(paid for _, paid in items),
                evidence=[f"{person.ext_id}/{m.strftime('%Y-%m')}" for m, _ in items],
                message=(
                    f"{person.name} 补交 {months}{more}的党费，最长补交 {worst} 个月前的党费"
                    f"，超过 {most} 个月"
                ),
                org=ctx.org_ref(org_id),
            )


def _may_fall_short(ctx: Context, table: calc.DuesTable) -> tuple[str, list[Any]]:
    """SQL (on `p` and `paid`): true for whoever may have paid less than the rule asks.

    Never false for one who did; true for some who did not, whom the exact computation
    in Python (`calc.monthly_dues`) then clears. The month's amount `x` is the fixed one
    of the person's employment, else their income times the rate of its band, rounded to
    the cent: exactly so on PostgreSQL; in SQLite's floats, except within a hair of a half
    cent (such an `x` is let through), and an income within a thousandth of a band's
    bound is let through too. Short means at least a cent short: less than the amount due
    minus 0.004 (amounts are in cents; SUM of floats errs by far less).
    """
    exact = ctx.vendor == "postgresql"

    def num(value: object) -> Any:
        return Decimal(str(value)) if exact else float(str(value))

    arms: list[str] = []
    params: list[Any] = []

    def short(x: str, xparams: list[Any]) -> tuple[str, list[Any]]:
        return (
            f"COALESCE(paid.total < ROUND({x}, 2) * paid.n - 0.004"
            f" OR ROUND({x} + 0.00001, 2) <> ROUND({x} - 0.00001, 2), TRUE)",
            [*xparams, *xparams, *xparams],
        )

    for employment, amount in sorted(table.fixed.items()):
        cond, cparams = short("%s", [num(amount)])
        arms.append(f"WHEN p.employment = %s THEN {cond}")
        params += [employment, *cparams]
    for employment, bands in sorted(table.brackets.items()):
        if employment in table.fixed or not bands:
            continue
        whens: list[str] = []
        wparams: list[Any] = []
        for upper, rate in bands:
            if upper is None:
                whens.append("ELSE p.monthly_income * %s")
                wparams.append(num(rate))
                break
            whens.append(
                "WHEN p.monthly_income <= %s THEN p.monthly_income * %s"
                " WHEN p.monthly_income <= %s THEN NULL"
            )
            wparams += [num(upper) - num(0.001), num(rate), num(upper) + num(0.001)]
        else:
            whens.append("ELSE NULL")
        cond, cparams = short(f"(CASE {' '.join(whens)} END)", wparams)
        arms.append(f"WHEN p.employment = %s AND p.monthly_income IS NOT NULL THEN {cond}")
        params += [employment, *cparams]
    if not arms:
        return "FALSE", []
    return f"CASE {' '.join(arms)} ELSE FALSE END", params


def _month_number(ctx: Context, col: str) -> str:
    """SQL: year * 12 + month of a date column (SQLite keeps dates as ISO text)."""
    if ctx.vendor == "postgresql":
        return f"(date_part('year', {col}) * 12 + date_part('month', {col}))"
    text = f"CAST({col} AS TEXT)"
    return f"(CAST(substr({text}, 1, 4) AS INTEGER) * 12 + CAST(substr({text}, 6, 2) AS INTEGER))"


def _days_between(ctx: Context, first: str, last: str) -> str:
    """SQL: the days from date column `first` to `last`."""
    if ctx.vendor == "postgresql":
        return f"({last} - {first})"
    return f"(julianday({last}) - julianday({first}))"


def _dec(value: object) -> Decimal | None:
    """A database amount as an exact decimal (SQLite may hand back a float or text)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(calc.CENT)
