"""Reads behind the printable books and the annual statistics.

Only what is stored is shown; statuses come from the stored findings (`policy.store`)
and days from `policy.days`. Each function is a fixed number of queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from dangjian.orgs.models import Organization, OrgType, Position, PositionRole, Term
from dangjian.people.dues_selectors import Ledger, branch_ledger
from dangjian.people.models import (
    MEMBER_STATUSES,
    Employment,
    LeftReason,
    Person,
    PersonStatus,
)
from dangjian.policy import days
from dangjian.policy.periods import add_years
from dangjian.records.models import (
    Absence,
    Activity,
    ActivityKind,
    ActivityMinutes,
    Attendance,
    Filing,
)

# 三会一课 first, then the other meetings, in the order of ActivityKind.
BOOK_KIND_ORDER = [
    ActivityKind.BRANCH_ASSEMBLY,
    ActivityKind.COMMITTEE_MEETING,
    ActivityKind.CELL_MEETING,
    ActivityKind.PARTY_LESSON,
    *[
        k
        for k in ActivityKind
        if k
        not in (
            ActivityKind.BRANCH_ASSEMBLY,
            ActivityKind.COMMITTEE_MEETING,
            ActivityKind.CELL_MEETING,
            ActivityKind.PARTY_LESSON,
        )
    ],
]


@dataclass
class AbsentEntry:
    name: str
    reason: str  # Chinese label
    note: str
    made_up_on: datetime.date | None
    made_up_how: str


@dataclass
class MeetingEntry:
    activity: Activity
    kind_label: str
    org_name: str  # the holding organisation (a party cell under the branch, say)
    place: str
    attendees: list[str] = field(default_factory=list)
    absentees: list[AbsentEntry] = field(default_factory=list)
    minutes: str = ""

    @property
    def expected(self) -> int:
        """应到 = present + absent with a reason (as `records.selectors.attendance_figures`)."""
        return len(self.attendees) + len(self.absentees)

    @property
    def present(self) -> int:
        return len(self.attendees)

    @property
    def made_up(self) -> int:
        return sum(1 for a in self.absentees if a.made_up_on is not None)


@dataclass
class KindSection:
    kind: str
    label: str
    meetings: list[MeetingEntry]


@dataclass
class RecordBook:
    org: Organization
    year: int
    check_day: datetime.date
    generated_on: datetime.date
    sections: list[KindSection]

    @property
    def meeting_count(self) -> int:
        return sum(len(s.meetings) for s in self.sections)


def _year_span(year: int, check_day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), check_day


def record_book(org: Organization, year: int, today: datetime.date | None = None) -> RecordBook:
    """The meetings `org` (and its party cells) held in `year` up to its check day, by kind and
    date, with who attended, who was absent and why, make-ups and stored minutes
    (four queries)."""
    today = today or datetime.date.today()
    check = days.check_day(year, today)
    start, end = _year_span(year, check)
    # The organisation's own meetings and its party cells' (党小组会), not those of
    # branches below a committee: each keeps its own book.
    own = Q(org=org) | Q(org__parent=org, org__type=OrgType.PARTY_CELL)
    activities = list(
        Activity.objects.filter(own, date__gte=start, date__lte=end)
        .select_related("org", "speaker")
        .order_by("date", "id")
    )
    ids = [a.pk for a in activities]
    attendees: dict[int, list[str]] = {}
    for activity_id, name in (
        Attendance.objects.filter(activity_id__in=ids)
        .order_by("person__name", "person_id")
        .values_list("activity_id", "person__name")
    ):
        attendees.setdefault(activity_id, []).append(name)
    absentees: dict[int, list[AbsentEntry]] = {}
    for row in (
        Absence.objects.filter(activity_id__in=ids)
        .select_related("person")
        .order_by("person__name", "person_id")
    ):
        absentees.setdefault(row.activity_id, []).append(
            AbsentEntry(
                name=row.person.name,
                reason=row.get_reason_display(),
                note=row.note,
                made_up_on=row.made_up_on,
                made_up_how=row.made_up_how,
            )
        )
    minutes = dict(
        ActivityMinutes.objects.filter(activity_id__in=ids).values_list("activity_id", "text")
    )
    labels = dict(ActivityKind.choices)
    by_kind: dict[str, list[MeetingEntry]] = {}
    for a in activities:
        place = a.extra.get("place") if isinstance(a.extra, dict) else None
        by_kind.setdefault(a.kind, []).append(
            MeetingEntry(
                activity=a,
                kind_label=labels.get(a.kind, a.kind),
                org_name=a.org.name,
                place=place if isinstance(place, str) else "",
                attendees=attendees.get(a.pk, []),
                absentees=absentees.get(a.pk, []),
                minutes=(minutes.get(a.pk) or "").strip(),
            )
        )
    sections = [
        KindSection(kind=str(k), label=labels[k], meetings=by_kind[k])
        for k in BOOK_KIND_ORDER
        if k in by_kind
    ]
    return RecordBook(org=org, year=year, check_day=check, generated_on=today, sections=sections)


# ---------------------------------------------------------------- the ledger (台账)


@dataclass
class HoursRow:
    name: str
    org_name: str
    attended: int
    hours: Decimal
    required: Decimal | None


@dataclass
class DuesRow:
    name: str
    expected: Decimal | None
    paid: list[Decimal | None]  # one per month shown
    total: Decimal


@dataclass
class LedgerBook:
    org: Organization
    year: int
    check_day: datetime.date
    generated_on: datetime.date
    hours: list[HoursRow]
    filings: list[Filing]
    months: list[datetime.date]
    dues: list[DuesRow]
    hours_as_of: datetime.date | None = None


def ledger_book(org: Organization, year: int, today: datetime.date | None = None) -> LedgerBook:
    """The year's 台账: study hours per member (the hours page's selector and required
    hours), filings, and the monthly dues ledgers up to the check day. A fixed number of
    queries: five for hours, one for filings, three per month of dues."""
    from dangjian.web import page_findings
    from dangjian.web.selectors import org_filings
    from dangjian.web.selectors_keeping import hours_per_member

    today = today or datetime.date.today()
    check = days.check_day(year, today)
    people = hours_per_member(org, year)
    required = page_findings.required_hours(org, year, [p.pk for p in people])
    hours = [
        HoursRow(
            name=p.name,
            org_name=p.org.name,
            attended=getattr(p, "attended", 0),
            hours=getattr(p, "hours", Decimal("0")),
            required=required.get(p.pk),
        )
        for p in sorted(people, key=lambda p: (p.org.path, p.name, p.pk))
    ]
    filings = list(
        org_filings(org, year).filter(date__lte=check).order_by("date", "org__path", "kind")
    )
    months = [datetime.date(year, m, 1) for m in range(1, check.month + 1)]
    ledgers: list[Ledger] = [branch_ledger(org, m, today) for m in months]
    rows: dict[int, DuesRow] = {}
    order: list[int] = []
    for index, ledger in enumerate(ledgers):
        for r in ledger.rows:
            row = rows.get(r.person.pk)
            if row is None:
                row = DuesRow(
                    name=r.person.name,
                    expected=r.expected,
                    paid=[None] * len(months),
                    total=Decimal("0.00"),
                )
                rows[r.person.pk] = row
                order.append(r.person.pk)
            row.expected = r.expected
            row.paid[index] = r.paid
            if r.paid is not None:
                row.total += r.paid
    return LedgerBook(
        org=org,
        year=year,
        check_day=check,
        generated_on=today,
        hours=hours,
        filings=filings,
        months=months,
        dues=sorted((rows[pk] for pk in order), key=lambda r: r.name),
        hours_as_of=page_findings.freshness(org, year).as_of,
    )


def month_label(month: datetime.date) -> str:
    return f"{month.month}月"


# ---------------------------------------------------------------- annual statistics


@dataclass
class StatTable:
    title: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass
class AnnualStatistics:
    org: Organization
    year: int
    check_day: datetime.date
    generated_on: datetime.date
    figures: dict[str, int]  # stable English keys (API, tests)
    tables: list[StatTable]
    findings_as_of: datetime.date | None = None


AGE_BANDS: list[tuple[str, int | None, int | None]] = [
    ("30岁及以下", None, 30),
    ("31—35岁", 31, 35),
    ("36—40岁", 36, 40),
    ("41—45岁", 41, 45),
    ("46—50岁", 46, 50),
    ("51—55岁", 51, 55),
    ("56—60岁", 56, 60),
    ("61岁及以上", 61, None),
]
# Organisations that have a secretary (书记) of their own.
SECRETARY_ORG_TYPES = [OrgType.ORGAN_COMMITTEE, OrgType.GENERAL_BRANCH, OrgType.BRANCH]
POST_RULE_KINDS = {"post_required": "未配备规定职务", "vacancy_filled": "职务出缺超期未补齐"}


def _age_q(on: datetime.date, low: int | None, high: int | None) -> Q:
    """Aged low..high full years on `on` (birthdays from `policy.periods.add_years`)."""
    q = Q(birth_date__isnull=False)
    if low is not None:
        q &= Q(birth_date__lte=add_years(on, -low))
    if high is not None:
        q &= Q(birth_date__gt=add_years(on, -(high + 1)))
    return q


def members_on(org: Organization, on: datetime.date) -> Any:
    """Members of the subtree on `on`: full or probationary (their recorded status),
    admitted by then and not left."""
    return Person.objects.filter(
        Q(joined_on__isnull=True) | Q(joined_on__lte=on),
        Q(left_on__isnull=True) | Q(left_on__gt=on),
        org__path__startswith=org.path,
        status__in=MEMBER_STATUSES,
    )


def existing_orgs(org: Organization, on: datetime.date) -> Any:
    return Organization.objects.filter(
        Q(established__isnull=True) | Q(established__lte=on),
        Q(dissolved__isnull=True) | Q(dissolved__gt=on),
        path__startswith=org.path,
    )


def annual_statistics(
    org: Organization, year: int, today: datetime.date | None = None
) -> AnnualStatistics:
    """党内统计年报-style figures for `org`'s subtree in `year`, as of its check day."""
    from dangjian.policy import store
    from dangjian.web import page_findings

    today = today or datetime.date.today()
    on = days.check_day(year, today)
    start = datetime.date(year, 1, 1)
    members = members_on(org, on)
    aggregates: dict[str, Any] = {
        "total": Count("pk"),
        "full": Count("pk", filter=Q(status=PersonStatus.FULL)),
        "probationary": Count("pk", filter=Q(status=PersonStatus.PROBATIONARY)),
        "leading_cadre": Count("pk", filter=Q(leading_cadre=True)),
        "party_worker": Count("pk", filter=Q(party_worker__isnull=False)),
        "mobile": Count("pk", filter=Q(mobile=True)),
        "age_unknown": Count("pk", filter=Q(birth_date__isnull=True)),
    }
    for index, (_, low, high) in enumerate(AGE_BANDS):
        aggregates[f"age_{index}"] = Count("pk", filter=_age_q(on, low, high))
    m = members.aggregate(**aggregates)
    employment = dict(
        members.values("employment").annotate(n=Count("pk")).values_list("employment", "n")
    )
    org_types = dict(
        existing_orgs(org, on).values("type").annotate(n=Count("pk")).values_list("type", "n")
    )
    elections = list(
        Term.objects.filter(
            org__path__startswith=org.path, elected_on__gte=start, elected_on__lte=on
        )
        .select_related("org")
        .order_by("elected_on", "org__path")
    )
    holding = Position.objects.filter(role=PositionRole.SECRETARY, start__lte=on).filter(
        Q(end__isnull=True) | Q(end__gte=on)
    )
    vacant = list(
        existing_orgs(org, on)
        .filter(type__in=SECRETARY_ORG_TYPES)
        .exclude(pk__in=holding.values("org_id"))
        .order_by("path")
    )
    pack_id = page_findings.pack_id_for(org)
    status = page_findings.freshness(org, year)
    post_findings = dict(
        store.stored(org, pack_id, year)
        .filter(rule_kind__in=list(POST_RULE_KINDS))
        .values("rule_kind")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("rule_kind", "n")
    )
    joined = Person.objects.filter(
        org__path__startswith=org.path, joined_on__gte=start, joined_on__lte=on
    ).count()
    converted = Person.objects.filter(
        org__path__startswith=org.path, full_on__gte=start, full_on__lte=on
    ).count()
    left = dict(
        Person.objects.filter(org__path__startswith=org.path, left_on__gte=start, left_on__lte=on)
        .values("left_reason")
        .annotate(n=Count("pk"))
        .values_list("left_reason", "n")
    )

    figures: dict[str, int] = {
        "members": m["total"],
        "members_full": m["full"],
        "members_probationary": m["probationary"],
        "members_leading_cadre": m["leading_cadre"],
        "members_party_worker": m["party_worker"],
        "members_mobile": m["mobile"],
        "members_age_unknown": m["age_unknown"],
        "orgs": sum(org_types.values()),
        "elections": len(elections),
        "secretary_vacant": len(vacant),
        "admitted": joined,
        "converted": converted,
        "left": sum(left.values()),
    }
    for index in range(len(AGE_BANDS)):
        figures[f"members_age_{index}"] = m[f"age_{index}"]
    for t in OrgType:
        figures[f"orgs_{t.value}"] = org_types.get(t.value, 0)
    for reason in LeftReason:
        figures[f"left_{reason.value}"] = left.get(reason.value, 0)
    figures["left_unrecorded"] = left.get("", 0)
    for kind in POST_RULE_KINDS:
        figures[f"findings_{kind}"] = post_findings.get(kind, 0)

    tables = [
        StatTable(
            "党员基本情况",
            ["项目", "人数"],
            [
                ["党员总数", m["total"]],
                ["其中：正式党员", m["full"]],
                ["　　　预备党员", m["probationary"]],
                ["党员领导干部", m["leading_cadre"]],
                ["党务工作人员", m["party_worker"]],
                ["流动党员", m["mobile"]],
            ],
        ),
        StatTable(
            "党员年龄",
            ["年龄段", "人数"],
            [[label, m[f"age_{i}"]] for i, (label, _, _) in enumerate(AGE_BANDS)]
            + [["未登记出生日期", m["age_unknown"]]],
        ),
        StatTable(
            "党员就业状况",
            ["就业状况", "人数"],
            [[label, employment.get(value, 0)] for value, label in Employment.choices],
        ),
        StatTable(
            "党组织",
            ["类型", "个数"],
            [[label, org_types.get(value, 0)] for value, label in OrgType.choices]
            + [["合计", sum(org_types.values())]],
        ),
        StatTable(
            "本年换届选举",
            ["党组织", "类型", "选举日期", "任期（年）"],
            [[t.org.name, t.org.get_type_display(), t.elected_on, t.years] for t in elections],
        ),
        StatTable(
            "书记空缺（截至统计日无在任书记）",
            ["党组织", "类型"],
            [[o.name, o.get_type_display()] for o in vacant],
        ),
        StatTable(
            "职务配备检查结果",
            ["问题", "条数"],
            [[label, post_findings.get(kind, 0)] for kind, label in POST_RULE_KINDS.items()],
        ),
        StatTable(
            "党员增减",
            ["项目", "人数"],
            [["本年发展党员（入党）", joined], ["本年预备党员转正", converted]]
            + [[f"本年减少：{label}", left.get(value, 0)] for value, label in LeftReason.choices]
            + ([["本年减少：未登记原因", left[""]]] if left.get("") else [])
            + [["本年减少合计", sum(left.values())]],
        ),
    ]
    return AnnualStatistics(
        org=org,
        year=year,
        check_day=on,
        generated_on=today,
        figures=figures,
        tables=tables,
        findings_as_of=status.as_of,
    )
