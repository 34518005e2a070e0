"""Kinds about what a member's own record must show (henan-2015 (十六)).

- mobile_member_hosted: a mobile member's record names the receiving organisation
  (流入地党组织), which is not the member's own organisation. Standing requirement,
  checked on the check day.
- star_rating_each: where an organisation uses star ratings (评星定级) in a year, i.e.
  at least one of its members is rated, every member of it is rated that year.
"""

from __future__ import annotations

from collections.abc import Iterable

from dangjian.policy.context import Context, covers, member_on
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import CTE_SELECTORS, Kind, Rule, people_cte, register
from dangjian.policy.periods import judge

NO_PARAMS = {"type": "object", "properties": {}, "additionalProperties": False}


@register
class MobileMemberHosted(Kind):
    name = "mobile_member_hosted"
    selectors = ("members",)
    org_types_honoured = False
    subject = "person"
    periods = ("year",)
    params_schema = NO_PARAMS

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        day = ctx.check_day
        if day < ctx.year_start:
            return
        where, wparams = ctx.path_like("o")
        # Every mobile member on the check day, in the org they belonged to then.
        rows = ctx.query(
            f"WITH {ctx.spans_cte()} SELECT p.id, s.org_id, p.hosted_by_id FROM dj_person p"
            f" JOIN spans s ON s.person_id = p.id AND {covers('s', '%s')}"
            " JOIN dj_organization o ON o.id = s.org_id"
            f" WHERE p.mobile = %s AND {member_on('p', '%s')} AND {where}"
            " AND (p.hosted_by_id IS NULL OR p.hosted_by_id = s.org_id)",
            [*[ctx.param(day)] * 2, True, *[ctx.param(day)] * 2, *wparams],
        )
        for person_pk, org_pk, hosted in rows:
            subject = ctx.person_subject(person_pk)
            actual = "未注明" if hosted is None else "与组织关系所在党组织相同"
            yield rule.finding(
                subject=subject,
                period=str(ctx.year),
                severity="violation",
                required="注明流入地党组织",
                actual=actual,
                due=day,
                evidence=[subject["id"]],
                message=f"流动党员{subject['name']}的记录未注明流入地党组织"
                if hosted is None
                else f"流动党员{subject['name']}的流入地党组织与其组织关系所在党组织相同",
                org=ctx.org_ref(org_pk),
            )


@register
class StarRatingEach(Kind):
    name = "star_rating_each"
    selectors = CTE_SELECTORS
    subject = "person"
    periods = ("year",)
    params_schema = NO_PARAMS

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        periods = ctx.periods("year")
        if not periods:
            return
        per = periods[0]
        severity = judge(
            start=per.start,
            due=per.end,
            actual=0,
            required=1,
            as_of=ctx.as_of,
            reminder_days=rule.reminder_days,
            pace=False,
        )
        if severity is None:
            return  # a rating falls at the year's end: nothing to say yet
        pcte, pparams = ctx.periods_cte(periods)
        scte, sparams = people_cte(ctx, rule)
        # `used`: orgs with at least one member rated this year (membership on the check day).
        rows = ctx.query(
            f"WITH {pcte}, {ctx.spans_cte()}, {scte},"
            " used(org_id, pkey) AS (SELECT DISTINCT s2.org_id, pr.pkey FROM periods pr"
            " JOIN dj_assessment a ON a.year = %s AND a.kind = 'star_rating'"
            " JOIN spans s2 ON s2.person_id = a.subject_person_id"
            f" AND {covers('s2', 'pr.check_d')})"
            " SELECT DISTINCT subj.person_id, subj.org_id FROM subj"
            " JOIN used u ON u.org_id = subj.org_id AND u.pkey = subj.pkey"
            " WHERE NOT EXISTS (SELECT 1 FROM dj_assessment r WHERE r.subject_person_id ="
            " subj.person_id AND r.year = %s AND r.kind = 'star_rating')",
            [*pparams, *sparams, ctx.year, ctx.year],
        )
        for person_pk, org_pk in rows:
            subject = ctx.person_subject(person_pk)
            org_name = ctx.orgs[org_pk].name if org_pk in ctx.orgs else ""
            yield rule.finding(
                subject=subject,
                period=per.key,
                severity=severity,
                required=1,
                actual=0,
                due=per.end,
                evidence=[subject["id"]],
                message=f"{subject['name']} {per.label}未评定星级（{org_name}已实行评星定级）",
                org=ctx.org_ref(org_pk),
            )
