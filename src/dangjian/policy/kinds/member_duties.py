"""Kinds about a member's yearly duties kept in the app (issue 8).

- review_handling: a member found 不合格 in 民主评议党员 is dealt with — the decision
  (限期改正后合格, 劝其退党, 除名 …) recorded by the 限期改正 deadline the branch set,
  else within `within_months` of the review. Warning inside the reminder window,
  violation once the deadline has passed.
- community_registered: every member the rule selects (在职党员) is registered with a
  community (到社区报到) on the year's check day.
"""

from __future__ import annotations

from collections.abc import Iterable

from dangjian.policy.context import Context, a_date, org_on, to_date
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import CTE_SELECTORS, Kind, Rule, people_cte, register
from dangjian.policy.kinds.deadlines import WITHIN, deadline_finding, lower_bound
from dangjian.policy.periods import add_months


@register
class ReviewHandling(Kind):
    name = "review_handling"
    subject = "person"
    selectors = ("members",)
    org_types_honoured = False
    periods = ("year",)
    params_schema = {
        "type": "object",
        "properties": {"within_months": WITHIN},
        "required": ["within_months"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        org_sql, n = org_on("p", "r.reviewed_on")
        where, wparams = ctx.path_like("o")
        # The review's org: where the member belonged on the review day.
        rows = ctx.query(
            "SELECT x.id, x.person_id, x.org_id, x.year, x.reviewed_on, x.correction_due,"
            " x.decision, x.decided_on FROM (SELECT r.id AS id, r.person_id AS person_id,"
            f" {org_sql} AS org_id, r.year AS year, r.reviewed_on AS reviewed_on,"
            " r.correction_due AS correction_due, r.decision AS decision,"
            " r.decided_on AS decided_on FROM dj_member_review r"
            " JOIN dj_person p ON p.id = r.person_id"
            " WHERE r.outcome = 'unqualified' AND r.reviewed_on <= %s"
            # deadlines that can fall in the year or later
            " AND ((r.correction_due IS NOT NULL AND r.correction_due >= %s)"
            " OR (r.correction_due IS NULL AND r.reviewed_on >= %s))) x"
            f" JOIN dj_organization o ON o.id = x.org_id WHERE {where}",
            [
                ctx.param(ctx.as_of),
                ctx.param(ctx.year_start),
                ctx.param(lower_bound(ctx, rule.params["within_months"])),
                *wparams,
            ],
        )
        assert n == 2  # a column reference: no parameters to repeat
        for _pk, person_pk, org_pk, year, reviewed, due, decision, decided in rows:
            reviewed, due, decided = a_date(reviewed), to_date(due), to_date(decided)
            ctx.evaluated.add(("person", person_pk))
            deadline = due or add_months(reviewed, int(rule.params["within_months"]))
            subject = ctx.person_subject(person_pk)
            f = deadline_finding(
                ctx,
                rule,
                event=reviewed,
                done=decided if decision else None,
                subject=subject,
                org_id=org_pk,
                evidence=[f"{subject['id']}:{year}"],
                what=f"{subject['name']}{year}年度民主评议为不合格，处置决定"
                + ("（限期改正）" if due else ""),
                deadline=deadline,
            )
            if f is not None:
                yield f


@register
class CommunityRegistered(Kind):
    name = "community_registered"
    subject = "person"
    selectors = CTE_SELECTORS
    periods = ("year",)
    params_schema = {"type": "object", "properties": {}, "additionalProperties": False}

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        periods = ctx.periods("year")
        if not periods:
            return
        per = periods[0]
        pcte, pparams = ctx.periods_cte(periods)
        scte, sparams = people_cte(ctx, rule)
        rows = ctx.query(
            f"WITH {pcte}, {scte} SELECT subj.person_id, subj.org_id, pr.check_d"
            " FROM subj JOIN periods pr ON pr.pkey = subj.pkey"
            " WHERE NOT EXISTS (SELECT 1 FROM dj_community_registration c"
            " WHERE c.person_id = subj.person_id AND c.registered_on <= pr.check_d"
            " AND (c.ended_on IS NULL OR c.ended_on > pr.check_d))",
            [*pparams, *sparams],
        )
        for person_pk, org_pk, check_d in rows:
            day = a_date(check_d)
            subject = ctx.person_subject(person_pk)
            yield rule.finding(
                subject=subject,
                period=per.key,
                severity="violation",
                required="到社区报到",
                actual="未报到",
                due=day,
                evidence=[subject["id"]],
                message=f"{subject['name']}截至{day.isoformat()}未登记到社区报到",
                org=ctx.org_ref(org_pk),
            )
