"""organ_org_frequency: the department's organ-level party organisation holds activities.

Local documents (danyang-2020 二) oblige "the organ party organisation" (机关党组织) of a
department: its organ committee, or, in a smaller department, the general branch or branch
that the party group leads directly. Organisation types alone cannot say which branches
those are, so this kind checks organisations of the given types whose parent is of a
`led_by` type (default: party_group).
"""

from __future__ import annotations

from collections.abc import Iterable

from dangjian.policy.context import Context, in_list, split_ids
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import S_ACTIVITY_KINDS, S_COUNT, S_ORG_TYPES, Kind, Rule, register
from dangjian.policy.kinds.frequency import KIND_LABELS


@register
class OrganOrgFrequency(Kind):
    name = "organ_org_frequency"
    subject = "org"
    key_params = ("activity_kinds", "led_by")
    params_schema = {
        "type": "object",
        "properties": {
            "activity_kinds": S_ACTIVITY_KINDS,
            "min": S_COUNT,
            "led_by": S_ORG_TYPES,
        },
        "required": ["activity_kinds", "min"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        p = rule.params
        periods = ctx.periods(rule.period)
        if not periods:
            return
        types_sql, tparams = in_list(rule.org_types)
        led_sql, lparams = in_list(p.get("led_by") or ["party_group"])
        where, wparams = ctx.path_like("o")
        # The subjects: read the parent's type in SQL, as with --org the parent may lie
        # outside the checked subtree.
        subject_ids = {
            r[0]
            for r in ctx.query(
                "SELECT o.id FROM dj_organization o"
                " JOIN dj_organization par ON par.id = o.parent_id"
                f" WHERE o.type IN {types_sql} AND par.type IN {led_sql} AND {where}",
                [*tparams, *lparams, *wparams],
            )
        }
        orgs = [o for o in ctx.orgs_of_types(rule.org_types) if o.pk in subject_ids]
        if not orgs:
            return
        pcte, pparams = ctx.periods_cte(periods)
        kinds_sql, kparams = in_list(p["activity_kinds"])
        dated, dparams = ctx.dated("a.date", periods)
        rows = ctx.query(
            f"WITH {pcte} SELECT a.org_id, pr.pkey, COUNT(*), {ctx.agg_ids('a.ext_id')}"
            " FROM dj_activity a JOIN dj_organization o ON o.id = a.org_id"
            " JOIN periods pr ON a.date >= pr.start_d AND a.date <= pr.end_d"
            f" WHERE a.kind IN {kinds_sql} AND o.type IN {types_sql} AND {where} AND {dated}"
            " GROUP BY a.org_id, pr.pkey",
            [*pparams, *kparams, *tparams, *wparams, *dparams],
        )
        counts = {(r[0], r[1]): (r[2], r[3]) for r in rows}
        need = p["min"]
        what = "、".join(KIND_LABELS.get(k, k) for k in p["activity_kinds"])
        for org in orgs:
            for per in periods:
                if not org.exists_during(per.start, per.end):
                    continue
                ctx.evaluated.add(("organization", org.pk))
                n, ids = counts.get((org.pk, per.key), (0, ""))
                ctx.record(
                    rule,
                    subject_pk=org.pk,
                    period=per,
                    due=per.end,
                    required=need,
                    actual=n,
                    met=n >= need,
                    evidence=split_ids(ids),
                )
                sev = ctx.judge(per.start, per.end, n, need, rule.reminder_days)
                if sev is None:
                    continue
                yield rule.finding(
                    subject=ctx.org_subject(org.pk),
                    period=per.key,
                    severity=sev,
                    required=need,
                    actual=n,
                    due=per.end,
                    evidence=split_ids(ids) or [org.ext_id],
                    message=f"{org.name} {per.label}{what} {n} 次，少于 {need} 次",
                    org=ctx.org_ref(org.pk),
                )
