"""发展党员: the admission pipeline as steps taken in order, each dated, with its evidence,
by a role allowed to take it (中国共产党发展党员工作细则).

applicant → (talk) → activist → candidate → probationary (admitted) → [extended once] → full.

Who may take a step: any administrator over the branch for the branch's own steps (the
application, the talk, determining activists and candidates); admitting a probationary
member, extending probation and converting need the approval of the Party committee above
the branch (细则: 上级党委审批), so only department or work-committee administrators record
them. The service refuses a step out of order, one the role may not take, a candidate
before a year as activist, an admission before the age of 18, a second extension, and a
conversion before the probation has ended. Deadlines that a late step still meets in
fact (the talk within a month, conversion on time) are not refused: the engine reports
them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.writes import audited_save, ensure_can_administer, snapshot
from dangjian.orgs.models import Organization
from dangjian.people.dues import add_months
from dangjian.people.models import (
    AdmissionStep,
    AdmissionStepKind,
    Person,
    PersonStatus,
)
from dangjian.people.services import PERSON_FIELDS, check_person

K = AdmissionStepKind
ORDER = [K.APPLIED, K.TALKED, K.ACTIVIST, K.CANDIDATE, K.ADMITTED, K.EXTENDED, K.CONVERTED]
BRANCH_ROLES = ("branch_admin", "department_admin", "work_committee_admin")
ABOVE_BRANCH_ROLES = ("department_admin", "work_committee_admin")
STEP_ROLES: dict[str, tuple[str, ...]] = {
    K.APPLIED: BRANCH_ROLES,
    K.TALKED: BRANCH_ROLES,
    K.ACTIVIST: BRANCH_ROLES,
    K.CANDIDATE: BRANCH_ROLES,
    K.ADMITTED: ABOVE_BRANCH_ROLES,
    K.EXTENDED: ABOVE_BRANCH_ROLES,
    K.CONVERTED: ABOVE_BRANCH_ROLES,
}
STEP_STATUS: dict[str, str] = {
    K.ACTIVIST: PersonStatus.ACTIVIST,
    K.CANDIDATE: PersonStatus.CANDIDATE,
    K.ADMITTED: PersonStatus.PROBATIONARY,
    K.CONVERTED: PersonStatus.FULL,
}
STEP_FIELD: dict[str, str] = {
    K.APPLIED: "applied_on",
    K.ACTIVIST: "activist_on",
    K.CANDIDATE: "candidate_on",
    K.ADMITTED: "joined_on",
    K.CONVERTED: "full_on",
}
MIN_AGE = 18


def years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def months_later(day: datetime.date, months: int) -> datetime.date:
    first = add_months(day.replace(day=1), months)
    nxt = add_months(first, 1)
    return first.replace(day=min(day.day, (nxt - datetime.timedelta(days=1)).day))


def done_steps(person: Person, talked: bool) -> set[str]:
    """Steps a person has taken, from their record (imports carry dates, not steps)."""
    done = {s for s, f in STEP_FIELD.items() if getattr(person, f) is not None}
    if person.probation_extended_to is not None:
        done.add(K.EXTENDED)
    if talked or done - {K.APPLIED}:
        done.add(K.TALKED)
    return done


def allowed_next(person: Person, talked: bool) -> list[str]:
    """The steps that may be taken next, in order."""
    done = done_steps(person, talked)
    if K.CONVERTED in done or person.left_on is not None:
        return []
    if K.ADMITTED in done:
        return [K.CONVERTED] if K.EXTENDED in done else [K.EXTENDED, K.CONVERTED]
    for step in ORDER:
        if step not in done:
            return [step]
    return []


def probation_end(person: Person) -> datetime.date | None:
    if person.joined_on is None:
        return None
    return person.probation_extended_to or years_later(person.joined_on, 1)


def _may_take(actor: Actor, person: Person, step: str) -> bool:
    user = actor.user
    if user is None or not getattr(user, "is_authenticated", False):
        return actor.source not in ("web", "api")
    if getattr(user, "is_superuser", False):
        return True
    # Lazy: access depends on people, not the other way round at import time.
    from dangjian.access.models import Grant

    parts = [p for p in person.org.path.split("/") if p]
    prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return Grant.objects.filter(
        user_id=user.pk or 0, org__path__in=prefixes, role__in=STEP_ROLES[step]
    ).exists()


@transaction.atomic
def admission_step_take(
    *,
    person: Person,
    step: str,
    date: datetime.date,
    evidence: str,
    actor: Actor,
    until: datetime.date | None = None,
    today: datetime.date | None = None,
) -> AdmissionStep:
    """Take the next step of `person`'s admission; the person's status and dates follow."""
    person = Person.objects.select_for_update().select_related("org").get(pk=person.pk)
    ensure_can_administer(actor, person.org)
    if step not in K.values:
        raise ValidationError({"step": "没有这个发展步骤"})
    label = K(step).label
    if not _may_take(actor, person, step):
        raise PermissionDenied(f"“{label}”须经上级党委审批，由机关党委或机关工委管理员登记")
    talked = AdmissionStep.objects.filter(person=person, step=K.TALKED).exists()
    nxt = allowed_next(person, talked)
    if step not in nxt:
        wanted = "、".join(K(s).label for s in nxt) or "无（发展程序已完成）"
        raise ValidationError(
            {"step": f"{person.name} 现在不能“{label}”：下一步应为{wanted}（须按顺序办理）"}
        )
    today = today or datetime.date.today()
    errors: dict[str, str] = {}
    evidence = evidence.strip()
    if not evidence:
        errors["evidence"] = f"请填写“{label}”的依据材料（会议记录、谈话记录或文件）"
    if date > today:
        errors["date"] = "日期不能晚于今天"
    previous = max(
        (
            d
            for d in (person.applied_on, person.activist_on, person.candidate_on, person.joined_on)
            if d
        ),
        default=None,
    )
    if previous is not None and date < previous:
        errors["date"] = f"{label}日期不能早于上一步骤的日期（{previous:%Y-%m-%d}）"
    if step == K.CANDIDATE and person.activist_on and date < years_later(person.activist_on, 1):
        errors["date"] = (
            f"{person.name} 于 {person.activist_on:%Y-%m-%d} 确定为入党积极分子，"
            "须经过一年以上培养考察方可列为发展对象"
        )
    if step == K.ADMITTED and person.birth_date and date < years_later(person.birth_date, MIN_AGE):
        errors["date"] = f"{person.name} 在 {date:%Y-%m-%d} 未满 {MIN_AGE} 周岁，不能接收为预备党员"
    end = probation_end(person)
    if step == K.EXTENDED:
        assert person.joined_on is not None
        anniversary = years_later(person.joined_on, 1)
        if until is None:
            errors["until"] = "请填写预备期延长至的日期"
        elif not months_later(anniversary, 6) <= until <= months_later(anniversary, 12):
            errors["until"] = (
                f"预备期只能延长半年至一年：应在 {months_later(anniversary, 6):%Y-%m-%d}"
                f" 至 {months_later(anniversary, 12):%Y-%m-%d} 之间"
            )
    if step == K.CONVERTED and end is not None and date < end:
        errors["date"] = f"{person.name} 的预备期到 {end:%Y-%m-%d} 才满，不能提前转正"
    if errors:
        raise ValidationError(errors)
    before = snapshot(person, PERSON_FIELDS)
    if step in STEP_FIELD:
        setattr(person, STEP_FIELD[step], date)
    if step in STEP_STATUS:
        person.status = STEP_STATUS[step]
    if step == K.EXTENDED:
        person.probation_extended_to = until
    check_person(person)
    record = AdmissionStep.objects.create(
        person=person, step=step, date=date, evidence=evidence, until=until
    )
    audited_save(
        obj=person,
        before=before,
        fields=PERSON_FIELDS,
        object_type="person",
        actor=actor,
        extra={"admission_step": {"step": step, "date": date.isoformat(), "evidence": evidence}},
    )
    return record


@dataclass
class PipelineRow:
    person: Person
    stage: str
    since: datetime.date | None
    next_steps: list[str]
    due: datetime.date | None  # the deadline of the next step, if it has one
    earliest: datetime.date | None  # the next step may not be taken before this day
    overdue: bool

    @property
    def next_labels(self) -> str:
        return "、".join(K(s).label for s in self.next_steps)


PIPELINE_STATUSES = [
    PersonStatus.APPLICANT,
    PersonStatus.ACTIVIST,
    PersonStatus.CANDIDATE,
    PersonStatus.PROBATIONARY,
]


def branch_pipeline(org: Organization, today: datetime.date | None = None) -> list[PipelineRow]:
    """Who is at which stage in `org`, since when, what is due next (two queries)."""
    today = today or datetime.date.today()
    people = list(
        Person.objects.filter(org=org, status__in=PIPELINE_STATUSES, left_on__isnull=True)
        .select_related("org")
        .order_by("status", "name", "pk")
    )
    talked = set(
        AdmissionStep.objects.filter(person__in=people, step=K.TALKED).values_list(
            "person_id", flat=True
        )
    )
    order = {s: i for i, s in enumerate(PIPELINE_STATUSES)}
    rows = []
    for p in people:
        nxt = allowed_next(p, p.pk in talked)
        due = earliest = None
        since = {
            PersonStatus.APPLICANT: p.applied_on,
            PersonStatus.ACTIVIST: p.activist_on,
            PersonStatus.CANDIDATE: p.candidate_on,
            PersonStatus.PROBATIONARY: p.joined_on,
        }[PersonStatus(p.status)]
        if nxt == [K.TALKED] and p.applied_on:
            due = months_later(p.applied_on, 1)
        elif nxt == [K.CANDIDATE] and p.activist_on:
            earliest = years_later(p.activist_on, 1)
        elif K.CONVERTED in nxt:
            due = probation_end(p)
        rows.append(
            PipelineRow(
                person=p,
                stage=p.get_status_display(),
                since=since,
                next_steps=nxt,
                due=due,
                earliest=earliest,
                overdue=due is not None and due < today,
            )
        )
    rows.sort(key=lambda r: (order[PersonStatus(r.person.status)], r.person.name))
    return rows
