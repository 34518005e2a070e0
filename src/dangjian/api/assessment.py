"""党建工作考核, 星级评定 and 述职评议 over the API: the same selectors and services as the
pages (`oversight.assessment`, `oversight.assessment_services`)."""

from __future__ import annotations

import datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangjian.access.selectors import can_administer
from dangjian.api.views import _visible_org, _year, api_actor, call_service
from dangjian.orgs.models import Organization
from dangjian.oversight import assessment as asel
from dangjian.oversight import assessment_services as services
from dangjian.oversight.models import DutyReviewRole, Grade
from dangjian.people.models import Person

_ORG = OpenApiParameter("org", OpenApiTypes.STR, required=True, description="党组织编号")
_YEAR = OpenApiParameter("year", OpenApiTypes.INT, description="年度，默认今年")


def dec(help_text: str = "") -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=8, decimal_places=4, help_text=help_text or None)


class RankingRowSerializer(serializers.Serializer):
    org = serializers.CharField(help_text="组织编号")
    name = serializers.CharField()
    rank = serializers.IntegerField()
    members = serializers.IntegerField(help_text="党员数")
    findings = serializers.IntegerField(help_text="计入扣分的检查结果条数")
    deduction = dec("扣分（每条规则封顶后合计）")
    adjustment = dec("加减分合计")
    score = dec("得分 = 基础分 − 扣分 + 加减分")
    factor = dec("按人数折算系数")
    normalised = dec("折算得分（定等次、排名）")
    grade = serializers.CharField(help_text="excellent/good/fair/poor")
    grade_label = serializers.CharField()
    award_eligible = serializers.BooleanField(help_text="可评先评优")
    award_blocked = serializers.ListField(child=serializers.CharField())


class RankingSerializer(serializers.Serializer):
    org = serializers.CharField()
    year = serializers.IntegerField()
    document = serializers.CharField()
    clause = serializers.CharField()
    base = dec()
    normalise = serializers.CharField(help_text="none 或 per_member")
    mean_members = serializers.DecimalField(max_digits=12, decimal_places=4)
    out_of = serializers.IntegerField()
    rows = RankingRowSerializer(many=True)


class FindingLineSerializer(serializers.Serializer):
    key = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()
    points = dec()


class RuleLineSerializer(serializers.Serializer):
    rule = serializers.CharField()
    title = serializers.CharField()
    document = serializers.CharField()
    clause = serializers.CharField()
    raw = dec("按条数计")
    deduction = dec("封顶后")
    findings = FindingLineSerializer(many=True)


class AdjustmentSerializer(serializers.Serializer):
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    reason = serializers.CharField()
    recorded_by = serializers.CharField()
    created_at = serializers.DateTimeField()


class BreakdownSerializer(serializers.Serializer):
    org = serializers.CharField()
    year = serializers.IntegerField()
    base = dec()
    deduction = dec()
    adjustment = dec()
    score = dec()
    row = RankingRowSerializer()
    rules = RuleLineSerializer(many=True)
    adjustments = AdjustmentSerializer(many=True)


class AdjustInSerializer(serializers.Serializer):
    org = serializers.CharField(help_text="考核组织（排名所在的组织）编号")
    subject = serializers.CharField(help_text="被考核组织编号")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    reason = serializers.CharField(allow_blank=True, help_text="理由（必填）")


class StarReasonSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    title = serializers.CharField()
    met = serializers.BooleanField()
    violations = serializers.DictField(child=serializers.IntegerField())


class StarRowSerializer(serializers.Serializer):
    org = serializers.CharField()
    name = serializers.CharField()
    stars = serializers.IntegerField()
    reasons = StarReasonSerializer(many=True)


class StarsSerializer(serializers.Serializer):
    org = serializers.CharField()
    year = serializers.IntegerField()
    rows = StarRowSerializer(many=True)


class DutyReviewSerializer(serializers.Serializer):
    org = serializers.CharField(help_text="述职组织编号")
    reporter = serializers.CharField(help_text="述职人编号")
    # plain text (the service checks it): a second choice set named "role" would collide
    # with the positions' in the schema's enum names
    role = serializers.CharField(
        help_text="述职人身份："
        + "，".join(f"{code} {label}" for code, label in DutyReviewRole.choices)
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    held_on = serializers.DateField()
    reviewed_by = serializers.CharField(help_text="评议组织编号", read_only=True)
    score = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, allow_null=True
    )
    grade = serializers.ChoiceField(choices=Grade.choices, required=False, allow_blank=True)


