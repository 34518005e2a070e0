"""Kinds about members as the records show them (national rules of the 2014 细则,
the 党员教育管理条例 and the 支部工作条例).

- org_size_max: an organisation of the rule's types has at most `max` members (full and
  probationary) on the check day.
- absence_streak: a member has taken part in (attended, or spoken at) no activity of
  `activity_kinds` for `violation_months` running up to the check day (`warning_months`
  gives a reminder); counted from the later of their last participation and joining.
- admission_age: a person whose application (`applied_on`, else `joined_on`) falls in
  the year was at least `min_years` old on that day (needs `birth_date`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from dangjian.policy.context import Context, a_date, in_list, to_date
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import (
    CTE_SELECTORS,
    S_ACTIVITY_KINDS,
    S_COUNT,
    Kind,
    Rule,
    people_cte,
    register,
    subject_rows,
)
from dangjian.policy.kinds.frequency import KIND_LABELS
from dangjian.policy.kinds.structure import ORG_LABELS, Standing, _violation, full_members_on
from dangjian.policy.periods import add_months, months_between


@register
class OrgSizeMax(Standing):
    name = "org_size_max"
    params_schema = {
        "type": "object",
        "properties": {"max": S_COUNT},
        "required": ["max"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        orgs = self.subjects(ctx, rule)
        if not orgs:
            return
        sizes = full_members_on(ctx, ctx.check_day, all_members=True)
        most = rule.params["max"]
        for o in orgs:
            n = sizes.get(o.pk, 0)
            if n <= most:
                continue
            yield _violation(
                ctx,
                rule,
                o.pk,
                most,
                n,
                f"{o.name}（{ORG_LABELS[o.type]}）有党员 {n} 名，超过 {most} 名",
            )


@register
class AbsenceStreak(Kind):
    name = "absence_streak"
    weight = 4
    subject = "person"
    selectors = CTE_SELECTORS  # read through people_cte()
    periods = ("year",)
    key_params = ("activity_kinds",)
    params_schema = {
        "type": "object",
        "properties": {
            "activity_kinds": S_ACTIVITY_KINDS,
            "violation_months": S_COUNT,
            "warning_months": S_COUNT,
        },
        "required": ["activity_kinds", "violation_months", "warning_months"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        periods = ctx.periods("year")
        if not periods:
            return
        p = rule.params
        day = ctx.check_day
        pcte, pparams = ctx.periods_cte(periods)
        scte, sparams = people_cte(ctx, rule)
        kinds_sql, kparams = in_list(p["activity_kinds"])
        # Whoever took part on or after `recent` cannot be reported (the day N months after
        # a later participation has not come): one pass over that stretch's activities
        # finds them, and only the others' last participation is looked up, by person.
        recent = ctx.param(_first_day_not_due(day, min(p["warning_months"], p["violation_months"])))
        scope = ctx.person_scope
        attendees = ctx.attendance_of(
            f"a.kind IN {kinds_sql} AND a.date >= %s AND a.date <= %s", "at.person_id"
        )
        rows = ctx.query(
            f"WITH {pcte}, {scte},"
            f" recent(person_id) AS ({attendees}"
            f" AND {scope('at.person_id')}"
            " UNION ALL SELECT a.speaker_id FROM dj_activity a WHERE a.speaker_id IS NOT NULL"
            f" AND a.kind IN {kinds_sql} AND a.date >= %s AND a.date <= %s"
            f" AND {scope('a.speaker_id')}),"
            # The subjects EXCEPT whoever took part: one hashed pass over the stretch's two
            # million attendance rows, where an anti-join first made them distinct (NOT IN
            # over a large set is a per-row scan on PostgreSQL). At 200k members: 0.49 →
            # 0.44 s on PostgreSQL, 0.64 → 0.47 s on SQLite.
            " stale AS (SELECT subj.person_id, subj.org_id FROM subj JOIN (SELECT person_id"
            " FROM subj EXCEPT SELECT person_id FROM recent) x ON x.person_id = subj.person_id)"
            # Per person, by index: the few stale subjects only.
            " SELECT s.person_id, s.org_id, p.joined_on,"
            " (SELECT MAX(a.date) FROM dj_attendance at JOIN dj_activity a ON a.id = at.activity_id"
            f" WHERE at.person_id = s.person_id AND a.kind IN {kinds_sql} AND a.date <= %s),"
            " (SELECT MAX(a.date) FROM dj_activity a WHERE a.speaker_id = s.person_id"
            f" AND a.kind IN {kinds_sql} AND a.date <= %s)"
            " FROM stale s JOIN dj_person p ON p.id = s.person_id",
            [
                *pparams,
                *sparams,
                *kparams,
                recent,
                ctx.param(day),
                *kparams,
                recent,
                ctx.param(day),
                *kparams,
                ctx.param(day),
                *kparams,
                ctx.param(day),
            ],
        )
        for _, person_id, _ in subject_rows(ctx, rule, periods):
            ctx.evaluated.add(("person", person_id))
        what = "、".join(KIND_LABELS.get(k, k) for k in p["activity_kinds"])
        for person_id, org_id, joined, attended, spoke in rows:
            joined = to_date(joined)
            last = max(
                (d for d in (to_date(attended), to_date(spoke)) if d is not None), default=None
            )
            since = max(d for d in (joined, last) if d is not None) if (joined or last) else None
            if since is None:
                continue
            months = months_between(since, day)
            # N months running: the day N months after the last participation has come
            if add_months(since, int(p["violation_months"])) <= day:
                severity = "violation"
            elif add_months(since, int(p["warning_months"])) <= day:
                severity = "warning"
            else:
                continue
            person = ctx.people[person_id]
            from_what = f"最后一次参加为 {last.isoformat()}" if last else "入党以来未参加"
            yield rule.finding(
                subject=ctx.person_subject(person_id),
                period=f"{since.isoformat()}/{day.isoformat()}",
                severity=severity,
                required=p["violation_months"],
                actual=months,
                due=day,
                evidence=[person.ext_id],
                message=(
                    f"{person.name} 已连续 {months} 个月未参加组织生活（{what}；{from_what}）"
                ),
                org=ctx.org_ref(org_id),
            )


@register
class AdmissionAge(Kind):
    name = "admission_age"
    subject = "person"
    # Whoever applied (or, without an application date, joined) in the year.
    selectors = ("applicants",)
    org_types_honoured = False
    periods = ("year",)
    params_schema = {
        "type": "object",
        "properties": {"min_years": S_COUNT},
        "required": ["min_years"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        if ctx.as_of < ctx.year_start:
            return
        where, wparams = ctx.path_like("o")
        start, end = ctx.param(ctx.year_start), ctx.param(ctx.check_day)
        rows = ctx.query(
            "SELECT p.id, p.org_id, p.birth_date, p.applied_on, p.joined_on FROM dj_person p"
            f" JOIN dj_organization o ON o.id = p.org_id WHERE {where}"
            " AND p.birth_date IS NOT NULL AND ("
            "(p.applied_on >= %s AND p.applied_on <= %s)"
            " OR (p.applied_on IS NULL AND p.joined_on >= %s AND p.joined_on <= %s))",
            [*wparams, start, end, start, end],
        )
        need = int(rule.params["min_years"])
        for person_id, org_id, born, applied, joined in rows:
            born = a_date(born)
            on = to_date(applied) or to_date(joined)
            assert on is not None
            ctx.evaluated.add(("person", person_id))
            if _age(born, on) >= need:
                continue
            person = ctx.people[person_id]
            what = "递交入党申请" if applied else "入党"
            yield rule.finding(
                subject=ctx.person_subject(person_id),
                period=str(ctx.year),
                severity="violation",
                required=need,
                actual=_age(born, on),
                due=on,
                evidence=[person.ext_id],
                message=(
                    f"{person.name} {on.isoformat()} {what}时未满 {need} 周岁"
                    f"（出生日期 {born.isoformat()}）"
                ),
                org=ctx.org_ref(org_id),
            )


def _age(born: date, on: date) -> int:
    """Full years of age on `on` (one born on 29 February comes of age on 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _first_day_not_due(day: date, months: int) -> date:
    """The first date `since` for which `add_months(since, months) <= day` fails (it is
    monotone in `since`): a participation on or after it cannot make a streak due."""
    since = day - timedelta(days=31 * months + 31)
    while add_months(since, months) <= day:
        since += timedelta(days=1)
    return since
