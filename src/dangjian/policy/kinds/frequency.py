"""org_frequency: organisations hold at least N activities of given kinds per period."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dangjian.policy.context import Context, covers, full_member_on, in_list
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import S_ACTIVITY_KINDS, S_COUNT, Kind, Rule, register
from dangjian.policy.periods import Period
from dangjian.records.models import ActivityKind

KIND_LABELS = dict(ActivityKind.choices)


def full_member_counts(ctx: Context, periods: Sequence[Period]) -> dict[tuple[int, str], int]:
    """Full members per (org, period) on the period's check day, honouring transfers.

    One pass over people, one column per period (a pivot): people without transfers
    count in their own org; the few with transfers through their membership spans.
    """
    plain_cols, moved_cols = [], []
    plain_params: list[Any] = []
    moved_params: list[Any] = []
    for per in periods:
        day = ctx.param(min(per.end, ctx.as_of))
        cond = full_member_on("p", "%s")
        plain_cols.append(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)")
        plain_params.extend([day] * cond.count("%s"))
        cond = f"{cond} AND {covers('s', '%s')}"
        moved_cols.append(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)")
        moved_params.extend([day] * cond.count("%s"))
    rows = ctx.query(
        f"WITH {ctx.transfer_spans_cte()} SELECT p.org_id, {', '.join(plain_cols)}"
        f" FROM dj_person p WHERE p.status = 'full' AND {ctx.person_scope('p.id')}"
        " AND NOT EXISTS (SELECT 1 FROM dj_transfer tx WHERE tx.person_id = p.id)"
        " GROUP BY p.org_id"
        f" UNION ALL SELECT s.org_id, {', '.join(moved_cols)} FROM dj_person p"
        " JOIN tspans s ON s.person_id = p.id WHERE p.status = 'full' GROUP BY s.org_id",
        [*plain_params, *moved_params],
    )
    out: dict[tuple[int, str], int] = {}
    for row in rows:
        for per, n in zip(periods, row[1:], strict=True):
            if n and row[0] is not None:
                out[(row[0], per.key)] = out.get((row[0], per.key), 0) + int(n)
    return out


@register
class OrgFrequency(Kind):
    name = "org_frequency"
    weight = 2
    subject = "org"
    key_params = ("activity_kinds",)
    params_schema = {
        "type": "object",
        "properties": {
            "activity_kinds": S_ACTIVITY_KINDS,
            "min": S_COUNT,
            "min_full_members": S_COUNT,
            "held_by": {"enum": ["self", "self_or_children"]},
        },
        "required": ["activity_kinds", "min"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        p = rule.params
        periods = ctx.periods(rule.period)
        orgs = ctx.orgs_of_types(rule.org_types)
        if not periods or not orgs:
            return
        pcte, pparams = ctx.periods_cte(periods)
        kinds_sql, kinds_params = in_list(p["activity_kinds"])
        types_sql, types_params = in_list(rule.org_types)
        where, wparams = ctx.path_like("o")
        dated, dparams = ctx.dated("x.date", periods)
        if p.get("held_by") == "self_or_children":
            owner = (
                "(SELECT a.id, a.ext_id, a.date, a.kind, a.org_id AS owner FROM dj_activity a"
                " UNION ALL SELECT a.id, a.ext_id, a.date, a.kind, c.parent_id FROM dj_activity a"
                " JOIN dj_organization c ON c.id = a.org_id WHERE c.parent_id IS NOT NULL)"
            )
        else:
            owner = "(SELECT a.id, a.ext_id, a.date, a.kind, a.org_id AS owner FROM dj_activity a)"
        rows = ctx.query(
            f"WITH {pcte} SELECT x.owner, pr.pkey, COUNT(*), {ctx.agg_ids('x.ext_id')}"
            f" FROM {owner} x JOIN dj_organization o ON o.id = x.owner"
            " JOIN periods pr ON x.date >= pr.start_d AND x.date <= pr.end_d"
            f" WHERE x.kind IN {kinds_sql} AND o.type IN {types_sql} AND {where} AND {dated}"
            " GROUP BY x.owner, pr.pkey",
            [*pparams, *kinds_params, *types_params, *wparams, *dparams],
        )
        counts = {(r[0], r[1]): (r[2], r[3]) for r in rows}
        sizes = None
        if p.get("min_full_members"):
            sizes = full_member_counts(ctx, periods)
        need = p["min"]
        what = "、".join(KIND_LABELS.get(k, k) for k in p["activity_kinds"])
        for org in orgs:
            for per in periods:
                if not org.exists_during(per.start, per.end):
                    continue
                if sizes is not None and sizes.get((org.pk, per.key), 0) < p["min_full_members"]:
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
                    evidence=(ids or "").split(",") if ids else [],
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
                    evidence=(ids or "").split(",") if ids else [],
                    message=f"{org.name} {per.label}{what} {n} 次，少于 {need} 次",
                    org=ctx.org_ref(org.pk),
                )
