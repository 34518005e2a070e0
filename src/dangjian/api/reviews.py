"""民主评议党员 and 到社区报到 over the API, through the same selectors and services as the
pages: a branch's year of outcomes (GET) and recording them (POST); a branch's community
registrations and hours with the per-department summary (GET); a registration or a day's
service (POST). Administrators of the organisation only."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangjian.access.selectors import can_administer, orgs_administered
from dangjian.api.views import PreconditionFailed, _visible_org, api_actor, call_service
from dangjian.core.concurrency import etag_of, if_match_ok
from dangjian.orgs.models import Organization
from dangjian.people.models import MemberReview, Person, ReviewDecision, ReviewOutcome
from dangjian.people.review_selectors import (
    branch_community,
    branch_reviews,
    department_summaries,
    year_members,
)
from dangjian.people.review_services import (
    community_register,
    community_service_record,
    review_handling_save,
    reviews_record_year,
)

ORG_PARAM = OpenApiParameter("org", OpenApiTypes.STR, required=True, description="党组织编号")
YEAR_PARAM = OpenApiParameter("year", OpenApiTypes.INT, description="年度，默认今年")


class ReviewRowSerializer(serializers.Serializer):
    person = serializers.CharField(help_text="人员编号")
    name = serializers.CharField()
    outcome = serializers.CharField(
        allow_null=True,
        help_text="excellent 优秀 · qualified 合格 · basically_qualified 基本合格"
        " · unqualified 不合格",
    )
    reviewed_on = serializers.DateField(allow_null=True)
    correction_due = serializers.DateField(allow_null=True, help_text="限期改正期限")
    decision = serializers.CharField(allow_blank=True, help_text="处置结果")
    decided_on = serializers.DateField(allow_null=True)


class ReviewsSerializer(serializers.Serializer):
    org = serializers.CharField()
    year = serializers.IntegerField()
    rows = ReviewRowSerializer(many=True)


class OutcomeSerializer(serializers.Serializer):
    person = serializers.CharField(help_text="人员编号")
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices)


class ReviewRecordSerializer(serializers.Serializer):
    org = serializers.CharField(help_text="党组织编号")
    year = serializers.IntegerField(min_value=1900, max_value=9999)
    reviewed_on = serializers.DateField(help_text="评议日期")
    outcomes = OutcomeSerializer(many=True, help_text="每名党员的评议结果（未列出的不变）")


class CommunityRowSerializer(serializers.Serializer):
    person = serializers.CharField()
    name = serializers.CharField()
    community = serializers.CharField(allow_null=True, help_text="今天有效的报到社区")
    registered_on = serializers.DateField(allow_null=True)
    services = serializers.IntegerField(help_text="当年服务次数")
    hours = serializers.DecimalField(max_digits=8, decimal_places=1)


class SummarySerializer(serializers.Serializer):
    org = serializers.CharField()
    name = serializers.CharField()
    members = serializers.IntegerField(help_text="在职党员")
    registered = serializers.IntegerField()
    unregistered = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=10, decimal_places=1)


class CommunitySerializer(serializers.Serializer):
    org = serializers.CharField()
    year = serializers.IntegerField()
    rows = CommunityRowSerializer(many=True)
    departments = SummarySerializer(many=True)


class RegistrationSerializer(serializers.Serializer):
    person = serializers.CharField(help_text="人员编号")
    community = serializers.CharField(max_length=200)
    registered_on = serializers.DateField()


class ServiceSerializer(serializers.Serializer):
    person = serializers.CharField(help_text="人员编号")
    date = serializers.DateField()
    hours = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0)
    community = serializers.CharField(max_length=200, required=False, default="")


def _administered(request: Request, ext_id: str) -> Organization:
    org = _visible_org(request, ext_id, "org")
    if not can_administer(request.user, org):
        raise exceptions.PermissionDenied("只有该党组织的管理员可以查看或登记")
    return org


def _org_year(request: Request) -> tuple[Organization, int]:
    ext_id = (request.query_params.get("org") or "").strip()
    if not ext_id:
        raise exceptions.ValidationError({"org": ["请提供党组织编号"]})
    org = _administered(request, ext_id)
    raw = request.query_params.get("year") or str(datetime.date.today().year)
    if not raw.isdigit() or not 1900 <= int(raw) <= 9999:
        raise exceptions.ValidationError({"year": ["年度应为四位数字"]})
    return org, int(raw)


def _reviews_data(org: Organization, year: int) -> dict[str, Any]:
    rows = []
    for r in branch_reviews(org, year):
        v = r.review
        rows.append(
            {
                "person": r.person.ext_id,
                "name": r.person.name,
                "outcome": v.outcome if v else None,
                "reviewed_on": v.reviewed_on if v else None,
                "correction_due": v.correction_due if v else None,
                "decision": v.decision if v else "",
                "decided_on": v.decided_on if v else None,
            }
        )
    return {"org": org.ext_id, "year": year, "rows": rows}


def _person_in(org: Organization, ext_id: str, field: str) -> Person:
    person = Person.objects.filter(org=org, ext_id=ext_id).first()
    if person is None:
        raise exceptions.ValidationError({field: [f"人员 {ext_id} 不是该党组织的党员"]})
    return person


class ReviewsView(APIView):
    """民主评议党员：某支部某年每名党员的评议结果（GET）；登记评议结果（POST）。"""

    @extend_schema(
        parameters=[ORG_PARAM, YEAR_PARAM],
        responses={200: ReviewsSerializer},
        summary="民主评议党员结果",
        tags=["reviews"],
    )
    def get(self, request: Request) -> Response:
        org, year = _org_year(request)
        return Response(ReviewsSerializer(_reviews_data(org, year)).data)

    @extend_schema(
        request=ReviewRecordSerializer,
        responses={201: ReviewsSerializer},
        summary="登记一个支部一年的评议结果",
        tags=["reviews"],
    )
    def post(self, request: Request) -> Response:
        body = ReviewRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = _administered(request, data["org"])
        wanted = [o["person"] for o in data["outcomes"]]
        people = {p.ext_id: p for p in year_members(org, data["year"]).filter(ext_id__in=wanted)}
        missing = [w for w in wanted if w not in people]
        if missing:
            raise exceptions.ValidationError(
                {"outcomes": [f"人员 {'、'.join(missing)} 不是该党组织当年的党员"]}
            )
        try:
            call_service(
                reviews_record_year,
                org=org,
                year=data["year"],
                reviewed_on=data["reviewed_on"],
                outcomes={people[o["person"]]: o["outcome"] for o in data["outcomes"]},
                actor=api_actor(request),
            )
        except exceptions.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"outcomes": exc.detail}
            merged: dict[str, list[str]] = {}
            for key, messages in detail.items():
                target = "outcomes" if str(key).startswith("outcome_") else str(key)
                merged.setdefault(target, []).extend(str(m) for m in messages)
            raise exceptions.ValidationError(merged) from exc
        return Response(
            ReviewsSerializer(_reviews_data(org, data["year"])).data,
            status=status.HTTP_201_CREATED,
        )


def _community_data(org: Organization, year: int) -> dict[str, Any]:
    today = datetime.date.today()
    return {
        "org": org.ext_id,
        "year": year,
        "rows": [
            {
                "person": r.person.ext_id,
                "name": r.person.name,
                "community": r.registration.community if r.registration else None,
                "registered_on": r.registration.registered_on if r.registration else None,
                "services": r.services,
                "hours": r.hours,
            }
            for r in branch_community(org, year, today)
        ],
        "departments": [
            {
                "org": s.org.ext_id,
                "name": s.org.name,
                "members": s.members,
                "registered": s.registered,
                "unregistered": s.unregistered,
                "hours": s.hours,
            }
            for s in department_summaries(org, year, today)
        ],
    }


class CommunityView(APIView):
    """在职党员到社区报到：本组织党员的报到社区和当年服务时长，按部门汇总。"""

    @extend_schema(
        parameters=[ORG_PARAM, YEAR_PARAM],
        responses={200: CommunitySerializer},
        summary="到社区报到情况",
        tags=["community"],
    )
    def get(self, request: Request) -> Response:
        org, year = _org_year(request)
        return Response(CommunitySerializer(_community_data(org, year)).data)


class RegistrationView(APIView):
    """登记一名党员到社区报到（此前有效的报到于当日结束）。"""

    @extend_schema(
        parameters=[ORG_PARAM],
        request=RegistrationSerializer,
        responses={201: RegistrationSerializer},
        summary="登记到社区报到",
        tags=["community"],
    )
    def post(self, request: Request) -> Response:
        org = _administered(request, (request.query_params.get("org") or "").strip())
        body = RegistrationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        person = _person_in(org, data["person"], "person")
        call_service(
            community_register,
            person=person,
            community=data["community"],
            registered_on=data["registered_on"],
            actor=api_actor(request),
        )
        return Response(RegistrationSerializer(data).data, status=status.HTTP_201_CREATED)


class ServiceView(APIView):
    """登记一名党员一天的社区服务时长。"""

    @extend_schema(
        parameters=[ORG_PARAM],
        request=ServiceSerializer,
        responses={201: ServiceSerializer},
        summary="登记社区服务",
        tags=["community"],
    )
    def post(self, request: Request) -> Response:
        org = _administered(request, (request.query_params.get("org") or "").strip())
        body = ServiceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        person = _person_in(org, data["person"], "person")
        call_service(
            community_service_record,
            person=person,
            date=data["date"],
            hours=data["hours"],
            community=data["community"],
            actor=api_actor(request),
        )
        return Response(ServiceSerializer(data).data, status=status.HTTP_201_CREATED)


class HandlingSerializer(serializers.Serializer):
    person = serializers.CharField(read_only=True)
    year = serializers.IntegerField(read_only=True)
    outcome = serializers.CharField(read_only=True)
    reviewed_on = serializers.DateField(read_only=True)
    correction_due = serializers.DateField(
        allow_null=True, required=False, help_text="限期改正期限"
    )
    decision = serializers.ChoiceField(
        choices=[("", "（尚未决定）"), *ReviewDecision.choices], required=False, allow_blank=True
    )
    decided_on = serializers.DateField(allow_null=True, required=False)


def _review_data(review: MemberReview) -> dict[str, Any]:
    return {
        "person": review.person.ext_id,
        "year": review.year,
        "outcome": review.outcome,
        "reviewed_on": review.reviewed_on,
        "correction_due": review.correction_due,
        "decision": review.decision,
        "decided_on": review.decided_on,
    }


class ReviewDetailView(APIView):
    """一名党员某年度的评议结果（GET，带 ETag）；登记不合格党员的处置（PATCH，If-Match）。"""

    def _get(self, request: Request, person: str, year: int) -> MemberReview:
        # Only reviews of people in organisations the caller administers: others are 404.
        review = (
            MemberReview.objects.filter(
                person__org__in=orgs_administered(request.user), person__ext_id=person, year=year
            )
            .select_related("person", "person__org")
            .first()
        )
        if review is None:
            raise exceptions.NotFound("没有该评议记录或无权访问")
        return review

    @extend_schema(
        responses={200: HandlingSerializer},
        summary="一条评议结果",
        tags=["reviews"],
        operation_id="v1_review_detail_retrieve",
    )
    def get(self, request: Request, person: str, year: int) -> Response:
        data = HandlingSerializer(_review_data(self._get(request, person, year))).data
        return Response(data, headers={"ETag": etag_of(data)})

    @extend_schema(
        request=HandlingSerializer,
        responses={200: HandlingSerializer},
        summary="登记不合格党员的处置（限期改正期限、处置结果和日期）",
        tags=["reviews"],
    )
    def patch(self, request: Request, person: str, year: int) -> Response:
        review = self._get(request, person, year)
        body = HandlingSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with transaction.atomic():
            current = MemberReview.objects.select_for_update().get(pk=review.pk)
            current.person = review.person
            if not if_match_ok(
                request.headers.get("If-Match"),
                etag_of(HandlingSerializer(_review_data(current)).data),
            ):
                raise PreconditionFailed()
            call_service(
                review_handling_save,
                review=current,
                correction_due=data.get("correction_due", current.correction_due),
                decision=data.get("decision", current.decision),
                decided_on=data.get("decided_on", current.decided_on),
                actor=api_actor(request),
            )
        out = HandlingSerializer(_review_data(current)).data
        return Response(out, headers={"ETag": etag_of(out)})
