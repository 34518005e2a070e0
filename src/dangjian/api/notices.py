"""通知 over the API: the caller's notices (received or sent), publishing one, opening
one (which records the read), and its read receipts for the publishing organisation's
administrators; 党务公开 the caller may read, and publishing one. Scoped by
`notices.selectors` like the pages: outside it, 404."""

from __future__ import annotations

import datetime
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangjian.access.selectors import can_administer, orgs_administered
from dangjian.api.views import Pagination, _visible_org, api_actor, call_service
from dangjian.notices import selectors as nsel
from dangjian.notices import services
from dangjian.notices.models import Disclosure, DisclosureCategory, Notice


class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="通知的数据库编号")
    org = serializers.CharField(help_text="发布组织编号")
    org_name = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="纯文本正文")
    published_on = serializers.DateField()
    reply_by = serializers.DateField(allow_null=True)
    whole_subtree = serializers.BooleanField(help_text="true：发至发布组织全部下级组织")
    targets = serializers.ListField(
        child=serializers.CharField(), help_text="选定的接收组织编号（whole_subtree 为 false 时）"
    )
    has_attachment = serializers.BooleanField()
    read = serializers.BooleanField(help_text="调用者是否已读")


class PublishSerializer(serializers.Serializer):
    org = serializers.CharField(help_text="发布组织编号（调用者管理的组织）")
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    published_on = serializers.DateField(required=False, help_text="默认今天")
    reply_by = serializers.DateField(required=False, allow_null=True)
    targets = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="接收组织编号；不填则发至全部下级组织",
    )


class OrgReceiptSerializer(serializers.Serializer):
    org = serializers.CharField()
    name = serializers.CharField()
    total = serializers.IntegerField()
    read = serializers.IntegerField()
    unread = serializers.IntegerField()


class PersonRefSerializer(serializers.Serializer):
    person = serializers.CharField(help_text="人员编号")
    name = serializers.CharField()
    org = serializers.CharField()


class ReaderSerializer(serializers.Serializer):
    user = serializers.CharField()
    person = serializers.CharField(allow_null=True)
    read_at = serializers.DateTimeField()


class ReceiptsSerializer(serializers.Serializer):
    notice = serializers.IntegerField()
    total = serializers.IntegerField(help_text="发送范围内的党员数")
    read = serializers.IntegerField()
    unread = serializers.IntegerField()
    per_org = OrgReceiptSerializer(many=True)
    unread_people = PersonRefSerializer(many=True)
    readers = ReaderSerializer(many=True)


def _data(n: Notice, read: bool) -> dict[str, Any]:
    return {
        "id": n.pk,
        "org": n.org.ext_id,
        "org_name": n.org.name,
        "title": n.title,
        "body": n.body,
        "published_on": n.published_on,
        "reply_by": n.reply_by,
        "whole_subtree": n.whole_subtree,
        "targets": sorted(t.org.ext_id for t in n.targets.all()),
        "has_attachment": bool(n.attachment),
        "read": read,
    }


