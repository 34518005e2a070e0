"""Dues: arrears (consecutive unpaid months) and the rate paid against income."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from dangjian.people import dues as calc
from dangjian.policy.context import Context, in_list, num_out, to_date
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import CTE_SELECTORS, S_COUNT, Kind, Rule, people_cte, register
from dangjian.policy.periods import add_months, month_end

_NO_DUES: tuple[Any, int, Any] = (None, 0, None)


def dues_by_person(ctx: Context) -> dict[int, tuple[Any, int, Any]]:
    """person -> (latest month paid for by the check day, months of the year paid by as_of,
    their sum): one pass over the subtree's dues that arrears and rate share (ctx.memo)."""
    year = ctx.periods("year")[0]
    key = ("dues_by_person", ctx.check_day, year.start, year.end, ctx.as_of)
    if key not in ctx.memo:
        in_year = "d0.month >= %s AND d0.month <= %s AND d0.paid_on <= %s"
        rows = ctx.query(
            "SELECT d0.person_id, MAX(CASE WHEN d0.paid_on <= %s THEN d0.month END),"
            f" SUM(CASE WHEN {in_year} THEN 1 ELSE 0 END),"
            f" SUM(CASE WHEN {in_year} THEN d0.amount END)"
            f" FROM dj_due d0 WHERE {ctx.person_scope('d0.person_id')} GROUP BY d0.person_id",
            [
                ctx.param(ctx.check_day),
                *[ctx.param(year.start), ctx.param(year.end), ctx.param(ctx.as_of)] * 2,
            ],
        )
        ctx.memo[key] = {r[0]: (r[1], int(r[2] or 0), r[3]) for r in rows}
    return ctx.memo[key]  # type: ignore[no-any-return]


@register
class DuesArrears(Kind):
    name = "dues_arrears"
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
        pcte, pparams = ctx.periods_cte(periods)
        scte, sparams = people_cte(ctx, rule)
        dues = dues_by_person(ctx)
        rows = [
            (person_id, org_id, joined, dues.get(person_id, _NO_DUES)[0])
            for person_id, org_id, joined in ctx.query(
                f"WITH {pcte}, {scte} SELECT subj.person_id, subj.org_id, p.joined_on"
                " FROM subj JOIN dj_person p ON p.id = subj.person_id",
                [*pparams, *sparams],
            )
        ]
        p = rule.params
        for person_id, org_id, joined, paid in rows:
            ctx.evaluated.add(("person", person_id))
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
        dues = dues_by_person(ctx)
        rows = [
            (person_id, org_id, employment, income, *dues[person_id][1:])
            for person_id, org_id, employment, income in ctx.query(
                f"WITH {pcte}, {scte}"
                " SELECT subj.person_id, subj.org_id, p.employment, p.monthly_income"
                " FROM subj JOIN dj_person p ON p.id = subj.person_id"
                f" WHERE p.monthly_income IS NOT NULL OR p.employment IN {fixed_sql}",
                [*pparams, *sparams, *fparams],
            )
            # only who paid for a month of the year by as_of (as the join did)
            if person_id in dues and dues[person_id][1]
        ]
        # The table once per rule, and each (employment, income) priced once: incomes repeat.
        table = calc.table_from_params(rule.params)
        rates: dict[tuple[str, Any], Decimal | None] = {}
        for person_id, org_id, employment, income, months, paid in rows:
            ctx.evaluated.add(("person", person_id))
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
        # One row per month of payment in the year: paid in month P, the month paid for
        # is too old when it is before P minus `most` months (as first days of months).
        # Joined on the month paid in (text "YYYY-MM" on both databases), not on a range:
        # a range join is a nested loop over every due times every month.
        rows_sql, params = [], []
        for m in range(1, 13):
            first = date(ctx.year, m, 1)
            if first > ctx.as_of:
                break
            rows_sql.append("(%s, %s)")
            params += [first.strftime("%Y-%m"), ctx.param(add_months(first, -most))]
        where, wparams = ctx.path_like("o")
        rows = ctx.query(
            f"WITH pay(m, cutoff) AS (VALUES {', '.join(rows_sql)})"
            " SELECT d.person_id, p.org_id, d.month, d.paid_on FROM dj_due d"
            " JOIN pay ON substr(CAST(d.paid_on AS TEXT), 1, 7) = pay.m"
            f" AND d.month < pay.cutoff AND {ctx.person_scope('d.person_id')}"
            " JOIN dj_person p ON p.id = d.person_id"
            f" JOIN dj_organization o ON o.id = p.org_id"
            f" WHERE d.paid_on >= %s AND d.paid_on <= %s AND {where}"
            " ORDER BY d.person_id, d.month",
            [*params, ctx.param(ctx.year_start), ctx.param(ctx.as_of), *wparams],
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


def _dec(value: object) -> Decimal | None:
    """A database amount as an exact decimal (SQLite may hand back a float or text)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(calc.CENT)
