"""HTTP API of inspections (督查) and responsibility lists (责任清单): reads through
scoped querysets, writes through the oversight services."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dangjian.access.selectors import orgs_administered
from dangjian.api.serializers import AdminRef, BoundedDateField, _ref
from dangjian.api.views import KeepingViewSet, _param, _year, api_actor, call_service
from dangjian.orgs.models import Organization
from dangjian.oversight import inspections as inspection_services
from dangjian.oversight import responsibility as responsibility_services
from dangjian.oversight import selectors as osel
from dangjian.oversight.models import Inspection, Rectification, ResponsibilityList
from dangjian.people.models import Person


def api_inspections(user: Any) -> QuerySet[Inspection]:
    """Inspections held by, or of, an organisation the user administers."""
    mine = orgs_administered(user)
    pks = Inspection.objects.filter(Q(org__in=mine) | Q(targets__in=mine)).values("pk")
    return (
        Inspection.objects.filter(pk__in=pks)
        .select_related("org", "activity")
        .prefetch_related("targets", "inspectors")
        .order_by("-year", "-quarter", "-pk")
    )


def api_responsibility_lists(user: Any) -> QuerySet[ResponsibilityList]:
    return (
        ResponsibilityList.objects.filter(org__in=orgs_administered(user))
        .select_related("org", "filing")
        .prefetch_related("items__responsible")
        .order_by("-year", "org__path")
    )


def _org_ref(**kw: Any) -> AdminRef:
    return AdminRef(model=Organization, scope=orgs_administered, noun="党组织", **kw)


def _person_ref(**kw: Any) -> AdminRef:
    from dangjian.access.selectors import people_visible

    return AdminRef(model=Person, scope=people_visible, noun="人员", **kw)


class ProblemSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="ext_id", read_only=True)
    org = _ref()
    status = serializers.CharField(read_only=True, help_text="整改状态代码")
    status_label = serializers.CharField(read_only=True, help_text="整改状态")

    class Meta:
        model = Rectification
        fields = [
            "id",
            "org",
            "title",
            "due_on",
            "status",
            "status_label",
            "rectified_on",
            "closed_on",
        ]
        read_only_fields = fields


class InspectionSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="ext_id", read_only=True)
    org = _ref()
    targets = _ref(many=True)
    inspectors = _ref(many=True)
    held_on = serializers.DateField(read_only=True, allow_null=True, help_text="督查日期")
    activity = serializers.SerializerMethodField(help_text="督导检查活动编号（已开展时）")
    problems = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = [
            "id",
            "org",
            "year",
            "quarter",
            "title",
            "targets",
            "held_on",
            "inspectors",
            "inspector_names",
            "activity",
            "problems",
        ]
        read_only_fields = fields

    def get_activity(self, obj: Inspection) -> str | None:
        return obj.activity.ext_id if obj.activity else None

    @extend_schema_field(ProblemSerializer(many=True))
    def get_problems(self, obj: Inspection) -> list[dict[str, Any]]:
        problems = self.context.get("problems", {}).get(obj.activity_id)
        if problems is None:
            problems = list(osel.inspection_problems(obj))
        return list(ProblemSerializer(problems, many=True).data)


class ProblemWriteSerializer(serializers.Serializer):
    org = _org_ref(help_text="整改组织（被督查组织之一）")
    description = serializers.CharField(max_length=200, help_text="存在的问题（工作中的不足）")
    due_on = BoundedDateField(required=False, allow_null=True, help_text="整改期限")


class InspectionWriteSerializer(serializers.Serializer):
    org = _org_ref(help_text="督查组织")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)
    title = serializers.CharField(max_length=200)
    targets = serializers.ListField(child=_org_ref(), min_length=1, help_text="被督查组织")
    held_on = BoundedDateField(required=False, allow_null=True, help_text="督查日期；省略为计划")
    inspectors = serializers.ListField(child=_person_ref(), required=False, default=list)
    inspector_names = serializers.CharField(max_length=200, required=False, default="")
    problems = ProblemWriteSerializer(many=True, required=False, default=list)


class InspectionRecordSerializer(serializers.Serializer):
    held_on = BoundedDateField(help_text="督查日期")
    inspectors = serializers.ListField(child=_person_ref(), required=False, default=list)
    inspector_names = serializers.CharField(max_length=200, required=False, default="")
    problems = ProblemWriteSerializer(many=True, required=False, default=list)


def _problems(data: list[dict[str, Any]]) -> list[inspection_services.ProblemInput]:
    return [
        inspection_services.ProblemInput(
            org=p["org"], description=p["description"], due_on=p.get("due_on")
        )
        for p in data
    ]


@extend_schema(tags=["inspections"])
class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, KeepingViewSet):
    """督查：机关工委、党组（党委）、机关党委按季度对下级组织的督查计划和开展情况。
    开展后登记督查日期和发现的问题，每个问题交办被督查组织整改（问题整改闭环）。"""

    serializer_class = InspectionSerializer
    selector = staticmethod(api_inspections)
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_context(self) -> dict[str, Any]:
        ctx = super().get_serializer_context()
        page = getattr(self, "_page_items", None)
        if page is not None:
            acts = [i.activity_id for i in page if i.activity_id]
            found: dict[int, list[Rectification]] = {a: [] for a in acts}
            for r in (
                Rectification.objects.filter(source_activity_id__in=acts)
                .select_related("org")
                .order_by("org__path", "pk")
            ):
                found[r.source_activity_id].append(r)  # type: ignore[index]
            ctx["problems"] = found
        return ctx

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        self._page_items = page
        return page

    @extend_schema(
        parameters=[
            OpenApiParameter("org", str, description="督查组织编号"),
            OpenApiParameter("year", int, description="年度"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Inspection]:
        qs = super().get_queryset()
        if self.action == "list":
            if org := _param(self.request, "org"):
                qs = qs.filter(org__ext_id=org)
            if (year := _year(self.request)) is not None:
                qs = qs.filter(year=year)
        return qs

    @extend_schema(request=InspectionWriteSerializer, responses={201: InspectionSerializer})
    def create(self, request: Request) -> Response:
        """制定督查计划；填写 held_on 时同时登记开展情况和发现的问题。"""
        data = self._body(InspectionWriteSerializer)
        inspection = call_service(
            inspection_services.inspection_create,
            actor=api_actor(request),
            org=data["org"],
            year=data["year"],
            quarter=data["quarter"],
            title=data["title"],
            targets=data["targets"],
            held_on=data.get("held_on"),
            inspectors=data["inspectors"],
            inspector_names=data["inspector_names"],
            problems=_problems(data["problems"]),
        )
        return self._show(InspectionSerializer, inspection, status.HTTP_201_CREATED)

    @extend_schema(request=InspectionRecordSerializer, responses={200: InspectionSerializer})
    @action(detail=True, methods=["post"])
    def record(self, request: Request, id: str) -> Response:
        """登记已计划督查的开展情况和发现的问题。"""
        inspection = self.get_object()
        data = self._body(InspectionRecordSerializer)
        inspection = call_service(
            inspection_services.inspection_record,
            actor=api_actor(request),
            inspection=inspection,
            held_on=data["held_on"],
            inspectors=data["inspectors"],
            inspector_names=data["inspector_names"],
            problems=_problems(data["problems"]),
        )
        inspection = self.get_queryset().get(pk=inspection.pk)
        return self._show(InspectionSerializer, inspection)


class ResponsibilityItemSerializer(serializers.Serializer):
    task = serializers.CharField(max_length=300, help_text="责任事项")
    responsible = serializers.CharField(read_only=True, allow_null=True, help_text="责任人编号")
    responsible_name = serializers.CharField(max_length=100, read_only=True)
    due_on = serializers.DateField(read_only=True, allow_null=True)
    rules = serializers.ListField(child=serializers.CharField(), read_only=True)
    status = serializers.CharField(read_only=True, help_text="落实情况代码")
    status_label = serializers.CharField(read_only=True, help_text="落实情况（取自规则检查结果）")


class ResponsibilityListSerializer(serializers.ModelSerializer):
    org = _ref()
    filed_on = serializers.SerializerMethodField(help_text="报送日期（未报送为空）")
    items = serializers.SerializerMethodField()

    class Meta:
        model = ResponsibilityList
        fields = ["id", "org", "year", "filed_on", "items"]
        read_only_fields = fields

    def get_filed_on(self, obj: ResponsibilityList) -> str | None:
        return obj.filing.date.isoformat() if obj.filing else None

    @extend_schema_field(ResponsibilityItemSerializer(many=True))
    def get_items(self, obj: ResponsibilityList) -> list[dict[str, Any]]:
        statuses = osel.responsibility_item_statuses(obj)
        return [
            {
                "task": i.task,
                "responsible": i.responsible.ext_id if i.responsible else None,
                "responsible_name": i.responsible_name,
                "due_on": i.due_on.isoformat() if i.due_on else None,
                "rules": list(i.rules),
                "status": statuses[i.pk].status,
                "status_label": statuses[i.pk].label,
            }
            for i in obj.items.all()
        ]


class ResponsibilityItemWriteSerializer(serializers.Serializer):
    task = serializers.CharField(max_length=300)
    responsible = _person_ref(required=False, allow_null=True)
    responsible_name = serializers.CharField(max_length=100, required=False, default="")
    due_on = BoundedDateField(required=False, allow_null=True)
    rules = serializers.ListField(
        child=serializers.CharField(max_length=128), required=False, default=list
    )


class ResponsibilityListWriteSerializer(serializers.Serializer):
    org = _org_ref()
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    items = ResponsibilityItemWriteSerializer(many=True)


class FileSerializer(serializers.Serializer):
    on = BoundedDateField(help_text="报送日期")


@extend_schema(tags=["responsibility-lists"])
class ResponsibilityListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, KeepingViewSet):
    """三级责任清单：党组（党委）、机关党委、党支部每年的责任事项、责任人和完成时限；
    报送（file）即登记当年的“党建责任清单”报送记录。落实情况取自规则检查结果。"""

    serializer_class = ResponsibilityListSerializer
    selector = staticmethod(api_responsibility_lists)
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(
        request=ResponsibilityListWriteSerializer, responses={201: ResponsibilityListSerializer}
    )
    def create(self, request: Request) -> Response:
        """新建或整体替换某组织某年度的责任清单事项。"""
        from dangjian.web import page_findings

        data = self._body(ResponsibilityListWriteSerializer)
        known = set(page_findings.pack_rules(page_findings.pack_id_for(data["org"])))
        lst = call_service(
            responsibility_services.responsibility_list_save,
            actor=api_actor(request),
            org=data["org"],
            year=data["year"],
            known_rules=known,
            items=[
                responsibility_services.ItemInput(
                    task=i["task"],
                    responsible=i.get("responsible"),
                    responsible_name=i.get("responsible_name", ""),
                    due_on=i.get("due_on"),
                    rules=tuple(i.get("rules", [])),
                )
                for i in data["items"]
            ],
        )
        return self._show(
            ResponsibilityListSerializer,
            self.get_queryset().get(pk=lst.pk),
            status.HTTP_201_CREATED,
        )

    @extend_schema(request=FileSerializer, responses={200: ResponsibilityListSerializer})
    @action(detail=True, methods=["post"], url_path="file")
    def file(self, request: Request, id: str) -> Response:
        """报送责任清单（登记当年的责任清单报送记录）。"""
        lst = self.get_object()
        data = self._body(FileSerializer)
        call_service(
            responsibility_services.responsibility_list_file,
            actor=api_actor(request),
            responsibility_list=lst,
            on=data["on"],
        )
        return self._show(ResponsibilityListSerializer, self.get_queryset().get(pk=lst.pk))
