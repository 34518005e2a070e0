"""Rows for the exports, in the template's column order: an export can be uploaded again.

References are written as "名称（编号）" so they read well and resolve exactly.
Each export is a fixed number of queries, whatever the size of the subtree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet, TextChoices

from dangjian.access.selectors import orgs_administered
from dangjian.orgs.models import Organization
from dangjian.people.models import (
    AdmissionStep,
    AdmissionStepKind,
    CommunityRegistration,
    CommunityService,
    Due,
    Employment,
    MemberReview,
    PartyWorker,
    Person,
    PersonStatus,
    ReviewDecision,
    ReviewOutcome,
)
from dangjian.records.models import Activity, ActivityKind, Attendance, Training, TrainingKind


def export_orgs(user: Any) -> QuerySet[Organization]:
    """Organisations whose records this user may export: those they administer."""
    return orgs_administered(user).order_by("path")


def _ref(name: str | None, ext_id: str | None) -> str | None:
    return f"{name}（{ext_id}）" if ext_id else None


def _label(choices: type[TextChoices], value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _yes(value: bool) -> str:
    return "是" if value else "否"


def roster_rows(org: Organization) -> Iterator[list[Any]]:
    people = (
        Person.objects.filter(org__path__startswith=org.path)
        .select_related("org", "hosted_by")
        .order_by("org__path", "ext_id")
    )
    for p in people.iterator(chunk_size=2000):
        yield [
            p.ext_id,
            p.name,
            _ref(p.org.name, p.org.ext_id),
            _label(PersonStatus, p.status),
            p.applied_on,
            p.activist_on,
            p.candidate_on,
            p.joined_on,
            p.full_on,
            p.birth_date,
            _yes(p.leading_cadre),
            _label(PartyWorker, p.party_worker),
            _label(Employment, p.employment),
            p.monthly_income,
            p.probation_extended_to,
            _yes(p.mobile),
            _ref(p.hosted_by.name, p.hosted_by.ext_id) if p.hosted_by else None,
            p.left_on,
        ]


def ledger_rows(org: Organization, year: int) -> Iterator[list[Any]]:
    activities = list(
        Activity.objects.filter(org__path__startswith=org.path, date__year=year)
        .select_related("org", "speaker", "subject_org", "subject_person")
        .order_by("date", "org__path", "ext_id")
    )
    attendees: dict[int, list[str]] = defaultdict(list)
    rows = (
        Attendance.objects.filter(activity__in=[a.pk for a in activities])
        .order_by("person__ext_id")
        .values_list("activity_id", "person__name", "person__ext_id")
    )
    for activity_id, name, ext_id in rows.iterator(chunk_size=5000):
        attendees[activity_id].append(f"{name}（{ext_id}）")
    for a in activities:
        subject = a.subject_org or a.subject_person
        yield [
            a.ext_id,
            _ref(a.org.name, a.org.ext_id),
            _label(ActivityKind, a.kind),
            a.date,
            a.title or None,
            a.hours,
            _ref(a.speaker.name, a.speaker.ext_id) if a.speaker else None,
            "、".join(attendees[a.pk]) or None,
            _ref(subject.name, subject.ext_id) if subject else None,
        ]


def training_rows(org: Organization, year: int) -> Iterator[list[Any]]:
    trainings = (
        Training.objects.filter(person__org__path__startswith=org.path, date__year=year)
        .select_related("person")
        .order_by("date", "person__ext_id", "ext_id")
    )
    for t in trainings.iterator(chunk_size=2000):
        yield [
            t.ext_id,
            _ref(t.person.name, t.person.ext_id),
            t.date,
            t.hours,
            _label(TrainingKind, t.kind),
            t.title or None,
        ]


def review_rows(org: Organization, year: int) -> Iterator[list[Any]]:
    reviews = (
        MemberReview.objects.filter(person__org__path__startswith=org.path, year=year)
        .select_related("person")
        .order_by("person__ext_id")
    )
    for r in reviews.iterator(chunk_size=2000):
        yield [
            _ref(r.person.name, r.person.ext_id),
            r.year,
            _label(ReviewOutcome, r.outcome),
            r.reviewed_on,
            r.correction_due,
            _label(ReviewDecision, r.decision or None),
            r.decided_on,
        ]


def community_rows(org: Organization, year: int) -> Iterator[list[Any]]:
    services = (
        CommunityService.objects.filter(person__org__path__startswith=org.path, date__year=year)
        .select_related("person")
        .order_by("date", "person__ext_id")
    )
    for s in services.iterator(chunk_size=2000):
        yield [_ref(s.person.name, s.person.ext_id), s.date, s.hours, s.community or None]


def registration_rows(org: Organization) -> Iterator[list[Any]]:
    """Every community registration of the subtree's members (ended ones too)."""
    registrations = (
        CommunityRegistration.objects.filter(person__org__path__startswith=org.path)
        .select_related("person")
        .order_by("person__ext_id", "registered_on")
    )
    for r in registrations.iterator(chunk_size=2000):
        yield [_ref(r.person.name, r.person.ext_id), r.community, r.registered_on, r.ended_on]


