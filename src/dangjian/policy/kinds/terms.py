"""term_due: the next election falls due when a term ends (换届).

`default_years` is the term the regulation sets per organisation type (机关党委 5 years,
党总支 and 党支部 3): the election falls due by it even where a longer term is recorded,
and a recorded term longer than the type's is reported (a warning asking to check it).
"""

from __future__ import annotations

from collections.abc import Iterable

from dangjian.policy.context import Context, in_list, to_date
from dangjian.policy.days import term_end
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import ORG_TYPES, Kind, Rule, register
from dangjian.policy.periods import Period, months_between


@register
class TermDue(Kind):
    name = "term_due"
    subject = "org"
    periods = ("year",)
    params_schema = {
        "type": "object",
        "properties": {
            "default_years": {
                "type": "object",
                "propertyNames": {"enum": list(ORG_TYPES)},
                "additionalProperties": {"type": "integer", "minimum": 1},
            }
        },
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        # The report's check day (as_of, or the year's end if earlier): a 2022 report run
        # in 2025 judges the terms as they stood at the end of 2022.
        day = ctx.check_day
        if day < ctx.year_start:
            return
        types_sql, tparams = in_list(rule.org_types)
        where, wparams = ctx.path_like("o")
        rows = ctx.query(
            "SELECT t.org_id, t.elected_on, t.years FROM dj_term t"
            " JOIN dj_organization o ON o.id = t.org_id"
            f" WHERE o.type IN {types_sql} AND {where} AND t.elected_on <= %s",
            [*tparams, *wparams, ctx.param(day)],
        )
        latest: dict[int, tuple] = {}
        for org_id, elected, years in rows:
            elected = to_date(elected)
            if org_id not in latest or elected > latest[org_id][0]:
                latest[org_id] = (elected, int(years))
        by_type = rule.params.get("default_years") or {}
        for org_id, (elected, recorded) in latest.items():
            org = ctx.orgs.get(org_id)
            if org is None or not org.exists_on(day):
                continue
            ctx.evaluated.add(("organization", org_id))
            ext = org.ext_id
            term_ref = f"{ext}@{elected.isoformat()}"
            # The regulation's term for the type: the election is due by it, and a longer
            # recorded term is itself a finding (a warning: "一般" allows an approved one).
            years = min(recorded, by_type.get(org.type, recorded))
            if recorded > years:
                yield rule.finding(
                    subject=ctx.org_subject(org_id),
                    period=str(ctx.year),
                    severity="warning",
                    required=years,
                    actual=recorded,
                    due=term_end(elected, years),
                    evidence=[term_ref],
                    message=(
                        f"{org.name} 本届任期（{elected.isoformat()} 选举）登记为 {recorded} 年"
                        f"，长于规定的 {years} 年，请核实；换届时间按 {years} 年计算"
                    ),
                    org=ctx.org_ref(org_id),
                )
            due = term_end(elected, years)
            if due.year == ctx.year or due <= day:  # the election is on this year's schedule
                ctx.record(
                    rule,
                    subject_pk=org_id,
                    period=Period(
                        f"{elected.isoformat()}/{due.isoformat()}", elected, due, "本届任期"
                    ),
                    due=due,
                    required=years * 12,
                    actual=months_between(elected, day),
                    met=False,  # done only by the next election (a new term)
                    evidence=[term_ref],
                )
            if due <= day:
                severity = "violation"
                msg = (
                    f"{org.name} 本届任期（{elected.isoformat()} 选举"
                    f"，{years} 年）已于 {due.isoformat()} 届满，逾期未换届"
                )
            elif (due - day).days <= rule.reminder_days:
                severity = "warning"
                msg = f"{org.name} 本届任期将于 {due.isoformat()} 届满，请做好换届准备"
            else:
                continue
            yield rule.finding(
                subject=ctx.org_subject(org_id),
                period=f"{elected.isoformat()}/{due.isoformat()}",
                severity=severity,
                required=years * 12,
                actual=months_between(elected, day),
                due=due,
                evidence=[term_ref],
                message=msg,
                org=ctx.org_ref(org_id),
            )