def _administered(request: Request, field: str = "org") -> Organization:
    ext_id = (request.query_params.get(field) or request.data.get(field) or "").strip()
    if not ext_id:
        raise exceptions.ValidationError({field: ["请提供党组织编号"]})
    org = _visible_org(request, ext_id, field)
    if not can_administer(request.user, org):
        raise exceptions.PermissionDenied("只有该党组织的管理员可以查看考核评定")
    return org


def _row(r: asel.Row) -> dict[str, Any]:
    return {
        "org": r.org.ext_id,
        "name": r.org.name,
        "rank": r.rank,
        "members": r.members,
        "findings": r.findings,
        "deduction": r.deduction,
        "adjustment": r.adjustment,
        "score": r.score,
        "factor": r.factor,
        "normalised": r.normalised,
        "grade": r.grade,
        "grade_label": r.grade_label,
        "award_eligible": r.award_eligible,
        "award_blocked": r.award_blocked,
    }


def _ranking(org: Organization, year: int) -> asel.Ranking:
    result = asel.ranking(org, year)
    if result is None:
        raise exceptions.NotFound("该组织这一级没有考核排名，或适用的规定没有考核计分办法")
    return result


class AssessmentView(APIView):
    """党建工作考核排名：某组织对其下级组织的年度考核得分、等次、名次（管理员）。"""

    @extend_schema(
        parameters=[_ORG, _YEAR],
        responses={200: RankingSerializer},
        summary="考核排名",
        tags=["assessment"],
    )
    def get(self, request: Request) -> Response:
        org = _administered(request)
        year = _year(request) or datetime.date.today().year
        result = _ranking(org, year)
        s = result.scheme
        data = {
            "org": org.ext_id,
            "year": year,
            "document": s.document,
            "clause": s.clause,
            "base": s.base,
            "normalise": s.normalise,
            "mean_members": result.mean_members,
            "out_of": result.out_of,
            "rows": [_row(r) for r in result.rows],
        }
        return Response(RankingSerializer(data).data)


class AssessmentBreakdownView(APIView):
    """一个组织的考核得分明细：每条规则的扣分及其检查结果、加减分及理由。"""

    @extend_schema(
        parameters=[
            _ORG,
            OpenApiParameter(
                "subject", OpenApiTypes.STR, required=True, description="被考核组织编号"
            ),
            _YEAR,
        ],
        responses={200: BreakdownSerializer},
        summary="考核得分明细",
        tags=["assessment"],
    )
    def get(self, request: Request) -> Response:
        org = _administered(request)
        year = _year(request) or datetime.date.today().year
        ext = (request.query_params.get("subject") or "").strip()
        subject = Organization.objects.filter(path__startswith=org.path, ext_id=ext).first()
        detail = asel.breakdown(org, subject, year) if subject is not None else None
        if detail is None:
            raise exceptions.ValidationError({"subject": [f"{ext} 不在该组织的考核排名中"]})
        data = {
            "org": subject.ext_id,  # type: ignore[union-attr]
            "year": year,
            "base": detail.ranking.scheme.base,
            "deduction": detail.deduction,
            "adjustment": detail.adjustment,
            "score": detail.score,
            "row": _row(detail.row),
            "rules": [
                {
                    "rule": rl.rule,
                    "title": rl.title,
                    "document": rl.document,
                    "clause": rl.clause,
                    "raw": rl.raw,
                    "deduction": rl.deduction,
                    "findings": [
                        {
                            "key": ln.finding.key,
                            "severity": ln.finding.severity,
                            "message": ln.finding.message,
                            "points": ln.points,
                        }
                        for ln in rl.lines
                    ],
                }
                for rl in detail.rules
            ],
            "adjustments": [
                {
                    "points": a.points,
                    "reason": a.reason,
                    "recorded_by": a.recorded_by,
                    "created_at": a.created_at,
                }
                for a in detail.adjustments
            ],
        }
        return Response(BreakdownSerializer(data).data)


