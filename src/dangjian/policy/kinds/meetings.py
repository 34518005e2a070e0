"""Who attends a meeting: quorum (到会过半) and attendance by the higher organisation.

- meeting_quorum: each activity of `activity_kinds` held by an organisation of the
  rule's types has at least `min_share` of the members with a vote (full members of
  the organisation on the day; probationary members have none) among its attendees.
- attended_by_higher: of the activities of `activity_kinds` an organisation held in
  the period, at least `min` were attended by someone holding a post (`roles`) on that
  day in an organisation of `higher_types` above it. An organisation that held none is
  not reported here (the frequency rule for those activities reports that).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dangjian.policy.context import (
    Context,
    covers,
    full_member_on,
    in_list,
    num_out,
    split_ids,
    to_date,
)
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import (
    S_ACTIVITY_KINDS,
    S_COUNT,
    S_ORG_TYPES,
    S_ROLES,
    Kind,
    Rule,
    register,
)
from dangjian.policy.kinds.frequency import KIND_LABELS
from dangjian.policy.kinds.structure import ORG_LABELS, ROLE_LABELS


@register
class MeetingQuorum(Kind):
    name = "meeting_quorum"
    weight = 4
    subject = "org"
    periods = ("year",)
    key_params = ("activity_kinds",)
    params_schema = {
        "type": "object",
        "properties": {
            "activity_kinds": S_ACTIVITY_KINDS,
            "min_share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        },
        "required": ["activity_kinds", "min_share"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        if ctx.as_of < ctx.year_start:
            return
        p = rule.params
        kinds_sql, kparams = in_list(p["activity_kinds"])
        types_sql, tparams = in_list(rule.org_types)
        where, wparams = ctx.path_like("o")
        day = ctx.param(ctx.check_day)
        start = ctx.param(ctx.year_start)
        # Set-based, not a subquery per activity (which made PostgreSQL rebuild the
        # transfer spans once per activity). On SQLite, one pass over each meeting's
        # voters (full members of the holding org on the day) counts them and, by the attendance's
        # unique index, those of them present: everyone counted in their own org, then the
        # few with transfers corrected, out of their own org and into their membership
        # span's. (Voters depend on the org and day only, so a meeting's count is that of
        # its (org, day).)
        full_x = full_member_on("p", "x.date")
        if ctx.vendor == "postgresql":
            rows = self._counts_postgresql(ctx, kinds_sql, kparams, types_sql, tparams)
        else:
            rows = ctx.query(
                f"WITH {ctx.transfer_spans_cte()}, acts AS (SELECT a.id, a.ext_id, a.org_id, a.date"
                " FROM dj_activity a JOIN dj_organization o ON o.id = a.org_id"
                f" WHERE a.kind IN {kinds_sql} AND o.type IN {types_sql} AND {where}"
                " AND a.date >= %s AND a.date <= %s),"
                " moved AS (SELECT DISTINCT person_id FROM dj_transfer),"
                " counts AS (SELECT id, SUM(v) AS v, SUM(n) AS n FROM ("
                " SELECT x.id, COUNT(*) AS v, COUNT(at.person_id) AS n FROM acts x"
                " JOIN dj_person p ON p.org_id = x.org_id"
                " LEFT JOIN dj_attendance at ON at.activity_id = x.id AND at.person_id = p.id"
                f" WHERE {full_x} GROUP BY x.id"
                " UNION ALL SELECT x.id, -COUNT(*), -COUNT(at.person_id) FROM moved m"
                " JOIN dj_person p ON p.id = m.person_id JOIN acts x ON x.org_id = p.org_id"
                " LEFT JOIN dj_attendance at ON at.activity_id = x.id AND at.person_id = p.id"
                f" WHERE {full_x} GROUP BY x.id"
                " UNION ALL SELECT x.id, COUNT(*), COUNT(at.person_id) FROM tspans s"
                f" JOIN acts x ON x.org_id = s.org_id AND {covers('s', 'x.date')}"
                " JOIN dj_person p ON p.id = s.person_id"
                " LEFT JOIN dj_attendance at ON at.activity_id = x.id AND at.person_id = p.id"
                f" WHERE {full_x} GROUP BY x.id) c GROUP BY id)"
                " SELECT x.id, x.ext_id, x.org_id, x.date, COALESCE(c.v, 0), COALESCE(c.n, 0)"
                " FROM acts x LEFT JOIN counts c ON c.id = x.id",
                [*kparams, *tparams, *wparams, start, day],
            )
        share = float(p["min_share"])
        what = "、".join(KIND_LABELS.get(k, k) for k in p["activity_kinds"])
        for _, ext_id, org_id, on, n_voters, n_present in rows:
            # SUM gives PostgreSQL a numeric: back to ints.
            voters, present = int(n_voters), int(n_present)
            org = ctx.orgs.get(org_id)
            if org is None or not voters:
                continue
            ctx.evaluated.add(("organization", org_id))
            if present >= voters * share:
                continue
            on = to_date(on)
            yield rule.finding(
                subject=ctx.org_subject(org_id),
                period=on.isoformat() if on else str(ctx.year),
                severity="violation",
                required=num_out(voters * share),
                actual=present,
                due=on,
                evidence=[ext_id],
                message=(
                    f"{org.name} {on.isoformat() if on else ''} {what}应到有表决权的党员"
                    f" {voters} 名，实到 {present} 名，不足半数，不能进行表决"
                ),
                org=ctx.org_ref(org_id),
            )

    @staticmethod
    def _counts_postgresql(
        ctx: Context, kinds_sql: str, kparams: list[Any], types_sql: str, tparams: list[Any]
    ) -> list[tuple[Any, ...]]:
        """The same counts on PostgreSQL, voters and those present apart: joined to the
        attendance as one pass (as on SQLite), it hashes the whole attendance table."""
        where, wparams = ctx.path_like("o")
        day = ctx.param(ctx.check_day)
        start = ctx.param(ctx.year_start)
        # Voters per (org, day) a meeting was held on,
        # and per activity the attendees who were voters of the holding org on the day:
        # everyone counted in their own org, then the few with transfers corrected, out of
        # their own org and into their membership span's.
        full_d = full_member_on("p", "d.date")
        full_x = full_member_on("p", "x.date")
        # A member who was full from before the year's first day until after the check day
        # is a voter on every day a meeting can fall on: counted once per org (most members
        # are), and only the others joined day by day.
        always = (
            "p.status = 'full' AND (p.full_on IS NULL OR p.full_on <= %s)"
            " AND (p.left_on IS NULL OR p.left_on > %s)"
        )
        return ctx.query(
            f"WITH {ctx.transfer_spans_cte()}, acts AS (SELECT a.id, a.ext_id, a.org_id, a.date"
            " FROM dj_activity a JOIN dj_organization o ON o.id = a.org_id"
            f" WHERE a.kind IN {kinds_sql} AND o.type IN {types_sql} AND {where}"
            " AND a.date >= %s AND a.date <= %s),"
            " moved AS (SELECT DISTINCT person_id FROM dj_transfer),"
            " days AS (SELECT DISTINCT org_id, date FROM acts),"
            " voters AS (SELECT org_id, date, SUM(n) AS n FROM ("
            " SELECT d.org_id, d.date, s.n FROM days d JOIN (SELECT p.org_id, COUNT(*) AS n"
            f" FROM dj_person p WHERE {always} GROUP BY p.org_id) s ON s.org_id = d.org_id"
            " UNION ALL SELECT d.org_id, d.date, COUNT(*) AS n FROM days d"
            f" JOIN dj_person p ON p.org_id = d.org_id WHERE {full_d} AND NOT ({always})"
            " GROUP BY d.org_id, d.date"
            " UNION ALL SELECT d.org_id, d.date, -COUNT(*) FROM days d"
            " JOIN dj_person p ON p.org_id = d.org_id"
            f" JOIN moved m ON m.person_id = p.id WHERE {full_d} GROUP BY d.org_id, d.date"
            " UNION ALL SELECT d.org_id, d.date, COUNT(*) FROM days d"
            f" JOIN tspans s ON s.org_id = d.org_id AND {covers('s', 'd.date')}"
            f" JOIN dj_person p ON p.id = s.person_id WHERE {full_d}"
            " GROUP BY d.org_id, d.date) v GROUP BY org_id, date),"
            " present AS (SELECT id, SUM(n) AS n FROM ("
            # A CASE, not a WHERE: as a join condition PostgreSQL estimates "own org" at
            # one row in thousands (most attendees are) and sorts a million rows to group.
            f" SELECT x.id, SUM(CASE WHEN p.org_id = x.org_id AND {full_x} THEN 1 ELSE 0 END)"
            " AS n FROM acts x JOIN dj_attendance at ON at.activity_id = x.id"
            " JOIN dj_person p ON p.id = at.person_id GROUP BY x.id"
            " UNION ALL SELECT x.id, -COUNT(*) FROM moved m"
            " JOIN dj_attendance at ON at.person_id = m.person_id"
            " JOIN acts x ON x.id = at.activity_id"
            " JOIN dj_person p ON p.id = at.person_id AND p.org_id = x.org_id"
            f" WHERE {full_x} GROUP BY x.id"
            " UNION ALL SELECT x.id, COUNT(*) FROM tspans s"
            " JOIN dj_attendance at ON at.person_id = s.person_id"
            f" JOIN acts x ON x.id = at.activity_id AND s.org_id = x.org_id"
            f" AND {covers('s', 'x.date')}"
            f" JOIN dj_person p ON p.id = at.person_id WHERE {full_x} GROUP BY x.id) c"
            " GROUP BY id)"
            " SELECT x.id, x.ext_id, x.org_id, x.date, COALESCE(v.n, 0), COALESCE(pr.n, 0)"
            " FROM acts x LEFT JOIN voters v ON v.org_id = x.org_id AND v.date = x.date"
            " LEFT JOIN present pr ON pr.id = x.id",
            [*kparams, *tparams, *wparams, start, day, start, day, start, day],
        )


@register
class AttendedByHigher(Kind):
    name = "attended_by_higher"
    subject = "org"
    key_params = ("activity_kinds", "higher_types")
    params_schema = {
        "type": "object",
        "properties": {
            "activity_kinds": S_ACTIVITY_KINDS,
            "higher_types": S_ORG_TYPES,
            "roles": S_ROLES,
            "min": S_COUNT,
        },
        "required": ["activity_kinds", "higher_types", "min"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        p = rule.params
        periods = ctx.periods(rule.period)
        orgs = ctx.orgs_of_types(rule.org_types)
        if not periods or not orgs:
            return
        higher = set(p["higher_types"])
        # The organisations with a higher organisation of those types in the tree.
        above: dict[int, list[int]] = {}
        for o in orgs:
            ups, cur = [], ctx.orgs.get(o.parent_id) if o.parent_id else None
            while cur is not None:
                if cur.type in higher:
                    ups.append(cur.pk)
                cur = ctx.orgs.get(cur.parent_id) if cur.parent_id else None
            if ups:
                above[o.pk] = ups
        if not above:
            return
        pcte, pparams = ctx.periods_cte(periods)
        kinds_sql, kparams = in_list(p["activity_kinds"])
        types_sql, tparams = in_list(rule.org_types)
        higher_sql, hparams = in_list(sorted(higher))
        where, wparams = ctx.path_like("o")
        dated, dparams = ctx.dated("a.date", periods)
        role_sql = ""
        rparams: list[Any] = []
        if p.get("roles"):
            sql, rparams = in_list(p["roles"])
            role_sql = f" AND ps.role IN {sql}"
        # Held: every activity of the kinds; attended: those with a post holder of a higher
        # organisation among the attendees (the org's path begins with the higher one's).
        rows = ctx.query(
            f"WITH {pcte} SELECT a.org_id, pr.pkey, COUNT(DISTINCT a.id),"
            " COUNT(DISTINCT CASE WHEN po.id IS NOT NULL THEN a.id END),"
            f" {ctx.agg_ids('a.ext_id')}"
            " FROM dj_activity a JOIN dj_organization o ON o.id = a.org_id"
            " JOIN periods pr ON a.date >= pr.start_d AND a.date <= pr.end_d"
            " LEFT JOIN dj_attendance at ON at.activity_id = a.id"
            " LEFT JOIN dj_position ps ON ps.person_id = at.person_id AND ps.start <= a.date"
            f' AND (ps."end" IS NULL OR ps."end" >= a.date){role_sql}'
            " LEFT JOIN dj_organization po ON po.id = ps.org_id"
            f" AND po.type IN {higher_sql} AND o.path LIKE po.path || '%%' AND po.id <> o.id"
            f" WHERE a.kind IN {kinds_sql} AND o.type IN {types_sql} AND {where} AND {dated}"
            " GROUP BY a.org_id, pr.pkey",
            [*pparams, *rparams, *hparams, *kparams, *tparams, *wparams, *dparams],
        )
        need = p["min"]
        what = "、".join(KIND_LABELS.get(k, k) for k in p["activity_kinds"])
        who = "、".join(ORG_LABELS[t] for t in sorted(higher))
        roles = "、".join(ROLE_LABELS[r] for r in p.get("roles") or []) or "委员"
        by_key = {per.key: per for per in periods}
        for org_id, pkey, held, attended, ids in rows:
            if org_id not in above or not held:
                continue
            per = by_key[pkey]
            ctx.evaluated.add(("organization", org_id))
            sev = ctx.judge(per.start, per.end, attended, need, rule.reminder_days)
            if sev is None:
                continue
            org = ctx.orgs[org_id]
            yield rule.finding(
                subject=ctx.org_subject(org_id),
                period=per.key,
                severity=sev,
                required=need,
                actual=attended,
                due=per.end,
                evidence=split_ids(ids),
                message=(
                    f"{org.name} {per.label}召开{what} {held} 次，"
                    f"上级{who}{roles}列席 {attended} 次，少于 {need} 次"
                ),
                org=ctx.org_ref(org_id),
            )
