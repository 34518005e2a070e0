"""Admission: a member admitted (接收为预备党员) before the age the rules require."""

from __future__ import annotations

from collections.abc import Iterable

from dangjian.policy.context import Context, a_date
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import Kind, Rule, register
from dangjian.policy.periods import add_months

S_AGE = {"type": "integer", "minimum": 1, "maximum": 100}


@register
class AdmissionAge(Kind):
    name = "admission_age"
    subject = "person"
    periods = ("year",)
    params_schema = {
        "type": "object",
        "properties": {"min_age": S_AGE},
        "required": ["min_age"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        where, wparams = ctx.path_like("o")
        rows = ctx.query(
            "SELECT p.id, p.org_id, p.birth_date, p.joined_on FROM dj_person p"
            " JOIN dj_organization o ON o.id = p.org_id"
            " WHERE p.joined_on IS NOT NULL AND p.birth_date IS NOT NULL"
            f" AND p.joined_on >= %s AND p.joined_on <= %s AND {where}",
            [ctx.param(ctx.year_start), ctx.param(min(ctx.as_of, ctx.year_end)), *wparams],
        )
        age = int(rule.params["min_age"])
        for person_id, org_id, birth, joined in rows:
            birth, joined = a_date(birth), a_date(joined)
            ctx.evaluated.add(("person", person_id))
            # The birthday in the year of majority (born 29 February: 28 February, as the pipeline).
            of_age = add_months(birth, 12 * age)
            if joined >= of_age:
                continue
            person = ctx.people[person_id]
            yield rule.finding(
                subject=ctx.person_subject(person_id),
                period=joined.isoformat(),
                severity="violation",
                required=age,
                actual=_age_on(birth, joined),
                due=of_age,
                evidence=[person.ext_id],
                message=(
                    f"{person.name} 于 {joined.isoformat()} 接收为预备党员时未满 {age} 周岁"
                    f"（出生于 {birth.isoformat()}）"
                ),
                org=ctx.org_ref(org_id),
            )


def _age_on(birth: object, day: object) -> int:
    b, d = a_date(birth), a_date(day)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))