class NoticeListView(APIView):
    """调用者收到的通知（box=in，默认）或其管理的组织发布的通知（box=out）；POST 发布通知。"""

    @extend_schema(
        parameters=[
            OpenApiParameter("box", OpenApiTypes.STR, enum=["in", "out"], description="收/发"),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        # A page, as the list is paginated (the schema said a bare array).
        responses={
            200: inline_serializer(
                "PaginatedNoticeList",
                fields={
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": NoticeSerializer(many=True),
                },
            )
        },
        summary="通知列表",
        operation_id="v1_notices_list",
        tags=["notices"],
    )
    def get(self, request: Request) -> Response:
        user = request.user
        box = request.query_params.get("box", "in")
        qs = nsel.notices_sent(user) if box == "out" else nsel.notices_received(user)
        qs = (
            nsel.with_read_flag(qs, user)
            .select_related("org")
            .prefetch_related("targets__org")
            .order_by("-published_on", "-pk")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self) or []
        rows = [_data(n, bool(n.is_read)) for n in page]  # type: ignore[attr-defined]
        return paginator.get_paginated_response(NoticeSerializer(rows, many=True).data)

    @extend_schema(
        request=PublishSerializer,
        responses={201: NoticeSerializer},
        summary="发布通知",
        tags=["notices"],
    )
    def post(self, request: Request) -> Response:
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = _visible_org(request, data["org"], "org")
        if not can_administer(request.user, org):
            raise exceptions.PermissionDenied("只有该党组织的管理员可以发布通知")
        wanted = list(dict.fromkeys(data["targets"]))
        found = {
            o.ext_id: o
            for o in orgs_administered(request.user).filter(
                ext_id__in=wanted, path__startswith=org.path
            )
        }
        missing = [w for w in wanted if w not in found]
        if missing:
            raise exceptions.ValidationError(
                {"targets": [f"接收组织 {'、'.join(missing)} 不在{org.name}的下级范围内"]}
            )
        notice = call_service(
            services.notice_publish,
            org=org,
            title=data["title"],
            body=data["body"],
            published_on=data.get("published_on") or datetime.date.today(),
            reply_by=data.get("reply_by"),
            targets=[found[w] for w in wanted],
            actor=api_actor(request),
        )
        return Response(NoticeSerializer(_data(notice, False)).data, status=status.HTTP_201_CREATED)


def _notice(request: Request, pk: int) -> Notice:
    return get_object_or_404(
        nsel.notices_visible(request.user).select_related("org").prefetch_related("targets__org"),
        pk=pk,
    )


class NoticeDetailView(APIView):
    """一条通知；读取即登记调用者已读（只记第一次）。"""

    @extend_schema(
        responses={200: NoticeSerializer}, summary="通知详情（登记已读）", tags=["notices"]
    )
    def get(self, request: Request, pk: int) -> Response:
        notice = _notice(request, pk)
        call_service(services.notice_mark_read, notice=notice, actor=api_actor(request))
        return Response(NoticeSerializer(_data(notice, True)).data)


class NoticeReceiptsView(APIView):
    """阅读情况：按组织的应读/已读/未读人数、未读党员、已读记录。仅发布组织的管理员。"""

    @extend_schema(responses={200: ReceiptsSerializer}, summary="通知阅读情况", tags=["notices"])
    def get(self, request: Request, pk: int) -> Response:
        notice = _notice(request, pk)
        if not nsel.can_see_receipts(request.user, notice):
            raise exceptions.PermissionDenied("只有发布组织的管理员可以查看阅读情况")
        r = nsel.receipts(notice)
        data = {
            "notice": notice.pk,
            "total": r.total,
            "read": r.read,
            "unread": r.unread,
            "per_org": [
                {
                    "org": o.org.ext_id,
                    "name": o.org.name,
                    "total": o.total,
                    "read": o.read,
                    "unread": o.unread,
                }
                for o in r.per_org
            ],
            "unread_people": [
                {"person": p.ext_id, "name": p.name, "org": p.org.ext_id} for p in r.unread_people
            ],
            "readers": [
                {
                    "user": x.user.get_username(),
                    "person": x.person.ext_id if x.person else None,
                    "read_at": x.read_at,
                }
                for x in r.readers
            ],
        }
        return Response(ReceiptsSerializer(data).data)


# ---------------------------------------------------------------- 党务公开


class DisclosureSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="党务公开事项的数据库编号")
    org = serializers.CharField(help_text="公开组织编号")
    org_name = serializers.CharField()
    category = serializers.ChoiceField(
        choices=DisclosureCategory.choices, help_text="公开类别（代码；中文见 category_label）"
    )
    category_label = serializers.CharField()
    title = serializers.CharField()
    content = serializers.CharField(help_text="纯文本公开内容")
    published_on = serializers.DateField()


class DisclosurePublishSerializer(serializers.Serializer):
    org = serializers.CharField(help_text="公开组织编号（调用者管理的组织）")
    category = serializers.ChoiceField(choices=DisclosureCategory.choices)
    title = serializers.CharField(max_length=200)
    content = serializers.CharField()
    published_on = serializers.DateField(required=False, help_text="默认今天")


def _disclosure_data(d: Disclosure) -> dict[str, Any]:
    return {
        "id": d.pk,
        "org": d.org.ext_id,
        "org_name": d.org.name,
        "category": d.category,
        "category_label": d.get_category_display(),
        "title": d.title,
        "content": d.content,
        "published_on": d.published_on,
    }


class DisclosureListView(APIView):
    """调用者可阅读的党务公开（本组织及上级组织的，及其管理的组织范围内的）；POST 发布。"""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "category",
                OpenApiTypes.STR,
                enum=list(DisclosureCategory.values),
                description="公开类别",
            ),
            OpenApiParameter("org", OpenApiTypes.STR, description="只看该组织公开的（组织编号）"),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses={
            200: inline_serializer(
                "PaginatedDisclosureList",
                fields={
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": DisclosureSerializer(many=True),
                },
            )
        },
        summary="党务公开列表",
        operation_id="v1_disclosures_list",
        tags=["notices"],
    )
    def get(self, request: Request) -> Response:
        qs = nsel.disclosures_visible(request.user).select_related("org")
        category = request.query_params.get("category", "")
        if category:
            if category not in DisclosureCategory.values:
                raise exceptions.ValidationError({"category": [f"未知的公开类别：{category}"]})
            qs = qs.filter(category=category)
        org = request.query_params.get("org", "")
        if org:
            qs = qs.filter(org__ext_id=org)
        paginator = Pagination()
        page = paginator.paginate_queryset(qs.order_by("-published_on", "-pk"), request, self)
        rows = [_disclosure_data(d) for d in page or []]
        return paginator.get_paginated_response(DisclosureSerializer(rows, many=True).data)

    @extend_schema(
        request=DisclosurePublishSerializer,
        responses={201: DisclosureSerializer},
        summary="发布党务公开",
        tags=["notices"],
    )
    def post(self, request: Request) -> Response:
        body = DisclosurePublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = _visible_org(request, data["org"], "org")
        if not can_administer(request.user, org):
            raise exceptions.PermissionDenied("只有该党组织的管理员可以发布党务公开")
        item = call_service(
            services.disclosure_publish,
            org=org,
            category=data["category"],
            title=data["title"],
            content=data["content"],
            published_on=data.get("published_on") or datetime.date.today(),
            actor=api_actor(request),
        )
        return Response(
            DisclosureSerializer(_disclosure_data(item)).data, status=status.HTTP_201_CREATED
        )
