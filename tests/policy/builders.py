"""Small helpers that create records through the ORM, for rule tests.

Every helper takes what the rule needs and defaults the rest; ext ids are
generated when not given. Dates may be `date` objects or "YYYY-MM-DD" text.

    from policy.builders import org, members, activity, training, run, only

    dept = org("D1", "party_group")
    br = org("B1", "branch", parent=dept)
    a, b = members(br, 2)                       # two full members of B1
    training(a, "2022-03-01", 32)
    report = run("yunnan-2019", 2022)            # as_of defaults to 2022-12-31
    only(report, "training-hours-member")        # findings of rules ending so
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from dangjian.orgs.models import Organization, Position, Term
from dangjian.oversight.models import Assessment
from dangjian.people.models import Due, Person, Transfer
from dangjian.policy.engine import evaluate
from dangjian.policy.findings import Finding, Report
from dangjian.records.models import Activity, Attendance, Filing, Training

_seq = itertools.count(1)


def _d(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _next(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


def org(
    ext_id: str | None = None,
    type: str = "branch",
    parent: Organization | None = None,
    name: str | None = None,
    **fields: Any,
) -> Organization:
    """An organisation (path and depth set as the importer does)."""
    ext_id = ext_id or _next("O")
    for key in ("established", "dissolved"):
        if key in fields:
            fields[key] = _d(fields[key])
    o = Organization.objects.create(
        ext_id=ext_id, name=name or f"{ext_id}党组织", type=type, parent=parent, **fields
    )
    o.path = f"{parent.path if parent else '/'}{o.pk}/"
    o.depth = parent.depth + 1 if parent else 0
    o.save(update_fields=["path", "depth"])
    return o


def person(
    org: Organization,
    ext_id: str | None = None,
    status: str = "full",
    name: str | None = None,
    joined_on: date | str | None = "2010-01-01",
    **fields: Any,
) -> Person:
    """A person; by default a full member who joined in 2010."""
    ext_id = ext_id or _next("P")
    for key in (
        "applied_on",
        "activist_on",
        "candidate_on",
        "full_on",
        "birth_date",
        "probation_extended_to",
        "left_on",
    ):
        if key in fields:
            fields[key] = _d(fields[key])
    if status not in ("full", "probationary"):
        joined_on = None
    return Person.objects.create(
        ext_id=ext_id,
        name=name or f"党员{ext_id}",
        org=org,
        status=status,
        joined_on=_d(joined_on),
        **fields,
    )


def members(org: Organization, n: int, **fields: Any) -> list[Person]:
    """`n` full members of `org`."""
    return [person(org, **fields) for _ in range(n)]


def position(
    p: Person,
    org: Organization,
    role: str = "secretary",
    start: date | str = "2020-01-01",
    end: date | str | None = None,
) -> Position:
    return Position.objects.create(person=p, org=org, role=role, start=_d(start), end=_d(end))


def term(org: Organization, elected_on: date | str, years: int = 3) -> Term:
    return Term.objects.create(org=org, elected_on=_d(elected_on), years=years)


def activity(
    org: Organization,
    kind: str,
    on: date | str,
    attendees: list[Person] | tuple = (),
    ext_id: str | None = None,
    speaker: Person | None = None,
    subject: Organization | Person | None = None,
    hours: float | None = None,
) -> Activity:
    a = Activity.objects.create(
        ext_id=ext_id or _next("A"),
        org=org,
        kind=kind,
        date=_d(on),
        speaker=speaker,
        subject_org=subject if isinstance(subject, Organization) else None,
        subject_person=subject if isinstance(subject, Person) else None,
        hours=None if hours is None else Decimal(str(hours)),
    )
    Attendance.objects.bulk_create([Attendance(activity=a, person=p) for p in attendees])
    return a


def training(
    p: Person, on: date | str, hours: float, kind: str = "general", ext_id: str | None = None
) -> Training:
    return Training.objects.create(
        ext_id=ext_id or _next("T"), person=p, date=_d(on), hours=Decimal(str(hours)), kind=kind
    )


def filing(
    org: Organization, kind: str, on: date | str, period: str, ext_id: str | None = None
) -> Filing:
    return Filing.objects.create(
        ext_id=ext_id or _next("F"), org=org, kind=kind, date=_d(on), period=period
    )


def due(p: Person, month: str, amount: float, paid_on: date | str | None = None) -> Due:
    """Dues for `month` ("2022-03"), paid on `paid_on` (default: the 10th of that month)."""
    first = date.fromisoformat(month + "-01")
    return Due.objects.create(
        person=p,
        month=first,
        amount=Decimal(str(amount)),
        paid_on=_d(paid_on) or first.replace(day=10),
    )


def transfer(
    p: Person, from_org: Organization | None, to_org: Organization | None, on: date | str
) -> Transfer:
    """Move `p` (also updates the person's current org when `to_org` is given)."""
    t = Transfer.objects.create(person=p, from_org=from_org, to_org=to_org, date=_d(on))
    if to_org is not None:
        Person.objects.filter(pk=p.pk).update(org=to_org)
    return t


def assessment(
    subject: Organization | Person,
    year: int,
    kind: str,
    grade: str,
    rank: int | None = None,
    out_of: int | None = None,
) -> Assessment:
    return Assessment.objects.create(
        subject_org=subject if isinstance(subject, Organization) else None,
        subject_person=subject if isinstance(subject, Person) else None,
        year=year,
        kind=kind,
        grade=grade,
        rank=rank,
        out_of=out_of,
    )


def run(
    pack: str, year: int, as_of: date | str | None = None, org_ext_id: str | None = None
) -> Report:
    return evaluate(pack=pack, year=year, as_of=_d(as_of), org_ext_id=org_ext_id)


def only(report: Report, rule: str, subject: str | None = None) -> list[Finding]:
    """Findings of the rule whose id ends with `rule`, optionally for one subject ext id."""
    return [
        f
        for f in report.findings
        if (f.rule == rule or f.rule.endswith("/" + rule))
        and (subject is None or f.subject["id"] == subject)
    ]


def severities(report: Report, rule: str, subject: str | None = None) -> list[str]:
    return sorted(f.severity for f in only(report, rule, subject))
