"""rectification_loop: each step of 发现问题 → 交办核实 → 问责整改 → 回访反馈 on time.

One query fetches every rectification of the checked tree that can matter for the
year; each step's deadline is worked out in Python from the step before it:

- 交办 within `assign_within_days` of 发现;
- 核实 within `verify_within_days` of 交办;
- 整改完成 by the 整改期限 (`due_on`, set at 交办; none set: not judged);
- 回访反馈 within `revisit_within_days` of 整改完成.

整改完成 late (or missing after its recorded 整改期限) is a violation. The other
steps' day limits are the pack's own choice (the document gives none): a step late
or overdue against them is a warning (a reminder), and 核实 is not judged at all for
an item rectified by its recorded deadline. A step still open and due within
`reminder_days` is a warning. Steps are
reported when their deadline falls in the year, or while still missing on `as_of`
(an overdue step from an earlier year stays a violation). A later step is judged
only once the step it counts from is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from dangjian.policy.context import Context, a_date, in_list, to_date
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import Kind, Rule, register

DAYS = {"type": "integer", "minimum": 1}
STEP_NAMES = {
    "assign": "交办",
    "verify": "核实",
    "rectify": "整改完成",
    "revisit": "回访反馈",
}


def evidence_id(ext_id: str) -> str:
    return f"rectification:{ext_id}"


@register
class RectificationLoop(Kind):
    name = "rectification_loop"
    subject = "org"
    periods = ("year",)
    params_schema = {
        "type": "object",
        "properties": {
            "assign_within_days": DAYS,
            "verify_within_days": DAYS,
            "revisit_within_days": DAYS,
        },
        "required": ["assign_within_days", "verify_within_days", "revisit_within_days"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        p = rule.params
        types_sql, tparams = in_list(rule.org_types)
        where, wparams = ctx.path_like("o")
        # Closed before the year began: every deadline was settled earlier (closing needs
        # every step, and each step is on or before the close).
        rows = ctx.query(
            "SELECT r.ext_id, r.org_id, r.title, r.found_on, r.assigned_on, r.verified_on,"
            " r.due_on, r.rectified_on, r.revisit_on"
            " FROM dj_rectification r JOIN dj_organization o ON o.id = r.org_id"
            f" WHERE o.type IN {types_sql} AND {where} AND r.found_on <= %s"
            " AND (r.closed_on IS NULL OR r.closed_on >= %s)"
            " ORDER BY r.id",
            [*tparams, *wparams, ctx.param(ctx.as_of), ctx.param(ctx.year_start)],
        )
        days = {
            "assign": int(p["assign_within_days"]),
            "verify": int(p["verify_within_days"]),
            "revisit": int(p["revisit_within_days"]),
        }
        for pk, org_id, title, found, assigned, verified, due, rectified, revisit in rows:
            if org_id not in ctx.orgs:
                continue
            ctx.evaluated.add(("organization", org_id))
            found, assigned, verified = a_date(found), to_date(assigned), to_date(verified)
            due, rectified, revisit = to_date(due), to_date(rectified), to_date(revisit)
            # (step, counted from, deadline, done)
            steps: list[tuple[str, date, date, date | None]] = [
                ("assign", found, found + timedelta(days=days["assign"]), assigned)
            ]
            fixed_in_time = due is not None and rectified is not None and rectified <= due
            if assigned is not None and not fixed_in_time:
                # rectified by the deadline recorded at 交办: how long 核实 took is moot
                steps.append(
                    ("verify", assigned, assigned + timedelta(days=days["verify"]), verified)
                )
                if due is not None:
                    steps.append(("rectify", assigned, due, rectified))
            if rectified is not None:
                steps.append(
                    ("revisit", rectified, rectified + timedelta(days=days["revisit"]), revisit)
                )
            for step, start, deadline, done in steps:
                f = self._judge(ctx, rule, pk, org_id, title, step, start, deadline, done)
                if f is not None:
                    yield f

    def _judge(
        self,
        ctx: Context,
        rule: Rule,
        pk: str,
        org_id: int,
        title: str,
        step: str,
        start: date,
        deadline: date,
        done: date | None,
    ) -> Finding | None:
        if start > ctx.as_of:
            return None
        if done is not None and done > ctx.as_of:
            done = None  # recorded ahead of the day checked: not yet done on as_of
        if deadline < ctx.year_start and done is not None:
            return None  # settled, and its deadline belonged to an earlier year's check
        if done is not None and done <= deadline:
            return None
        org = ctx.orgs[org_id]
        # The pack sets these deadlines in days, so days are the rule's own unit here.
        allowed = (deadline - start).days
        what = f"{org.name}整改事项“{title}”{STEP_NAMES[step]}"
        # Only the 整改期限 recorded at 交办 is a deadline the records set; the other steps'
        # day limits are the pack's choice (the text gives none): reminders, not violations.
        late = "warning" if step != "rectify" else "violation"
        if done is not None:
            severity = late
            actual = (done - start).days
            msg = f"{what}于 {done.isoformat()} 完成，晚于期限 {deadline.isoformat()}"
        elif deadline < ctx.as_of:
            severity = late
            actual = (ctx.as_of - start).days
            msg = f"{what}已逾期（期限 {deadline.isoformat()}），尚未登记"
        elif (deadline - ctx.as_of).days <= rule.reminder_days:
            severity = "warning"
            actual = (ctx.as_of - start).days
            msg = f"{what}将于 {deadline.isoformat()} 到期，尚未登记"
        else:
            return None
        return rule.finding(
            subject=ctx.org_subject(org_id),
            period=f"{start.isoformat()}/{deadline.isoformat()}",
            severity=severity,
            required=allowed,
            actual=actual,
            due=deadline,
            evidence=[evidence_id(pk)],
            message=msg,
            org=ctx.org_ref(org_id),
        )
