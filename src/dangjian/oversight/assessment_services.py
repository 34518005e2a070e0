"""Writes for the annual assessment: adjustments with a reason, publishing the year's
computed grades and ranks (and star ratings) as `Assessment` records, 述职评议 records.

Publishing makes the computed assessment the one source the engine's grade rules read
(`grade_cap`, `ranking_streak`, `award_requires_election`, `assessed_yearly` all read
`dj_assessment`), the same records a `dangjian/1` import brings.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.writes import (
    audited_create,
    audited_delete,
    audited_save,
    ensure_can_administer,
    snapshot,
)
from dangjian.orgs.models import Organization, Position
from dangjian.oversight import assessment as sel
from dangjian.oversight.models import (
    Assessment,
    AssessmentAdjustment,
    AssessmentKind,
    DutyReview,
    DutyReviewRole,
    Grade,
)
from dangjian.people.models import Person

ADJUSTMENT_FIELDS = ["subject", "assessor", "year", "points", "reason", "recorded_by"]
ASSESSMENT_FIELDS = ["subject_org", "subject_person", "year", "kind", "grade", "rank", "out_of"]
REVIEW_FIELDS = [
    "org",
    "reporter",
    "role",
    "year",
    "held_on",
    "reviewed_by",
    "score",
    "grade",
    "recorded_by",
]
# The post a 述职 role is held as, and the organisation types it is held in.
REVIEW_ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    DutyReviewRole.BRANCH_SECRETARY: ("secretary", ("branch", "general_branch")),
    DutyReviewRole.ORGAN_SECRETARY: ("secretary", ("organ_committee",)),
    DutyReviewRole.PARTY_GROUP_SECRETARY: ("secretary", ("party_group",)),
}
MAX_POINTS = Decimal(100)


def _ensure_assessor(actor: Actor, assessor: Organization, subject: Organization) -> None:
    """Only the assessing body's administrators write, and only about what lies under it."""
    ensure_can_administer(actor, assessor)
    if subject.pk == assessor.pk or not subject.path.startswith(assessor.path):
        raise ValidationError({"subject": f"{subject.name} 不是 {assessor.name} 的下级组织"})


@transaction.atomic
def assessment_adjust(
    *,
    assessor: Organization,
    subject: Organization,
    year: int,
    points: Decimal | str | int,
    reason: str,
    actor: Actor,
) -> AssessmentAdjustment:
    """Add (or take off) points from `subject`'s computed score, with a reason (required)."""
    _ensure_assessor(actor, assessor, subject)
    errors: dict[str, str] = {}
    try:
        value = Decimal(str(points))
    except InvalidOperation:
        value = Decimal(0)
        errors["points"] = f"加减分应为数字，实为 {points!r}"
    if not errors and (value == 0 or abs(value) > MAX_POINTS or value != value.quantize(sel.CENT)):
        errors["points"] = "加减分应为不等于0、绝对值不超过100、最多两位小数的数"
    if not (reason or "").strip():
        errors["reason"] = f"请填写对 {subject.name} {year}年考核加减分的理由"
    if errors:
        raise ValidationError(errors)
    adj = AssessmentAdjustment(
        subject=subject,
        assessor=assessor,
        year=year,
        points=value,
        reason=reason.strip(),
        recorded_by=actor.label,
    )
    audited_create(
        obj=adj, fields=ADJUSTMENT_FIELDS, object_type="assessment_adjustment", actor=actor
    )
    return adj


@transaction.atomic
def assessment_adjustment_delete(*, adjustment: AssessmentAdjustment, actor: Actor) -> None:
    _ensure_assessor(actor, adjustment.assessor, adjustment.subject)
    audited_delete(
        obj=adjustment,
        fields=ADJUSTMENT_FIELDS,
        object_type="assessment_adjustment",
        actor=actor,
    )


def _upsert(
    *,
    subject: Organization,
    year: int,
    kind: str,
    grade: str,
    rank: int | None,
    out_of: int | None,
    extra: dict[str, Any],
    actor: Actor,
) -> Assessment:
    found = Assessment.objects.select_for_update().filter(subject_org=subject, year=year, kind=kind)
    existing = found.first()
    if existing is None:
        obj = Assessment(
            subject_org=subject,
            year=year,
            kind=kind,
            grade=grade,
            rank=rank,
            out_of=out_of,
            extra=extra,
        )
        audited_create(obj=obj, fields=ASSESSMENT_FIELDS, object_type="assessment", actor=actor)
        return obj
    before = snapshot(existing, ASSESSMENT_FIELDS)
    existing.grade, existing.rank, existing.out_of = grade, rank, out_of
    existing.extra = {**(existing.extra or {}), **extra}
    audited_save(
        obj=existing,
        before=before,
        fields=ASSESSMENT_FIELDS,
        object_type="assessment",
        actor=actor,
        extra={"published_by": extra.get("assessor", "")},
    )
    return existing


