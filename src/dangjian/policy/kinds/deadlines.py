"""Deadline kinds: when something happens, something else must follow within N months.

The SQL fetches the events with their first follow-up (one query per rule);
month arithmetic is done in Python so the SQL stays dialect-neutral.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from dangjian.orgs.models import PositionRole
from dangjian.policy.context import Context, a_date, in_list, split_ids, to_date
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import S_ROLES, S_TRAINING_KINDS, Kind, Rule, register
from dangjian.policy.periods import add_months, months_between

ROLE_LABELS = dict(PositionRole.choices)
WITHIN = {"type": "integer", "minimum": 1}


def deadline_finding(
    ctx: Context,
    rule: Rule,
    *,
    event: date,
    done: date | None,
    subject: dict[str, str],
    org_id: int | None,
    evidence: list[str],
    what: str,
    deadline: date | None = None,
) -> Finding | None:
    """Judge one event against its deadline (default: event + within_months).

    Done by the deadline: nothing. Done late, or the deadline passed before as_of:
    violation. Still open on as_of (the deadline day itself is open): a warning
    inside the reminder window.
    """
    allowed = rule.params["within_months"]
    if deadline is None:
        deadline = add_months(event, int(allowed))
    else:
        allowed = months_between(event, deadline)
    if deadline < ctx.year_start or event > ctx.as_of:
        return None
    if done is not None and done > ctx.as_of:
        done = None
    if done is not None and done <= deadline:
        return None
    if done is not None:
        severity = "violation"
        actual = months_between(event, done)
        msg = f"{what}，用时 {actual} 个月，超过 {allowed} 个月"
    elif deadline < ctx.as_of:
        severity = "violation"
        actual = months_between(event, ctx.as_of)
        msg = f"{what}，已过 {actual} 个月，超过 {allowed} 个月"
    elif (deadline - ctx.as_of).days <= rule.reminder_days:
        severity = "warning"
        actual = months_between(event, ctx.as_of)
        msg = f"{what}，期限 {deadline.isoformat()}，已过 {actual} 个月"
    else:
        return None
    return rule.finding(
        subject=subject,
        period=f"{event.isoformat()}/{deadline.isoformat()}",
        severity=severity,
        required=allowed,
        actual=actual,
        due=deadline,
        evidence=evidence,
        message=msg,
        org=ctx.org_ref(org_id),
    )


def lower_bound(ctx: Context, months: Any) -> date:
    """Earliest event whose deadline can fall in the year."""
    return add_months(ctx.year_start, -int(months) - 1)


@register
class TrainingAfterOffice(Kind):
    name = "training_after_office"
    subject = "org"
    periods = ("year",)
    key_params = ("roles", "training_kinds")
    params_schema = {
        "type": "object",
        "properties": {
            "roles": S_ROLES,
            "training_kinds": S_TRAINING_KINDS,
            "within_months": WITHIN,
        },
        "required": ["roles", "training_kinds", "within_months"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        p = rule.params
        roles_sql, rparams = in_list(p["roles"])
        kinds_sql, kparams = in_list(p["training_kinds"])
        types_sql, tparams = in_list(rule.org_types)
        where, wparams = ctx.path_like("o")
        rows = ctx.query(
            "SELECT ps.person_id, ps.org_id, ps.role, ps."
            f"start, MIN(t.date), {ctx.agg_ids('t.ext_id')},"
            # the latest earlier holding of the same post by the same person (re-election)
            ' (SELECT MAX(COALESCE(pv."end", ps.start)) FROM dj_position pv'
            " WHERE pv.person_id = ps.person_id AND pv.org_id = ps.org_id"
            " AND pv.role = ps.role AND pv.start < ps.start)"
            " FROM dj_position ps JOIN dj_organization o ON o.id = ps.org_id"
            f" LEFT JOIN dj_training t ON t.person_id = ps.person_id AND t.kind IN {kinds_sql}"
            " AND t.date >= ps.start"
            f" WHERE ps.role IN {roles_sql} AND o.type IN {types_sql} AND {where}"
            " AND ps.start >= %s AND ps.start <= %s"
            " GROUP BY ps.id, ps.person_id, ps.org_id, ps.role, ps.start",
            [
                *kparams,
                *rparams,
                *tparams,
                *wparams,
                ctx.param(lower_bound(ctx, p["within_months"])),
                ctx.param(ctx.as_of),
            ],
        )
        for person_id, org_id, role, start, first, ids, prev_end in rows:
            start, first, prev_end = a_date(start), to_date(first), to_date(prev_end)
            ctx.evaluated.add(("person", person_id))
            if prev_end is not None and (start - prev_end).days <= 1:
                continue  # back-to-back with the same post (re-elected): not new in office
            person = ctx.people[person_id]
            org = ctx.orgs[org_id]
            evidence = [f"{person.ext_id}:{role}@{org.ext_id}/{start.isoformat()}"]
            if first is not None:
                evidence += split_ids(ids)[:1] if first <= ctx.as_of else []
            f = deadline_finding(
                ctx,
                rule,
                event=start,
                done=first,
                subject=ctx.person_subject(person_id),
                org_id=org_id,
                evidence=evidence,
                what=(
                    f"{person.name} {start.isoformat()} "
                    f"任{org.name}{ROLE_LABELS.get(role, role)}后未按期参加培训"
                ),
            )
            if f is not None:
                yield f


@register
class VacancyFilled(Kind):
    name = "vacancy_filled"
    subject = "org"
    periods = ("year",)
    key_params = ("roles",)
    params_schema = {
        "type": "object",
        "properties": {"roles": S_ROLES, "within_months": WITHIN, "seat_roles": S_ROLES},
        "required": ["roles", "within_months"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        p = rule.params
        roles_sql, rparams = in_list(p["roles"])
        # Roles held by several at once (委员): each seat counts. A holder's departure leaves
        # a seat empty even while others hold the role, until a new holder of the role
        # starts or the organisation elects a new committee (换届).
        seats = [r for r in p.get("seat_roles") or [] if r in p["roles"]]
        seats_sql, sparams = in_list(seats)
        types_sql, tparams = in_list(rule.org_types)
        where, wparams = ctx.path_like("o")
        # A post falls vacant the day after a holder's end, unless another holder of the
        # same role in the same org covers that day; it is filled at the next start.
        rows = ctx.query(
            'SELECT ps.org_id, ps.role, ps.person_id, ps."end",'
            " (SELECT MIN(n.start) FROM dj_position n"
            " WHERE n.org_id = ps.org_id AND n.role = ps.role"
            '   AND n.start > ps."end") AS next_start,'
            " (SELECT MIN(t.elected_on) FROM dj_term t"
            '   WHERE t.org_id = ps.org_id AND t.elected_on > ps."end") AS next_term'
            " FROM dj_position ps JOIN dj_organization o ON o.id = ps.org_id"
            f" WHERE ps.role IN {roles_sql} AND o.type IN {types_sql} AND {where}"
            ' AND ps."end" IS NOT NULL AND ps."end" >= %s AND ps."end" < %s'
            f" AND (ps.role IN {seats_sql} OR NOT EXISTS (SELECT 1 FROM dj_position c"
            "   WHERE c.org_id = ps.org_id"
            '   AND c.role = ps.role AND c.id <> ps.id AND c.start <= ps."end"'
            '   AND (c."end" IS NULL OR c."end" > ps."end")))',
            [
                *rparams,
                *tparams,
                *wparams,
                ctx.param(lower_bound(ctx, p["within_months"])),
                ctx.param(ctx.as_of),
                *sparams,
            ],
        )
        for org_id, role, person_id, end, next_start, next_term in rows:
            end, next_start = a_date(end), to_date(next_start)
            if role in seats and next_term is not None:
                elected = a_date(next_term)
                next_start = min(next_start, elected) if next_start else elected
            org = ctx.orgs[org_id]
            if not org.exists_on(min(ctx.as_of, ctx.year_end)):
                continue
            ctx.evaluated.add(("organization", org_id))
            vacated = date.fromordinal(end.toordinal() + 1)
            person = ctx.people[person_id]
            evidence = [f"{person.ext_id}:{role}@{org.ext_id}/{end.isoformat()}"]
            f = deadline_finding(
                ctx,
                rule,
                event=vacated,
                done=next_start,
                subject=ctx.org_subject(org_id),
                org_id=org_id,
                evidence=evidence,
                what=f"{org.name}{ROLE_LABELS.get(role, role)}自 {vacated.isoformat()} 空缺",
            )
            if f is not None:
                yield f


@register
class ApplicantTalk(Kind):
    name = "applicant_talk"
    selectors = ("applicants",)
    org_types_honoured = False
    subject = "person"
    periods = ("year",)
    params_schema = {
        "type": "object",
        "properties": {"within_months": WITHIN},
        "required": ["within_months"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        where, wparams = ctx.path_like("o")
        rows = ctx.query(
            # Talks grouped by subject first: an aggregate the planner materialises once
            # and joins by person, rather than scanning talks by date for each applicant.
            f"SELECT p.id, p.org_id, p.applied_on, MIN(a.d), {ctx.agg_ids('a.eid')}"
            " FROM dj_person p JOIN dj_organization o ON o.id = p.org_id"
            " LEFT JOIN (SELECT t.subject_person_id AS pid, t.date AS d, MIN(t.ext_id) AS eid"
            "   FROM dj_activity t WHERE t.kind = 'talk' AND t.subject_person_id IS NOT NULL"
            f"   AND {ctx.person_scope('t.subject_person_id')}"
            "   GROUP BY t.subject_person_id, t.date) a ON a.pid = p.id AND a.d >= p.applied_on"
            " WHERE p.applied_on IS NOT NULL AND p.applied_on >= %s AND p.applied_on <= %s"
            f" AND {where}"
            " GROUP BY p.id, p.org_id, p.applied_on",
            [
                ctx.param(lower_bound(ctx, rule.params["within_months"])),
                ctx.param(ctx.as_of),
                *wparams,
            ],
        )
        for person_id, org_id, applied, first, ids in rows:
            applied, first = a_date(applied), to_date(first)
            ctx.evaluated.add(("person", person_id))
            person = ctx.people[person_id]
            f = deadline_finding(
                ctx,
                rule,
                event=applied,
                done=first,
                subject=ctx.person_subject(person_id),
                org_id=org_id,
                evidence=[person.ext_id, *split_ids(ids)[:1]],
                what=f"{person.name} {applied.isoformat()} 递交入党申请书后未按期谈话",
            )
            if f is not None:
                yield f


@register
class ProbationEnd(Kind):
    name = "probation_end"
    selectors = ("probationary",)
    org_types_honoured = False
    subject = "person"
    periods = ("year",)
    params_schema = {
        "type": "object",
        "properties": {"within_months": WITHIN, "max_extension_months": WITHIN},
        "required": ["within_months", "max_extension_months"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        p = rule.params
        where, wparams = ctx.path_like("o")
        rows = ctx.query(
            "SELECT p.id, p.org_id, p.joined_on, p.full_on, p.probation_extended_to, p.status"
            " FROM dj_person p JOIN dj_organization o ON o.id = p.org_id"
            " WHERE p.status IN ('full', 'probationary') AND p.joined_on IS NOT NULL"
            f" AND p.left_on IS NULL AND p.joined_on >= %s AND p.joined_on <= %s AND {where}",
            [
                ctx.param(
                    add_months(
                        ctx.year_start,
                        -int(p["within_months"]) - int(p["max_extension_months"]) - 1,
                    )
                ),
                ctx.param(ctx.as_of),
                *wparams,
            ],
        )
        months = int(p["within_months"])
        for person_id, org_id, joined, full_on, extended, status in rows:
            joined, full_on, extended = a_date(joined), to_date(full_on), to_date(extended)
            ctx.evaluated.add(("person", person_id))
            person = ctx.people[person_id]
            first_end = add_months(joined, months)
            limit = add_months(first_end, int(p["max_extension_months"]))
            subject = ctx.person_subject(person_id)
            if extended is not None and extended > limit:
                if ctx.year_start <= extended or status == "probationary":
                    yield rule.finding(
                        subject=subject,
                        period=f"{joined.isoformat()}/{limit.isoformat()}",
                        severity="violation",
                        required=months + int(p["max_extension_months"]),
                        actual=months_between(joined, extended),
                        due=limit,
                        evidence=[person.ext_id],
                        message=(
                            f"{person.name} 预备期延长至 {extended.isoformat()}"
                            f"，超过最长延长期限 {limit.isoformat()}"
                        ),
                        org=ctx.org_ref(org_id),
                    )
                continue
            deadline = min(extended, limit) if extended is not None else first_end
            if status == "full" and full_on is None:
                continue  # full member without a date: nothing to measure
            done = full_on if status == "full" else None
            f = deadline_finding(
                ctx,
                rule,
                event=joined,
                deadline=deadline,
                done=done,
                subject=subject,
                org_id=org_id,
                evidence=[person.ext_id],
                what=(
                    f"{person.name} {joined.isoformat()} "
                    f"入党，预备期满（{deadline.isoformat()}）未按期转正"
                ),
            )
            if f is not None:
                yield f


@register
class ActivistPeriod(Kind):
    name = "activist_period"
    selectors = ("candidates",)
    org_types_honoured = False
    subject = "person"
    periods = ("year",)
    params_schema = {
        "type": "object",
        "properties": {"within_months": WITHIN},
        "required": ["within_months"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        where, wparams = ctx.path_like("o")
        rows = ctx.query(
            "SELECT p.id, p.org_id, p.activist_on, p.candidate_on FROM dj_person p"
            " JOIN dj_organization o ON o.id = p.org_id"
            " WHERE p.candidate_on IS NOT NULL AND p.activist_on IS NOT NULL"
            f" AND p.candidate_on >= %s AND p.candidate_on <= %s AND {where}",
            [ctx.param(ctx.year_start), ctx.param(min(ctx.as_of, ctx.year_end)), *wparams],
        )
        months = rule.params["within_months"]
        for person_id, org_id, activist, candidate in rows:
            activist, candidate = a_date(activist), a_date(candidate)
            ctx.evaluated.add(("person", person_id))
            earliest = add_months(activist, int(months))
            if candidate >= earliest:
                continue
            person = ctx.people[person_id]
            actual = months_between(activist, candidate)
            yield rule.finding(
                subject=ctx.person_subject(person_id),
                period=f"{activist.isoformat()}/{candidate.isoformat()}",
                severity="violation",
                required=months,
                actual=actual,
                due=earliest,
                evidence=[person.ext_id],
                message=(
                    f"{person.name} 确定为入党积极分子 {actual}"
                    f" 个月即列为发展对象，不足 {months} 个月"
                ),
                org=ctx.org_ref(org_id),
            )