class AssessmentAdjustView(APIView):
    """登记考核加减分（须写明理由）；仅考核组织的管理员。"""

    @extend_schema(
        request=AdjustInSerializer,
        responses={201: AdjustmentSerializer},
        summary="登记考核加减分",
        tags=["assessment"],
    )
    def post(self, request: Request) -> Response:
        body = AdjustInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        org = _visible_org(request, d["org"], "org")
        subject = Organization.objects.filter(
            path__startswith=org.path, ext_id=d["subject"]
        ).first()
        if subject is None:
            raise exceptions.ValidationError({"subject": [f"{d['subject']} 不是该组织的下级组织"]})
        adj = call_service(
            services.assessment_adjust,
            assessor=org,
            subject=subject,
            year=d["year"],
            points=d["points"],
            reason=d["reason"],
            actor=api_actor(request),
        )
        out = {
            "points": adj.points,
            "reason": adj.reason,
            "recorded_by": adj.recorded_by,
            "created_at": adj.created_at,
        }
        return Response(AdjustmentSerializer(out).data, status=status.HTTP_201_CREATED)


class StarsView(APIView):
    """星级评定：某组织下各党支部的星级及每颗星的理由（管理员）。"""

    @extend_schema(
        parameters=[_ORG, _YEAR],
        responses={200: StarsSerializer},
        summary="星级评定",
        tags=["assessment"],
    )
    def get(self, request: Request) -> Response:
        org = _administered(request)
        year = _year(request) or datetime.date.today().year
        result = asel.star_ratings(org, year)
        if result is None:
            raise exceptions.NotFound("适用的规定没有星级评定标准")
        data = {
            "org": org.ext_id,
            "year": year,
            "rows": [
                {
                    "org": r.org.ext_id,
                    "name": r.org.name,
                    "stars": r.stars,
                    "reasons": [
                        {
                            "criterion": s.criterion.id,
                            "title": s.criterion.title,
                            "met": s.met,
                            "violations": dict(s.violations),
                        }
                        for s in r.reasons
                    ],
                }
                for r in result.rows
            ],
        }
        return Response(StarsSerializer(data).data)


def _review_data(r: Any) -> dict[str, Any]:
    return {
        "org": r.org.ext_id,
        "reporter": r.reporter.ext_id,
        "role": r.role,
        "year": r.year,
        "held_on": r.held_on,
        "reviewed_by": r.reviewed_by.ext_id,
        "score": r.score,
        "grade": r.grade,
    }


class DutyReviewsView(APIView):
    """述职评议记录：谁、何时、向哪个组织述职，评议得分或等次（不含述职内容）。"""

    @extend_schema(
        parameters=[_ORG, _YEAR],
        responses={200: DutyReviewSerializer(many=True)},
        summary="述职评议记录",
        tags=["assessment"],
    )
    def get(self, request: Request) -> Response:
        org = _administered(request)
        year = _year(request) or datetime.date.today().year
        rows = [_review_data(r) for r in asel.duty_reviews(org, year)]
        return Response(DutyReviewSerializer(rows, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("org", OpenApiTypes.STR, required=True, description="评议组织编号")
        ],
        request=DutyReviewSerializer,
        responses={201: DutyReviewSerializer},
        summary="登记述职评议",
        tags=["assessment"],
    )
    def post(self, request: Request) -> Response:
        body = DutyReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        ext = (request.query_params.get("org") or "").strip()
        if not ext:
            raise exceptions.ValidationError({"org": ["请在查询参数中提供评议组织编号"]})
        reviewer = _visible_org(request, ext, "org")
        org = Organization.objects.filter(path__startswith=reviewer.path, ext_id=d["org"]).first()
        if org is None:
            raise exceptions.ValidationError({"org": [f"{d['org']} 不是评议组织的下级组织"]})
        # only someone who held a post in that organisation can have reported for it
        reporter = Person.objects.filter(ext_id=d["reporter"], positions__org=org).first()
        if reporter is None:
            raise exceptions.ValidationError(
                {"reporter": [f"{d['reporter']} 没有在 {org.name} 担任过职务"]}
            )
        review = call_service(
            services.duty_review_record,
            org=org,
            reporter=reporter,
            role=d["role"],
            year=d["year"],
            held_on=d["held_on"],
            reviewed_by=reviewer,
            score=d.get("score"),
            grade=d.get("grade") or "",
            actor=api_actor(request),
        )
        return Response(
            DutyReviewSerializer(_review_data(review)).data, status=status.HTTP_201_CREATED
        )
