"""Grade constraints: assessments that may not combine."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from dangjian.oversight.models import AssessmentKind, Grade
from dangjian.policy.context import Context, a_date, in_list, num_out
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import (
    ASSESSMENT_KINDS,
    ORG_TYPES,
    ROLES,
    S_GRADES,
    Kind,
    Rule,
    register,
)
from dangjian.policy.periods import add_years

GRADE_LABELS = dict(Grade.choices)
ASSESSMENT_LABELS = dict(AssessmentKind.choices)


def _grades(
    ctx: Context, kind: str, years: list[int], *, persons: bool = False
) -> dict[tuple[int, int], tuple[str, int | None, int | None]]:
    col = "a.subject_person_id" if persons else "a.subject_org_id"
    ys, yparams = in_list(years)
    rows = ctx.query(
        f"SELECT {col}, a.year, a.grade, a.rank, a.out_of FROM dj_assessment a"
        f" WHERE a.kind = %s AND {col} IS NOT NULL AND a.year IN {ys}",
        [kind, *yparams],
    )
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}


class YearKind(Kind):
    subject = "org"
    periods = ("year",)

    def year_open(self, ctx: Context) -> bool:
        return ctx.as_of >= ctx.year_start


@register
class GradeCap(YearKind):
    name = "grade_cap"
    key_params = ("org_assessment", "person_assessment", "role")
    params_schema = {
        "type": "object",
        "properties": {
            "org_assessment": {"enum": list(ASSESSMENT_KINDS)},
            "person_assessment": {"enum": list(ASSESSMENT_KINDS)},
            "role": {"enum": list(ROLES)},
            "unless_grades": S_GRADES,
            "capped_grades": S_GRADES,
        },
        "required": [
            "org_assessment",
            "person_assessment",
            "role",
            "unless_grades",
            "capped_grades",
        ],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        if not self.year_open(ctx):
            return
        p = rule.params
        orgs = {o.pk: o for o in ctx.orgs_of_types(rule.org_types)}
        org_grades = _grades(ctx, p["org_assessment"], [ctx.year])
        person_grades = _grades(ctx, p["person_assessment"], [ctx.year], persons=True)
        # Holders of the role at any time in the year.
        rows = ctx.query(
            "SELECT ps.org_id, ps.person_id FROM dj_position ps WHERE ps.role = %s"
            ' AND ps.start <= %s AND (ps."end" IS NULL OR ps."end" >= %s)',
            [p["role"], ctx.param(ctx.year_end), ctx.param(ctx.year_start)],
        )
        for org_id, person_id in rows:
            org = orgs.get(org_id)
            if org is None:
                continue
            ctx.evaluated.add(("organization", org_id))
            og = org_grades.get((org_id, ctx.year))
            if og is None or og[0] in p["unless_grades"]:
                continue
            pg = person_grades.get((person_id, ctx.year))
            if pg is None or pg[0] not in p["capped_grades"]:
                continue
            person = ctx.people[person_id]
            yield rule.finding(
                subject=ctx.person_subject(person_id),
                period=str(ctx.year),
                severity="violation",
                required=f"not:{','.join(p['capped_grades'])}",
                actual=pg[0],
                due=ctx.year_end,
                evidence=[org.ext_id, person.ext_id],
                message=(
                    f"{org.name} {ctx.year}年党建考核为{GRADE_LABELS.get(og[0], og[0])}"
                    f"，其书记{person.name}年度考核不应评为{GRADE_LABELS.get(pg[0], pg[0])}"
                ),
                org=ctx.org_ref(org_id),
            )


@register
class RankingStreak(YearKind):
    name = "ranking_streak"
    key_params = ("assessment",)
    params_schema = {
        "type": "object",
        "properties": {
            "assessment": {"enum": list(ASSESSMENT_KINDS)},
            "bottom_share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "years": {"type": "integer", "minimum": 2},
        },
        "required": ["assessment", "bottom_share", "years"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        if not self.year_open(ctx):
            return
        p = rule.params
        years = list(range(ctx.year - p["years"] + 1, ctx.year + 1))
        grades = _grades(ctx, p["assessment"], years)

        share = float(p["bottom_share"])

        def bottom(rank: int | None, out_of: int | None) -> bool:
            # in the bottom `share` of those ranked: rank > out_of × (1 − share)
            if rank is None or not out_of:
                return False
            return rank > round(out_of * (1 - share), 9)

        for org in ctx.orgs_of_types(rule.org_types):
            ctx.evaluated.add(("organization", org.pk))
            marks = [grades.get((org.pk, y)) for y in years]
            if not all(m is not None and bottom(m[1], m[2]) for m in marks):
                continue
            ranks = "、".join(
                f"{y}年第{m[1]}/{m[2]}名" for y, m in zip(years, marks, strict=True) if m
            )
            yield rule.finding(
                subject=ctx.org_subject(org.pk),
                period=f"{years[0]}-01-01/{ctx.year}-12-31",
                severity="warning",
                required=f"not_bottom_{p['years']}_years",
                actual="bottom",
                due=ctx.year_end,
                evidence=[org.ext_id],
                message=(
                    f"{org.name} 连续 {p['years']} 年考核排名靠后（{ranks}，后"
                    f"{num_out(share * 100)}%），请认定是否属于履责不实、落实不力、问题突出"
                    "，决定是否问责"
                ),
                org=ctx.org_ref(org.pk),
            )


@register
class AwardRequiresElection(YearKind):
    name = "award_requires_election"
    key_params = ("assessment",)
    params_schema = {
        "type": "object",
        "properties": {
            "assessment": {"enum": list(ASSESSMENT_KINDS)},
            "award_grades": S_GRADES,
            "default_years": {
                "type": "object",
                "propertyNames": {"enum": list(ORG_TYPES)},
                "additionalProperties": {"type": "integer", "minimum": 1},
            },
        },
        "required": ["assessment", "award_grades"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        if not self.year_open(ctx):
            return
        p = rule.params
        orgs = {o.pk: o for o in ctx.orgs_of_types(rule.org_types)}
        grades = _grades(ctx, p["assessment"], [ctx.year])
        rows = ctx.query(
            "SELECT t.org_id, t.elected_on, t.years FROM dj_term t WHERE t.elected_on <= %s",
            [ctx.param(ctx.year_end)],
        )
        terms: dict[int, list[tuple[date, int]]] = {}
        for org_id, elected, years in rows:
            terms.setdefault(org_id, []).append((a_date(elected), int(years)))
        by_type = p.get("default_years") or {}
        for org_id, org in orgs.items():
            ctx.evaluated.add(("organization", org_id))
            g = grades.get((org_id, ctx.year))
            if g is None or g[0] not in p["award_grades"] or org_id not in terms:
                continue
            late = self._late_in_year(ctx, sorted(terms[org_id]), by_type.get(org.type))
            if late is None:
                continue
            elected, due, next_elected = late
            when = (
                f"，至 {next_elected.isoformat()} 才换届"
                if next_elected is not None
                else "，至年底仍未换届"
            )
            yield rule.finding(
                subject=ctx.org_subject(org_id),
                period=str(ctx.year),
                severity="violation",
                required="not_awarded",
                actual=g[0],
                due=ctx.year_end,
                evidence=[org.ext_id, f"{org.ext_id}@{elected.isoformat()}"],
                message=(
                    f"{org.name} 任期已于 {due.isoformat()} 届满{when}，未按期换届"
                    f"，{ctx.year}年不应评为{GRADE_LABELS.get(g[0], g[0])}"
                ),
                org=ctx.org_ref(org_id),
            )

    @staticmethod
    def _late_in_year(
        ctx: Context, terms: list[tuple[date, int]], type_years: int | None
    ) -> tuple[date, date, date | None] | None:
        """The term whose election was overdue on some day of the year, if any:
        (elected_on, due, next election or None). Overdue: from the due day until the
        next election, when that comes after the due day."""
        for i, (elected, years) in enumerate(terms):
            due = add_years(elected, min(years, type_years or years))
            nxt = terms[i + 1][0] if i + 1 < len(terms) else None
            if due > ctx.year_end or (nxt is not None and nxt <= due):
                continue
            if nxt is None or nxt > ctx.year_start:
                return elected, due, nxt
        return None


@register
class AssessedYearly(YearKind):
    """Each organisation has an `assessment` record for the year (全年考核)."""

    name = "assessed_yearly"
    key_params = ("assessment",)
    params_schema = {
        "type": "object",
        "properties": {"assessment": {"enum": list(ASSESSMENT_KINDS)}},
        "required": ["assessment"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        if not self.year_open(ctx):
            return
        kind = rule.params["assessment"]
        grades = _grades(ctx, kind, [ctx.year])
        label = ASSESSMENT_LABELS.get(kind, kind)
        for org in ctx.orgs_of_types(rule.org_types):
            if not org.exists_during(ctx.year_start, ctx.check_day):
                continue
            ctx.evaluated.add(("organization", org.pk))
            if (org.pk, ctx.year) in grades:
                continue
            sev = ctx.judge(ctx.year_start, ctx.year_end, 0, 1, rule.reminder_days)
            if sev is None:
                continue
            yield rule.finding(
                subject=ctx.org_subject(org.pk),
                period=str(ctx.year),
                severity=sev,
                required=1,
                actual=0,
                due=ctx.year_end,
                evidence=[org.ext_id],
                message=f"{org.name} {ctx.year}年没有{label}记录",
                org=ctx.org_ref(org.pk),
            )
