"""filing: an organisation files a given filing for each period."""

from __future__ import annotations

from collections.abc import Iterable

from dangjian.policy.context import Context, in_list, split_ids
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import FILING_KINDS, S_COUNT, Kind, Rule, register
from dangjian.policy.periods import add_months, day_before
from dangjian.records.models import FilingKind

FILING_LABELS = dict(FilingKind.choices)


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
        },
        "required": ["filing_kind"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        p = rule.params
        periods = ctx.periods(rule.period)
        orgs = ctx.orgs_of_types(rule.org_types)
        if not periods or not orgs:
            return
        dues = {
            per.key: (
                day_before(add_months(per.start, p["due_months"]))
                if p.get("due_months")
                else per.end
            )
            for per in periods
        }
        pcte, pparams = ctx.periods_cte(periods, extra=[[dues[per.key]] for per in periods])
        types_sql, tparams = in_list(rule.org_types)
        where, wparams = ctx.path_like("o")
        rows = ctx.query(
            f"WITH {pcte} SELECT f.org_id, pr.pkey, COUNT(*), {ctx.agg_ids('f.ext_id')}"
            " FROM dj_filing f JOIN dj_organization o ON o.id = f.org_id"
            " JOIN periods pr ON pr.pkey = f.period AND f.date <= pr.x1 AND f.date <= %s"
            f" WHERE f.kind = %s AND o.type IN {types_sql} AND {where}"
            " GROUP BY f.org_id, pr.pkey",
            [*pparams, ctx.param(ctx.as_of), p["filing_kind"], *tparams, *wparams],
        )
        counts = {(r[0], r[1]): (r[2], r[3]) for r in rows}
        need = p.get("min", 1)
        label = FILING_LABELS[p["filing_kind"]]
        for org in orgs:
            for per in periods:
                if not org.exists_during(per.start, per.end):
                    continue
                ctx.evaluated.add(("organization", org.pk))
                n, ids = counts.get((org.pk, per.key), (0, ""))
                due = dues[per.key]
                sev = ctx.judge(per.start, due, n, need, rule.reminder_days)
                if sev is None:
                    continue
                yield rule.finding(
                    subject=ctx.org_subject(org.pk),
                    period=per.key,
                    severity=sev,
                    required=need,
                    actual=n,
                    due=due,
                    evidence=split_ids(ids),
                    message=(
                        f"{org.name} {per.label}{label} 报送 {n}"
                        f" 次，少于 {need} 次（截止 {due.isoformat()}）"
                    ),
                    org=ctx.org_ref(org.pk),
                )
