"""person_quota: selected people reach at least N of a measure per period."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from dangjian.policy.context import Context, covers, in_list, num_out, split_ids, to_num
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import (
    CTE_SELECTORS,
    S_ACTIVITY_KINDS,
    S_NUMBER,
    S_TRAINING_KINDS,
    TRAINING_KINDS,
    Kind,
    Rule,
    register,
    subject_rows,
)
from dangjian.policy.kinds.frequency import KIND_LABELS
from dangjian.policy.periods import Period, judge
from dangjian.records.models import TrainingKind

TRAINING_LABELS = dict(TrainingKind.choices)

MEASURES = ("training_hours", "training_count", "lessons_given", "attended", "participated")


def facts_sql(
    ctx: Context, rule: Rule, scope: Callable[[str], str], bounds: list[Any], *, few: bool
) -> tuple[str, list[Any]]:
    """`(person_id, ext_id, date, value, org_id)` rows the measure adds up, of the people
    `scope(person id column)` admits (Context.person_scope), dated within `bounds` (the
    first and last day any period reads: a database keeps years of records). `few`: the
    scope names a few people (whose evidence is looked up): their attendance is read
    from them, not activity by activity (Context.with_activity)."""
    dated = ctx.between
    p = rule.params
    m = p["measure"]
    if m in ("training_hours", "training_count"):
        sql, ps = in_list(p.get("training_kinds") or list(TRAINING_KINDS))
        value = "t.hours" if m == "training_hours" else "1"
        return (
            f"SELECT t.person_id, t.ext_id, t.date, {value} AS val, NULL AS org_id"
            f" FROM dj_training t WHERE t.kind IN {sql} AND {dated('t.date')}"
            f" AND {scope('t.person_id')}",
            [*ps, *bounds],
        )
    sql, ps = in_list(p["activity_kinds"])
    ps = [*ps, *bounds]
    # Present (dj_attendance), or absent and made up later (补学, dj_absence with a
    # make-up date): both count as attending, dated by the meeting. An absence
    # without a make-up never counts.
    attended = (
        "SELECT at.person_id AS person_id, a.ext_id, a.date, 1 AS val, a.org_id"
        f" FROM {ctx.with_activity('dj_attendance', 'at', 'at.person_id', few=few)}"
        f" WHERE a.kind IN {sql} AND {dated('a.date')} AND {scope('at.person_id')}"
        " UNION ALL SELECT ab.person_id AS person_id, a.ext_id, a.date, 1 AS val, a.org_id"
        f" FROM {ctx.with_activity('dj_absence', 'ab', 'ab.person_id, ab.made_up_on', few=few)}"
        f" WHERE ab.made_up_on IS NOT NULL AND a.kind IN {sql} AND {dated('a.date')}"
        f" AND {scope('ab.person_id')}"
    )
    attended_ps = ps * 2
    spoke = (
        "SELECT a.speaker_id AS person_id, a.ext_id, a.date, 1 AS val, a.org_id FROM dj_activity a"
        f" WHERE a.speaker_id IS NOT NULL AND a.kind IN {sql} AND {dated('a.date')}"
        f" AND {scope('a.speaker_id')}"
    )
    about = (
        "SELECT a.subject_person_id AS person_id, a.ext_id, a.date, 1 AS val, a.org_id"
        " FROM dj_activity a"
        f" WHERE a.subject_person_id IS NOT NULL AND a.kind IN {sql} AND {dated('a.date')}"
        f" AND {scope('a.subject_person_id')}"
    )
    if m == "attended":
        return attended, attended_ps
    if m == "lessons_given":
        return spoke, ps
    # participated: one activity counts once per person even if they spoke and attended
    # (an activity's rows share its date: bounding each part keeps whole activities)
    return (
        "SELECT person_id, ext_id, MIN(date) AS date, 1 AS val, MIN(org_id) AS org_id FROM ("
        f"{attended} UNION ALL {spoke} UNION ALL {about}) u GROUP BY person_id, ext_id",
        attended_ps + ps * 2,
    )


@register
class PersonQuota(Kind):
    name = "person_quota"
    weight = 4
    python_heavy = True
    selectors = CTE_SELECTORS
    subject = "person"
    key_params = ("measure", "training_kinds", "activity_kinds")
    params_schema = {
        "type": "object",
        "properties": {
            "measure": {"enum": list(MEASURES)},
            "training_kinds": S_TRAINING_KINDS,
            "activity_kinds": S_ACTIVITY_KINDS,
            "own_org": {"type": "boolean"},
            "min": S_NUMBER,
            "window_years": {"type": "integer", "minimum": 1, "maximum": 10},
        },
        "required": ["measure", "min"],
        "additionalProperties": False,
        "allOf": [
            {
                "if": {
                    "properties": {
                        "measure": {"enum": ["lessons_given", "attended", "participated"]}
                    }
                },
                "then": {"required": ["activity_kinds"]},
            }
        ],
    }

    def measure_key(self, params: dict[str, Any]) -> tuple[Any, ...]:
        m = params.get("measure")
        if m in ("training_hours", "training_count"):
            kinds = tuple(sorted(params.get("training_kinds") or TRAINING_KINDS))
        else:
            kinds = tuple(sorted(params.get("activity_kinds") or ()))
        return (m, kinds, bool(params.get("own_org")))

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        p = rule.params
        periods = ctx.periods(rule.period)
        if not periods:
            return
        window = int(p.get("window_years") or 1)
        starts = [[date(per.start.year - window + 1, per.start.month, 1)] for per in periods]
        pcte, pparams = ctx.periods_cte(periods, extra=starts)
        bounds = [
            ctx.param(min(start for (start,) in starts)),
            ctx.param(max(per.end for per in periods)),
        ]
        own = p.get("own_org") and not p["measure"].startswith("training")

        def facts_cte(scope: Callable[[str], str], few: bool = False) -> tuple[str, list[Any]]:
            """`facts` of the people `scope` admits (and `spans` when they count only in
            their own org)."""
            fsql, fparams = facts_sql(ctx, rule, scope, bounds, few=few)
            if not own:
                return f"facts AS ({fsql})", fparams
            # Only activities held by the org the person belonged to on that day: a join
            # (not a correlated EXISTS) so every database can hash or index it.
            return (
                f"{ctx.spans_cte()}, facts0 AS ({fsql}), facts AS (SELECT f0.* FROM facts0 f0"
                " JOIN spans s2 ON s2.person_id = f0.person_id AND s2.org_id = f0.org_id"
                f" AND {covers('s2', 'f0.date')})",
                fparams,
            )

        rows = self._short(ctx, rule, periods, (pcte, pparams), facts_cte)
        yield from self._findings(ctx, rule, periods, window, rows)

    @staticmethod
    def _short(
        ctx: Context,
        rule: Rule,
        periods: list[Period],
        periods_sql: tuple[str, list[Any]],
        facts_cte: Callable[..., tuple[str, list[Any]]],
    ) -> list[tuple[Any, ...]]:
        """`(person_id, pkey, org_id, total, ids)` of the subjects short of the minimum.

        Several rules count the same facts over the same periods (hours of every member,
        of the leadership team …): one pass over the facts gives every person's total per
        period, shared through `ctx.memo`; each rule reads its subjects (shared too, see
        `subject_rows`), keeps those short of its minimum, and only then collects the
        evidence ids of those (the facts of those people only, by index).
        """
        pcte, pparams = periods_sql

        def per_period(columns: str) -> tuple[str, list[Any]]:
            """SQL after `facts`: `person_id, pkey, columns` per person and period. The
            facts lie within the periods' first and last days: of one period (a yearly
            rule) they are all its own, and grouped by person alone SQLite reads the
            training index in its order, without a temporary B-tree (the year's hours at
            200k members: 0.80 → 0.44 s)."""
            if len(periods) == 1:
                return (
                    f" SELECT f.person_id, %s, {columns} FROM facts f GROUP BY f.person_id",
                    [periods[0].key],
                )
            return (
                f", {pcte} SELECT f.person_id, pr.pkey, {columns}"
                " FROM facts f JOIN periods pr ON f.date >= pr.x1 AND f.date <= pr.end_d"
                " GROUP BY f.person_id, pr.pkey",
                pparams,
            )

        fcte, fparams = facts_cte(ctx.person_scope)
        # With the schedule asked for, every subject (met or not) is a line of it, with its
        # evidence: then the one pass collects the ids too.
        every = ctx.schedule is not None
        ids_sql = f", {ctx.agg_ids('f.ext_id')}" if every else ", NULL"
        key = ("person_quota.totals", every, pcte, tuple(pparams), fcte, tuple(fparams))

        def totals_of_everyone() -> dict[tuple[int, str], tuple[Any, Any]]:
            sql, params = per_period(f"SUM(f.val){ids_sql}")
            rows = ctx.query(f"WITH {fcte}{sql}", [*fparams, *params])
            return {(person_id, pkey): (total, ids) for person_id, pkey, total, ids in rows}

        totals = ctx.once(key, totals_of_everyone)
        need = rule.params["min"]
        none = (0, None)
        short = []
        for pkey, person_id, org_id in subject_rows(ctx, rule, periods):
            total, ids = totals.get((person_id, pkey), none)
            if every or to_num(total) < need:
                short.append((person_id, pkey, org_id, total, ids))
        if every or not short:
            return short
        # Evidence only of those with some fact in the period: a subject and period without
        # a total has none (the same facts, the same periods), and most of the short have
        # nothing at all (a talk a year: 6,000 members of 186,000 at 200k). The query is
        # made all the same, so the number of queries does not depend on the data.
        ids_list, ids_params = ctx.id_list_sql(
            sorted({row[0] for row in short if (row[0], row[1]) in totals})
        )

        def scope(col: str) -> str:
            return f"{ctx.person_scope(col)} AND {col} IN (SELECT id FROM ids)"

        fcte, fparams = facts_cte(scope, few=True)
        sql, params = per_period(ctx.agg_ids("f.ext_id"))
        evidence = {
            (person_id, pkey): ids
            for person_id, pkey, ids in ctx.query(
                f"WITH ids(id) AS ({ids_list}), {fcte}{sql}", [*ids_params, *fparams, *params]
            )
        }
        return [
            (person_id, pkey, org_id, total, evidence.get((person_id, pkey)))
            for person_id, pkey, org_id, total, _ in short
        ]

    def _findings(
        self,
        ctx: Context,
        rule: Rule,
        periods: list[Any],
        window: int,
        rows: Iterable[tuple[Any, ...]],
    ) -> Iterable[Finding]:
        p = rule.params
        by_key = {per.key: per for per in periods}
        need = p["min"]
        need_out = num_out(need)
        label = self.what(rule)
        unit = "学时" if p["measure"] == "training_hours" else "次"
        span = f"近{window}年" if window > 1 else ""
        # Hoisted out of the loop: the biggest rules yield a finding for most members
        # (and most of them the same figures): each judgement and figure is made once.
        as_of, reminder = ctx.as_of, rule.reminder_days
        qid, source = rule.qualified_id, rule._source
        ends = {per.key: per.end.isoformat() for per in periods}
        judged: dict[tuple[str, float], str | None] = {}
        outs: dict[float, int | float] = {}
        for person_id, pkey, org_id, total, ids in rows:
            per = by_key[pkey]
            actual = to_num(total)
            if ctx.schedule is not None:
                ctx.record(
                    rule,
                    subject_type="person",
                    subject_pk=person_id,
                    org_pk=org_id,
                    period=per,
                    due=per.end,
                    required=need_out,
                    actual=num_out(actual),
                    met=actual >= need,
                    evidence=split_ids(ids),
                )
                if actual >= need:
                    continue
            if (pkey, actual) in judged:
                sev = judged[pkey, actual]
            else:
                sev = judged[pkey, actual] = judge(
                    start=per.start,
                    due=per.end,
                    actual=actual,
                    required=need,
                    as_of=as_of,
                    reminder_days=reminder,
                )
            if sev is None:
                continue
            subject = ctx.person_subject(person_id)
            if actual in outs:
                actual_out = outs[actual]
            else:
                actual_out = outs[actual] = num_out(actual)
            yield Finding(
                rule=qid,
                source=source,
                subject=subject,
                period=pkey,
                severity=sev,
                required=need_out,
                actual=actual_out,
                due=ends[pkey],
                evidence=split_ids(ids),
                message=(
                    f"{subject['name']} {per.label}{span}{label} {actual_out}"
                    f" {unit}，少于 {need_out} {unit}"
                ),
                org=ctx.org_ref(org_id),
            )

    @staticmethod
    def what(rule: Rule) -> str:
        p = rule.params
        m = p["measure"]
        if m == "training_hours":
            kinds = p.get("training_kinds") or list(TRAINING_KINDS)
            return "集中学习培训" if len(kinds) > 1 else TRAINING_LABELS[kinds[0]]
        if m == "training_count":
            kinds = p.get("training_kinds") or list(TRAINING_KINDS)
            return "、".join(TRAINING_LABELS[k] for k in kinds)
        kinds = "、".join(KIND_LABELS.get(k, k) for k in p["activity_kinds"])
        verb = {"lessons_given": "讲", "attended": "参加", "participated": "参加"}[m]
        return f"{verb}{kinds}"
