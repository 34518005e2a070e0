"""党费 over the API: a branch's monthly ledger (GET) and one month's payments for the
branch (POST), through the same selector and service as the page."""

from __future__ import annotations

import datetime
import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangjian.access.selectors import can_administer
from dangjian.api.views import _visible_org, api_actor, call_service
from dangjian.orgs.models import Organization
from dangjian.people.dues_selectors import Ledger, branch_ledger
from dangjian.people.dues_services import DuePayment, dues_record_month
from dangjian.people.models import Person

MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"


class LedgerRowSerializer(serializers.Serializer):
    person = serializers.CharField(help_text="人员编号")
    name = serializers.CharField()
    expected = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    paid = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    paid_on = serializers.DateField(allow_null=True)
    unpaid_months = serializers.IntegerField(help_text="截至今天连续未交月数")
    severity = serializers.CharField(
        allow_null=True, help_text="warning（3个月）或 violation（6个月）"
    )


class LedgerSerializer(serializers.Serializer):
    org = serializers.CharField()
    month = serializers.CharField()
    expected_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    rows = LedgerRowSerializer(many=True)


class PaymentSerializer(serializers.Serializer):
    person = serializers.CharField(help_text="人员编号")
    amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, help_text="每月金额（元）"
    )
    months = serializers.IntegerField(
        default=1, min_value=1, max_value=3, help_text="交纳月数（按季度最多3个月）"
    )


class RecordSerializer(serializers.Serializer):
    org = serializers.CharField(help_text="党组织编号")
    month = serializers.RegexField(MONTH_RE, help_text="所属月份 YYYY-MM")
    paid_on = serializers.DateField(help_text="交纳日期")
    payments = PaymentSerializer(many=True)


def _month(text: str) -> datetime.date:
    year, month = (int(x) for x in text.split("-"))
    return datetime.date(year, month, 1)


def _administered(request: Request, ext_id: str) -> Organization:
    org = _visible_org(request, ext_id, "org")
    if not can_administer(request.user, org):
        raise exceptions.PermissionDenied("只有该党组织的管理员可以查看或登记党费")
    return org


def _ledger_data(ledger: Ledger) -> dict[str, Any]:
    return {
        "org": ledger.org.ext_id,
        "month": f"{ledger.month:%Y-%m}",
        "expected_total": ledger.expected_total,
        "paid_total": ledger.paid_total,
        "rows": [
            {
                "person": r.person.ext_id,
                "name": r.person.name,
                "expected": r.expected,
                "paid": r.paid,
                "paid_on": r.paid_on,
                "unpaid_months": r.run,
                "severity": r.severity,
            }
            for r in ledger.rows
        ],
    }


class DuesView(APIView):
    """党费收缴台账：某支部某月应交与实交（GET）；登记该月全支部的交纳（POST）。仅限管理员。"""

    @extend_schema(
        parameters=[
            OpenApiParameter("org", OpenApiTypes.STR, required=True, description="党组织编号"),
            OpenApiParameter("month", OpenApiTypes.STR, description="所属月份 YYYY-MM，默认本月"),
        ],
        responses={200: LedgerSerializer},
        summary="党费台账",
        tags=["dues"],
    )
    def get(self, request: Request) -> Response:
        ext_id = (request.query_params.get("org") or "").strip()
        if not ext_id:
            raise exceptions.ValidationError({"org": ["请提供党组织编号"]})
        org = _administered(request, ext_id)
        text = request.query_params.get("month") or f"{datetime.date.today():%Y-%m}"
        if re.match(MONTH_RE, text) is None:
            raise exceptions.ValidationError({"month": ["所属月份应为 YYYY-MM"]})
        ledger = branch_ledger(org, _month(text))
        return Response(LedgerSerializer(_ledger_data(ledger)).data)

    @extend_schema(
        request=RecordSerializer,
        responses={201: LedgerSerializer},
        summary="登记一个月的党费",
        tags=["dues"],
    )
    def post(self, request: Request) -> Response:
        body = RecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = _administered(request, data["org"])
        wanted = [p["person"] for p in data["payments"]]
        people = {p.ext_id: p for p in Person.objects.filter(org=org, ext_id__in=wanted)}
        missing = [w for w in wanted if w not in people]
        if missing:
            raise exceptions.ValidationError(
                {"payments": [f"人员 {'、'.join(missing)} 不是该党组织的党员"]}
            )
        month = _month(data["month"])
        try:
            call_service(
                dues_record_month,
                org=org,
                month=month,
                paid_on=data["paid_on"],
                payments=[
                    DuePayment(person=people[p["person"]], amount=p["amount"], months=p["months"])
                    for p in data["payments"]
                ],
                actor=api_actor(request),
            )
        except exceptions.ValidationError as exc:
            # The service names a line by its form field (amount_<pk>): say "payments".
            detail = exc.detail if isinstance(exc.detail, dict) else {"payments": exc.detail}
            merged: dict[str, list[str]] = {}
            for key, messages in detail.items():
                target = "payments" if str(key).startswith("amount_") else str(key)
                merged.setdefault(target, []).extend(str(m) for m in messages)
            raise exceptions.ValidationError(merged) from exc
        ledger = branch_ledger(org, month)
        return Response(LedgerSerializer(_ledger_data(ledger)).data, status=status.HTTP_201_CREATED)
