"""Writes for 民主评议党员 and 在职党员到社区报到.

A branch's year of reviews is recorded in one write (all or nothing, one audit entry);
a 不合格 member's handling (限期改正 deadline, decision) is edited on its own record.
Only outcome categories and dates are kept, never what anyone said.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.writes import audited_create, audited_save, ensure_can_administer, snapshot
from dangjian.orgs.models import Organization
from dangjian.people.models import (
    CommunityRegistration,
    CommunityService,
    MemberReview,
    Person,
    ReviewOutcome,
)

HANDLING_FIELDS = ["correction_due", "decision", "decided_on"]
REGISTRATION_FIELDS = ["person", "community", "registered_on", "ended_on"]
SERVICE_FIELDS = ["person", "date", "hours", "community"]


def outcome_field(person: Person) -> str:
    """The form field (and error key) of a person's outcome."""
    return f"outcome_{person.pk}"


@transaction.atomic
def reviews_record_year(
    *,
    org: Organization,
    year: int,
    reviewed_on: datetime.date,
    outcomes: Mapping[Person, str],
    actor: Actor,
    today: datetime.date | None = None,
) -> list[MemberReview]:
    """Record (or correct) the year's outcome of each member of `org`. A changed outcome
    keeps the handling only while it stays 不合格. Errors are keyed `outcome_<pk>`."""
    ensure_can_administer(actor, org)
    today = today or datetime.date.today()
    errors: dict[str, str] = {}
    if reviewed_on > today:
        errors["reviewed_on"] = "评议日期不能晚于今天"
    elif reviewed_on.year not in (year, year + 1):
        errors["reviewed_on"] = f"评议日期须在{year}年或次年年初"
    if not outcomes:
        errors["__all__"] = "没有要登记的评议结果"
    for person, outcome in outcomes.items():
        if person.org_id != org.pk:
            errors[outcome_field(person)] = f"{person.name} 不是{org.name}的党员"
        elif outcome not in ReviewOutcome.values:
            errors[outcome_field(person)] = f"{person.name} 的评议结果无效"
    if errors:
        raise ValidationError(errors)
    existing = {
        r.person_id: r
        for r in MemberReview.objects.select_for_update().filter(
            person__in=list(outcomes), year=year
        )
    }
    created: list[MemberReview] = []
    changed: list[MemberReview] = []
    log = []
    for person, outcome in outcomes.items():
        review = existing.get(person.pk)
        if review is None:
            review = MemberReview(
                person=person, year=year, outcome=outcome, reviewed_on=reviewed_on
            )
            created.append(review)
        elif review.outcome != outcome or review.reviewed_on != reviewed_on:
            review.outcome, review.reviewed_on = outcome, reviewed_on
            if outcome != ReviewOutcome.UNQUALIFIED:
                review.correction_due, review.decision, review.decided_on = None, "", None
            changed.append(review)
        else:
            continue
        log.append({"person": person.ext_id, "outcome": outcome})
    for r in created + changed:
        r.full_clean(exclude=["person"], validate_unique=False)
    MemberReview.objects.bulk_create(created)
    MemberReview.objects.bulk_update(
        changed, ["outcome", "reviewed_on", "correction_due", "decision", "decided_on"]
    )
    if log:
        audit_record(
            actor=actor,
            action="update",
            object_type="member_review_batch",
            object_id=f"{org.pk}/{year}",
            changes={"after": log, "reviewed_on": reviewed_on.isoformat()},
        )
    return created + changed


@transaction.atomic
def review_handling_save(
    *,
    review: MemberReview,
    correction_due: datetime.date | None,
    decision: str,
    decided_on: datetime.date | None,
    actor: Actor,
) -> MemberReview:
    """Set a 不合格 member's 限期改正 deadline and, once taken, the decision and its date."""
    ensure_can_administer(actor, review.person.org)
    errors: dict[str, str] = {}
    if review.outcome != ReviewOutcome.UNQUALIFIED:
        errors["__all__"] = f"{review.person.name} {review.year}年度评议结果不是不合格，无需处置"
    if bool(decision) != (decided_on is not None):
        errors["decided_on" if decision else "decision"] = "处置结果和处置日期须同时填写"
    if errors:
        raise ValidationError(errors)
    before = snapshot(review, HANDLING_FIELDS)
    review.correction_due, review.decision, review.decided_on = correction_due, decision, decided_on
    try:
        audited_save(
            obj=review,
            before=before,
            fields=HANDLING_FIELDS,
            object_type="member_review",
            actor=actor,
        )
    except ValidationError as e:
        raise ValidationError(_chinese_dates(e)) from None
    return review


def _chinese_dates(e: ValidationError) -> dict[str, str]:
    if not hasattr(e, "error_dict"):
        return {"__all__": "；".join(e.messages)}
    out = {}
    for name, errs in e.error_dict.items():
        out[name] = "；".join(m for err in errs for m in err.messages)
    if "__all__" in out and "member_review_due_after_review" in out["__all__"]:
        out = {"correction_due": "限期改正期限不能早于评议日期"}
    elif "__all__" in out and "member_review_decided_after_review" in out["__all__"]:
        out = {"decided_on": "处置日期不能早于评议日期"}
    return out


@transaction.atomic
def community_register(
    *,
    person: Person,
    community: str,
    registered_on: datetime.date,
    actor: Actor,
) -> CommunityRegistration:
    """Register a member with a community; an open registration elsewhere ends that day."""
    ensure_can_administer(actor, person.org)
    community = community.strip()
    if not community:
        raise ValidationError({"community": f"请填写 {person.name} 报到的社区"})
    if registered_on > datetime.date.today():
        raise ValidationError({"registered_on": "报到日期不能晚于今天"})
    if CommunityRegistration.objects.filter(person=person, registered_on=registered_on).exists():
        raise ValidationError(
            {"registered_on": f"{person.name} 在 {registered_on.isoformat()} 已有报到记录"}
        )
    for open_one in CommunityRegistration.objects.select_for_update().filter(
        person=person, ended_on__isnull=True, registered_on__lt=registered_on
    ):
        before = snapshot(open_one, REGISTRATION_FIELDS)
        open_one.ended_on = registered_on
        audited_save(
            obj=open_one,
            before=before,
            fields=REGISTRATION_FIELDS,
            object_type="community_registration",
            actor=actor,
        )
    reg = CommunityRegistration(person=person, community=community, registered_on=registered_on)
    audited_create(
        obj=reg, fields=REGISTRATION_FIELDS, object_type="community_registration", actor=actor
    )
    return reg


@transaction.atomic
def community_service_record(
    *,
    person: Person,
    date: datetime.date,
    hours: Decimal,
    community: str = "",
    actor: Actor,
) -> CommunityService:
    """Record one day's community service hours of a member."""
    ensure_can_administer(actor, person.org)
    errors: dict[str, str] = {}
    if date > datetime.date.today():
        errors["date"] = "服务日期不能晚于今天"
    if not (Decimal("0") < hours <= Decimal("24")):
        errors["hours"] = f"{person.name} 的服务时长须大于 0 且不超过 24 小时"
    elif hours != hours.quantize(Decimal("0.01")):
        errors["hours"] = "服务时长最多到 0.01 小时"
    if not errors and CommunityService.objects.filter(person=person, date=date).exists():
        errors["date"] = f"{person.name} 在 {date.isoformat()} 已有服务记录"
    if errors:
        raise ValidationError(errors)
    row = CommunityService(person=person, date=date, hours=hours, community=community.strip())
    audited_create(obj=row, fields=SERVICE_FIELDS, object_type="community_service", actor=actor)
    return row