def _ensure_fresh(org: Organization, pack_id: str, year: int) -> None:
    from dangjian.policy import store

    if not store.status(org, pack_id, year).complete:
        raise ValidationError({"year": f"{org.name} {year}年的检查结果尚未计算完成，请稍后再发布"})


@transaction.atomic
def assessment_publish(*, org: Organization, year: int, actor: Actor) -> list[Assessment]:
    """Record the year's computed 党建工作考核 of every organisation `org` ranks (grade, rank,
    out of how many) as `Assessment` records, replacing earlier ones of that year."""
    ensure_can_administer(actor, org)
    scheme = sel.scheme_for(org)
    if scheme is None:
        raise ValidationError({"year": "本组织适用的规定没有考核计分办法，不能发布考核结果"})
    _ensure_fresh(org, scheme.pack_id, year)
    result = sel.ranking(org, year, scheme)
    if result is None or not result.rows:
        raise ValidationError({"year": f"{org.name} 没有参加排名的下级组织"})
    out = []
    for row in result.rows:
        extra = {
            "score": str(row.score),
            "normalised": str(row.normalised),
            "pack": scheme.pack_id,
            "assessor": org.ext_id,
            "computed": True,
        }
        out.append(
            _upsert(
                subject=row.org,
                year=year,
                kind=AssessmentKind.PARTY_BUILDING,
                grade=row.grade,
                rank=row.rank,
                out_of=result.out_of,
                extra=extra,
                actor=actor,
            )
        )
    return out


@transaction.atomic
def stars_publish(*, org: Organization, year: int, actor: Actor) -> list[Assessment]:
    """Record the year's star ratings of the branches under `org` as `Assessment` records."""
    ensure_can_administer(actor, org)
    result = sel.star_ratings(org, year)
    if result is None:
        raise ValidationError({"year": "本组织适用的规定没有星级评定标准"})
    _ensure_fresh(org, result.scheme.pack_id, year)
    if not result.rows:
        raise ValidationError({"year": f"{org.name} 下没有参加星级评定的党组织"})
    return [
        _upsert(
            subject=row.org,
            year=year,
            kind=AssessmentKind.STAR_RATING,
            grade=str(row.stars),
            rank=None,
            out_of=None,
            extra={"pack": result.scheme.pack_id, "assessor": org.ext_id, "computed": True},
            actor=actor,
        )
        for row in result.rows
    ]


@transaction.atomic
def duty_review_record(
    *,
    org: Organization,
    reporter: Person,
    role: str,
    year: int,
    held_on: datetime.date,
    reviewed_by: Organization,
    score: Decimal | None = None,
    grade: str = "",
    actor: Actor,
) -> DutyReview:
    """Record that `reporter` reported (述职) for `org` to `reviewed_by` and the rating.

    Only that the report happened and its rating: no content of what was said. The
    reviewing body records it; it is above `org` (or `org`'s party group for an organ
    committee's secretary), and the reporter held the role's post in `org` in `year`.
    """
    ensure_can_administer(actor, reviewed_by)
    errors: dict[str, str] = {}
    if reviewed_by.pk == org.pk or not org.path.startswith(reviewed_by.path):
        errors["reviewed_by"] = f"评议组织应为 {org.name} 的上级组织"
    if role not in REVIEW_ROLES:
        errors["role"] = f"未知的述职人身份：{role}"
    else:
        post, types = REVIEW_ROLES[role]
        if org.type not in types:
            errors["role"] = f"{org.name} 不是{DutyReviewRole(role).label}所在的组织类型"
        else:
            start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
            held = Position.objects.filter(
                person=reporter, org=org, role=post, start__lte=end
            ).exclude(end__lt=start)
            if not held.exists():
                errors["reporter"] = f"{reporter.name} {year}年没有担任 {org.name} 书记"
    if held_on.year < year:
        errors["held_on"] = f"述职日期不能早于{year}年"
    if score is not None and not (0 <= score <= 100):
        errors["score"] = "评议得分应在0到100之间"
    if grade and grade not in Grade.values:
        errors["grade"] = f"未知的评议等次：{grade}"
    if score is None and not grade:
        errors["grade"] = "请填写评议得分或评议等次"
    if (
        not errors
        and DutyReview.objects.filter(org=org, year=year, reviewed_by=reviewed_by).exists()
    ):
        errors["year"] = f"{org.name} {year}年向 {reviewed_by.name} 的述职评议已登记"
    if errors:
        raise ValidationError(errors)
    review = DutyReview(
        org=org,
        reporter=reporter,
        role=role,
        year=year,
        held_on=held_on,
        reviewed_by=reviewed_by,
        score=score,
        grade=grade,
        recorded_by=actor.label,
    )
    audited_create(obj=review, fields=REVIEW_FIELDS, object_type="duty_review", actor=actor)
    return review