def admission_rows(org: Organization) -> Iterator[list[Any]]:
    """Every admission step of the subtree's people, each person's in pipeline order."""
    rank = {step: i for i, step in enumerate(AdmissionStepKind.values)}
    steps = sorted(
        AdmissionStep.objects.filter(person__org__path__startswith=org.path).select_related(
            "person"
        ),
        key=lambda s: (s.person.ext_id, rank.get(s.step, 99)),
    )
    for s in steps:
        yield [
            _ref(s.person.name, s.person.ext_id),
            _label(AdmissionStepKind, s.step),
            s.date,
            s.evidence,
            s.until,
        ]


def dues_rows(org: Organization, year: int) -> Iterator[list[Any]]:
    """The subtree's recorded dues for the months of `year`, one member-month a row."""
    rows = (
        Due.objects.filter(person__org__path__startswith=org.path, month__year=year)
        .select_related("person")
        .order_by("month", "person__ext_id")
    )
    for d in rows.iterator(chunk_size=2000):
        yield [_ref(d.person.name, d.person.ext_id), f"{d.month:%Y-%m}", d.amount, d.paid_on]


FINDING_HEADERS = [
    "所属组织",
    "对象",
    "对象类型",
    "规则",
    "依据文件",
    "条款",
    "原文",
    "期间",
    "性质",
    "要求",
    "实际",
    "期限",
    "说明",
    "依据记录",
]


def finding_rows(
    report: dict[str, Any], titles: dict[str, str] | None = None
) -> Iterator[list[Any]]:
    """A `dangjian-findings/1` report, one finding per row, in plain Chinese (the rule by
    its title, the period in words, codes among required/actual by their names)."""
    from dangjian.policy.labels import period_label

    titles = titles or {}
    for f in report.get("findings", []):
        subject = f.get("subject", {})
        source = f.get("source", {})
        org = f.get("org") or {}
        yield [
            _ref(org.get("name"), org.get("id")),
            _ref(subject.get("name"), subject.get("id")),
            "党组织" if subject.get("type") == "organization" else "党员",
            titles.get(f.get("rule") or "", f.get("rule")),
            source.get("document"),
            source.get("clause"),
            source.get("quote"),
            period_label(f.get("period") or ""),
            "违规" if f.get("severity") == "violation" else "预警",
            _cell(f.get("required")),
            _cell(f.get("actual")),
            f.get("due"),
            f.get("message"),
            "、".join(f.get("evidence") or []),
        ]


SCHEDULE_HEADERS = ["所属组织", "对象", "规则", "依据文件", "条款", "期间", "期限", "状态", "说明"]


def schedule_rows(items: Iterable[Any]) -> Iterator[list[Any]]:
    """The engine's schedule (policy.schedule.Item), one line per row."""
    from dangjian.policy.labels import period_label

    for i in items:
        f = i.finding
        yield [
            _ref(i.org_name, i.org_id),
            _ref(i.subject_name, i.subject_id),
            i.rule.title,
            i.rule.citation.get("document"),
            i.rule.citation.get("clause"),
            period_label(i.period),
            i.due.isoformat(),
            i.status_label,
            f.message if f is not None else None,
        ]


SCHEDULE_SUMMARY_HEADERS = [
    "部门",
    "规则",
    "依据文件",
    "条款",
    "已完成",
    "待办",
    "逾期",
    "未开始",
    "最早未完成期限",
]


def schedule_summary_rows(counts: Iterable[Any]) -> Iterator[list[Any]]:
    """A committee's schedule counted per department and rule
    (policy.schedule_query.DepartmentCount), one row each."""
    for d in counts:
        yield [
            _ref(d.org_name, d.org_ext),
            d.rule.title,
            d.rule.citation.get("document"),
            d.rule.citation.get("clause"),
            d.counts["done"],
            d.counts["due"],
            d.counts["overdue"],
            d.counts["upcoming"],
            d.first_open_due.isoformat() if d.first_open_due else None,
        ]


def _cell(value: Any) -> Any:
    from dangjian.policy.labels import in_words, value_labels

    if isinstance(value, str):
        return value_labels().get(value, value)
    return value if isinstance(value, int | float) or value is None else in_words(value)
