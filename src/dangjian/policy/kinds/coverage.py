"""coverage_each: an obligation towards each subordinate organisation (or its head)."""

from __future__ import annotations

from collections.abc import Iterable

from dangjian.policy.context import Context, in_list, split_ids
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import S_ACTIVITY_KINDS, S_COUNT, S_ORG_TYPES, Kind, Rule, register
from dangjian.policy.kinds.frequency import KIND_LABELS


@register
class CoverageEach(Kind):
    name = "coverage_each"
    subject = "org"
    key_params = ("activity_kinds", "target_types", "about")
    params_schema = {
        "type": "object",
        "properties": {
            "activity_kinds": S_ACTIVITY_KINDS,
            "min": S_COUNT,
            "targets": {"enum": ["children", "descendants"]},
            "target_types": S_ORG_TYPES,
            "about": {"enum": ["org", "head"]},
        },
        "required": ["activity_kinds", "min", "target_types"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        p = rule.params
        periods = ctx.periods(rule.period)
        owners = ctx.orgs_of_types(rule.org_types)
        if not periods or not owners:
            return
        pcte, pparams = ctx.periods_cte(periods)
        kinds_sql, kparams = in_list(p["activity_kinds"])
        where, wparams = ctx.path_like("o")
        about_head = p.get("about", "org") == "head"
        if about_head:
            # The activity is about a person who headed (was secretary of) the target in the period.
            target = (
                "JOIN dj_position ps ON ps.person_id = a.subject_person_id"
                " AND ps.role = 'secretary'"
                ' AND ps.start <= pr.end_d AND (ps."end" IS NULL OR ps."end" >= pr.start_d)'
            )
            target_col = "ps.org_id"
        else:
            target = ""
            target_col = "a.subject_org_id"
        dated, dparams = ctx.dated("a.date", periods)
        rows = ctx.query(
            f"WITH {pcte} SELECT a.org_id, {target_col}, pr.pkey, COUNT(DISTINCT a.id),"
            f" {ctx.agg_ids('a.ext_id')}"
            " FROM dj_activity a JOIN dj_organization o ON o.id = a.org_id"
            f" JOIN periods pr ON a.date >= pr.start_d AND a.date <= pr.end_d {target}"
            f" WHERE a.kind IN {kinds_sql} AND {where} AND {target_col} IS NOT NULL AND {dated}"
            f" GROUP BY a.org_id, {target_col}, pr.pkey",
            [*pparams, *kparams, *wparams, *dparams],
        )
        counts = {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows}
        need = p["min"]
        types = set(p["target_types"])
        what = "、".join(KIND_LABELS.get(k, k) for k in p["activity_kinds"])
        for owner in owners:
            if p.get("targets", "children") == "children":
                targets = [o for o in ctx.children(owner.pk) if o.type in types]
            else:
                targets = [o for o in ctx.descendants(owner.pk) if o.type in types]
            for per in periods:
                if not owner.exists_during(per.start, per.end):
                    continue
                ctx.evaluated.add(("organization", owner.pk))
                for t in targets:
                    if not t.exists_during(per.start, per.end):
                        continue
                    n, ids = counts.get((owner.pk, t.pk, per.key), (0, ""))
                    sev = ctx.judge(per.start, per.end, n, need, rule.reminder_days)
                    if sev is None:
                        continue
                    whom = f"{t.name}负责人" if about_head else t.name
                    yield rule.finding(
                        subject=ctx.org_subject(owner.pk),
                        period=per.key,
                        severity=sev,
                        required=need,
                        actual=n,
                        due=per.end,
                        evidence=[t.ext_id, *split_ids(ids)],
                        message=f"{owner.name} {per.label}对{whom}的{what} {n} 次，少于 {need} 次",
                        org=ctx.org_ref(owner.pk),
                    )
