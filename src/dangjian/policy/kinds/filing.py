"""filing: an organisation files a given filing for each period.

A filing counts for the period it reports on (its `period`), whenever it was made. It is on
time when made by the deadline: the end of the period plus the rule's reporting window
(`window_days`, default the pack's `filing_window_days`), or — with `due_months` — that many
months into the period (a list due at the start of the year). A filing made after the
deadline is a late filing: its own finding, naming the day it was made; none at all past
the deadline is a missing filing.

A year's report holds the filings whose deadline falls in that year: the report on the
second half of 2025, due in January 2026, is on 2026's schedule (period "2025-H2").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from dangjian.policy.context import Context, a_date, in_list
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import FILING_KINDS, S_COUNT, Kind, Rule, register
from dangjian.policy.periods import Period, add_months, day_before, periods_of_year
from dangjian.records.models import FilingKind

FILING_LABELS = dict(FilingKind.choices)
DEFAULT_WINDOW_DAYS = 0  # when neither the rule nor its pack states a window


def deadline(rule: Rule, per: Period) -> date:
    """The last day a filing for `per` is on time."""
    p = rule.params
    if p.get("due_months"):
        return day_before(add_months(per.start, p["due_months"]))
    return per.end + timedelta(days=int(p.get("window_days", DEFAULT_WINDOW_DAYS)))


def periods_due_in(rule: Rule, year: int) -> list[Period]:
    """The periods (of `year` and the year before) whose filing deadline falls in `year`."""
    out = []
    for y in (year - 1, year):
        for per in periods_of_year(y, rule.period):
            if deadline(rule, per).year == year:
                out.append(per)
    return out


@register
class Filing(Kind):
    name = "filing"
    subject = "org"
    key_params = ("filing_kind",)
    params_schema = {
        "type": "object",
        "properties": {
            "filing_kind": {"enum": list(FILING_KINDS)},
            "min": S_COUNT,
            "due_months": {"type": "integer", "minimum": 1, "maximum": 12},
            "window_days": {"type": "integer", "minimum": 0, "maximum": 366},
        },
        "required": ["filing_kind"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        p = rule.params
        periods = [per for per in periods_due_in(rule, ctx.year) if per.start <= ctx.as_of]
        orgs = ctx.orgs_of_types(rule.org_types)
        if not periods or not orgs:
            return
        dues = {per.key: deadline(rule, per) for per in periods}
        pcte, pparams = ctx.periods_cte(periods)
        types_sql, tparams = in_list(rule.org_types)
        where, wparams = ctx.path_like("o")
        # Every filing for the periods (by the period it reports on), made by the check day.
        rows = ctx.query(
            f"WITH {pcte} SELECT f.org_id, pr.pkey, f.ext_id, f.date"
            " FROM dj_filing f JOIN dj_organization o ON o.id = f.org_id"
            " JOIN periods pr ON pr.pkey = f.period AND f.date <= %s"
            f" WHERE f.kind = %s AND o.type IN {types_sql} AND {where}",
            [*pparams, ctx.param(ctx.as_of), p["filing_kind"], *tparams, *wparams],
        )
        made: dict[tuple[int, str], list[tuple[date, str]]] = {}
        for org_id, pkey, ext_id, day in rows:
            made.setdefault((org_id, pkey), []).append((a_date(day), ext_id))
        need = p.get("min", 1)
        label = FILING_LABELS[p["filing_kind"]]
        for org in orgs:
            for per in periods:
                if not org.exists_during(per.start, per.end):
                    continue
                ctx.evaluated.add(("organization", org.pk))
                due = dues[per.key]
                filings = sorted(made.get((org.pk, per.key), []))
                on_time = [ext for day, ext in filings if day <= due]
                late = [(day, ext) for day, ext in filings if day > due]
                n = len(on_time)
                first_late = late[0][0] if late and n < need else None
                ctx.record(
                    rule,
                    subject_pk=org.pk,
                    period=per,
                    due=due,
                    required=need,
                    actual=n,
                    met=n >= need,
                    evidence=[*on_time, *(ext for _, ext in late)],
                    made_on=first_late,
                )
                found = self._finding(ctx, rule, org.pk, per, due, n, need, late, label)
                if found is not None:
                    yield found

    def _finding(
        self,
        ctx: Context,
        rule: Rule,
        org_pk: int,
        per: Period,
        due: date,
        n: int,
        need: int,
        late: list[tuple[date, str]],
        label: str,
    ) -> Finding | None:
        org = ctx.orgs[org_pk]
        common: dict[str, Any] = {
            "subject": ctx.org_subject(org_pk),
            "period": per.key,
            "required": need,
            "actual": n,
            "due": due,
            "org": ctx.org_ref(org_pk),
        }
        if n >= need:
            return None
        if late:  # made, but after the deadline: violation, saying when
            days = "、".join(d.isoformat() for d, _ in late)
            return rule.finding(
                **common,
                severity="violation",
                evidence=[ext for _, ext in late],
                message=(
                    f"{org.name} {per.label}{label} 逾期报送：于 {days} 报送，"
                    f"晚于截止日 {due.isoformat()}"
                ),
            )
        sev = ctx.judge(per.start, due, n, need, rule.reminder_days)
        if sev is None:
            return None
        if sev == "violation":
            message = f"{org.name} {per.label}{label} 未报送（截止 {due.isoformat()}）"
        else:
            message = f"{org.name} {per.label}{label} 尚未报送，截止 {due.isoformat()}"
        return rule.finding(**common, severity=sev, evidence=[], message=message)
