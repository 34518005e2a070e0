"""HTTP API v1: thin views over the scoped selectors and the record services."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from dangjian.access.selectors import can_administer, is_admin, person_of
from dangjian.api import selectors
from dangjian.api.serializers import (
    ActivitySerializer,
    ActivityWriteSerializer,
    CheckRunSerializer,
    ElectionSerializer,
    FilingSerializer,
    FilingWriteSerializer,
    FindingsQuerySerializer,
    OrganizationDissolveSerializer,
    OrganizationMoveSerializer,
    OrganizationSerializer,
    OrganizationWriteSerializer,
    PersonLeaveSerializer,
    PersonSerializer,
    PersonWriteSerializer,
    PositionEndSerializer,
    PositionSerializer,
    PositionWriteSerializer,
    ScheduleQuerySerializer,
    TermSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    TrainingSerializer,
    TrainingWriteSerializer,
    TransferInSerializer,
    TransferIssueSerializer,
    TransferOutSerializer,
    TransferRecordSerializer,
    TransferRequestSerializer,
)
from dangjian.core.actor import Actor
from dangjian.core.concurrency import etag_of, if_match_ok
from dangjian.core.lockout import LOCKED_STATUS, lockout_message
from dangjian.core.middleware import client_ip
from dangjian.core.tokens import token_issue
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Organization
from dangjian.people import services as people_services
from dangjian.people.models import Person
from dangjian.policy import days
from dangjian.policy.engine import EngineError, evaluate
from dangjian.policy.packs import PackError, list_packs
from dangjian.policy.schedule_query import PAGE_MAX, ScheduleFilter, schedule_page
from dangjian.policy.selectors import findings_for_org, pack_for_org
from dangjian.records import services as record_services
from dangjian.records.models import Activity, Filing, Training


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "该记录已被他人修改（If-Match 与当前版本不符），请重新获取后再提交"
    default_code = "precondition_failed"


def api_actor(request: Request) -> Actor:
    """Who is writing: the DRF-authenticated user (token auth happens inside DRF)."""
    return Actor(user=request.user, source="api", ip=client_ip(request._request))


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _service_errors(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        return {field or "non_field_errors": msgs for field, msgs in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


def call_service(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a write service; its validation and permission errors become 400 and 403."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError(_service_errors(exc)) from exc
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from exc


# ---------------------------------------------------------------- token


class TokenView(APIView):
    """Exchange a username and password for a new API token.

    Counted by the lock-out like the sign-in page: after too many failures the pair of
    username and address gets 429 until the cool-off ends. The key is shown once; only
    its digest is stored; it expires after API_TOKEN_DAYS and dies with a password change.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: OpenApiTypes.OBJECT, 429: OpenApiTypes.OBJECT},
        summary="获取访问令牌",
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        http = request._request
        user = authenticate(
            http,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(http, "axes_locked_out", False):
            return Response({"detail": lockout_message()}, status=LOCKED_STATUS)
        if user is None or not user.is_active:
            raise exceptions.ValidationError({"non_field_errors": ["用户名或密码不正确。"]})
        issued = token_issue(user=user, actor=api_actor(request))
        return Response({"token": issued.key, "expires_at": issued.expires_at})


# ---------------------------------------------------------------- filters

_YEAR = OpenApiParameter("year", OpenApiTypes.INT, description="年度")
_UNDER = OpenApiParameter("under", OpenApiTypes.STR, description="党组织编号：含其全部下级组织")
_ORG = OpenApiParameter("org", OpenApiTypes.STR, description="党组织编号（仅本组织）")


def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value.strip() if value and value.strip() else None


def _year(request: Request) -> int | None:
    value = _param(request, "year")
    if value is None:
        return None
    if not value.isdigit() or not days.YEAR_MIN <= int(value) <= days.YEAR_MAX:
        raise exceptions.ValidationError({"year": ["年度应为四位数字"]})
    return int(value)


def _visible_org(request: Request, ext_id: str, field: str) -> Organization:
    org = selectors.api_organizations(request.user).filter(ext_id=ext_id).first()
    if org is None:
        raise exceptions.ValidationError({field: [f"编号为 {ext_id} 的党组织不存在或无权访问"]})
    return org


class ScopedViewSet(viewsets.GenericViewSet):
    """Objects are found only through the scoped selector: others are 404."""

    lookup_field = "ext_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"
    pagination_class = Pagination
    selector: Callable[[Any], QuerySet[Any]]

    def get_queryset(self) -> QuerySet[Any]:
        return type(self).selector(self.request.user)


# ---------------------------------------------------------------- reads


class TaggedRetrieveMixin(mixins.RetrieveModelMixin):
    """A single record's response carries its version (`ETag`) for a later `If-Match`."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag_of(response.data)
        return response


class KeepingViewSet(ScopedViewSet):
    """Writes of kept records (people, posts, elections, transfers, organisations):
    administrators only (a member gets 403), objects through the scoped selector
    (404 outside it), every write through one service."""

    def _ensure_writer(self) -> None:
        if not is_admin(self.request.user):
            raise exceptions.PermissionDenied("只有党组织管理员可以维护这些记录")

    def _body(self, serializer_class: type[BaseSerializer[Any]]) -> dict[str, Any]:
        self._ensure_writer()
        body = serializer_class(data=self.request.data, context={"request": self.request})
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)  # type: ignore[arg-type]

    def _show(
        self, serializer_class: type[BaseSerializer[Any]], obj: Any, code: int = 200
    ) -> Response:
        return Response(serializer_class(obj, context={"request": self.request}).data, status=code)

    def _locked_if_match(self, obj: Any) -> Any:
        """The record locked for update, if `If-Match` names its current version (else 412).

        Call inside `transaction.atomic()`: the lock holds from the check to the write.
        """
        current = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        shown = self.get_queryset().get(pk=obj.pk)
        tag = etag_of(self.get_serializer_class()(shown, context={"request": self.request}).data)
        if not if_match_ok(self.request.headers.get("If-Match"), tag):
            raise PreconditionFailed()
        return current

    def _show_tagged(self, serializer_class: type[BaseSerializer[Any]], obj: Any) -> Response:
        response = self._show(serializer_class, self.get_queryset().get(pk=obj.pk))
        response["ETag"] = etag_of(response.data)
        return response


@extend_schema(tags=["organizations"])
class OrganizationViewSet(mixins.ListModelMixin, TaggedRetrieveMixin, KeepingViewSet):
    """党组织。`under` 返回某组织及其全部下级组织。新建、更名、调整隶属关系和撤销
    由上级组织（机关工委、部门）的管理员办理。"""

    serializer_class = OrganizationSerializer
    selector = staticmethod(selectors.api_organizations)
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(parameters=[_UNDER, OpenApiParameter("type", OpenApiTypes.STR)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Organization]:
        qs = super().get_queryset()
        if self.action == "list":
            under = _param(self.request, "under")
            if under:
                qs = qs.filter(path__startswith=_visible_org(self.request, under, "under").path)
            if kind := _param(self.request, "type"):
                qs = qs.filter(type=kind)
        return qs

    @extend_schema(request=OrganizationWriteSerializer, responses={201: OrganizationSerializer})
    def create(self, request: Request) -> Response:
        data = self._body(OrganizationWriteSerializer)
        ext_id = data.pop("id", None)
        if ext_id and Organization.objects.filter(ext_id=ext_id).exists():
            raise exceptions.ValidationError({"id": [f"编号 {ext_id} 已存在"]})
        org = call_service(org_services.org_create, ext_id=ext_id, actor=api_actor(request), **data)
        return self._show(OrganizationSerializer, org, status.HTTP_201_CREATED)

    @extend_schema(request=OrganizationWriteSerializer, responses={200: OrganizationSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        org = self.get_object()
        self._ensure_writer()
        body = OrganizationWriteSerializer(
            data=request.data, partial=True, context={"request": request}
        )
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if data.pop("id", org.ext_id) != org.ext_id:
            raise exceptions.ValidationError({"id": ["编号不能修改"]})
        if "parent" in data:
            raise exceptions.ValidationError({"parent": ["调整隶属关系请用 move"]})
        with transaction.atomic():
            org = self._locked_if_match(org)
            org = call_service(org_services.org_update, org=org, actor=api_actor(request), **data)
        return self._show_tagged(OrganizationSerializer, org)

    @extend_schema(request=OrganizationMoveSerializer, responses={200: OrganizationSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request: Request, id: str) -> Response:
        """调整隶属关系：移到另一个上级组织之下（含全部下级组织）。"""
        org = self.get_object()
        data = self._body(OrganizationMoveSerializer)
        org = call_service(
            org_services.org_move, org=org, parent=data["parent"], actor=api_actor(request)
        )
        return self._show(OrganizationSerializer, org)

    @extend_schema(request=OrganizationDissolveSerializer, responses={200: OrganizationSerializer})
    @action(detail=True, methods=["post"])
    def dissolve(self, request: Request, id: str) -> Response:
        """撤销党组织（须已无党员和下级组织）；此后不能再转入。"""
        org = self.get_object()
        data = self._body(OrganizationDissolveSerializer)
        org = call_service(
            org_services.org_dissolve, org=org, on=data["date"], actor=api_actor(request)
        )
        return self._show(OrganizationSerializer, org)


@extend_schema(tags=["people"])
class PersonViewSet(mixins.ListModelMixin, TaggedRetrieveMixin, KeepingViewSet):
    """党员及入党积极分子等。所在党组织只能通过组织关系转接改变；有记录的人员
    不删除，而是登记离开（leave）。"""

    serializer_class = PersonSerializer
    selector = staticmethod(selectors.api_people)
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(parameters=[_ORG, _UNDER, OpenApiParameter("status", OpenApiTypes.STR)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Person]:
        qs = super().get_queryset()
        if self.action == "list":
            qs = _org_filters(self.request, qs, "org")
            if value := _param(self.request, "status"):
                qs = qs.filter(status=value)
        return qs

    @extend_schema(request=PersonWriteSerializer, responses={201: PersonSerializer})
    def create(self, request: Request) -> Response:
        data = self._body(PersonWriteSerializer)
        ext_id = data.pop("id", None)
        if ext_id and Person.objects.filter(ext_id=ext_id).exists():
            raise exceptions.ValidationError({"id": [f"编号 {ext_id} 已存在"]})
        person = call_service(
            people_services.person_create, ext_id=ext_id, actor=api_actor(request), **data
        )
        return self._show(PersonSerializer, person, status.HTTP_201_CREATED)

    @extend_schema(request=PersonWriteSerializer, responses={200: PersonSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        person = self.get_object()
        self._ensure_writer()
        body = PersonWriteSerializer(data=request.data, partial=True, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if data.pop("id", person.ext_id) != person.ext_id:
            raise exceptions.ValidationError({"id": ["编号不能修改"]})
        if data.pop("org", person.org) != person.org:
            raise exceptions.ValidationError(
                {"org": ["所在党组织请通过组织关系转接（transfers）改变"]}
            )
        with transaction.atomic():
            person = self._locked_if_match(person)
            person = call_service(
                people_services.person_update, person=person, actor=api_actor(request), **data
            )
        return self._show_tagged(PersonSerializer, person)

    @extend_schema(request=PersonLeaveSerializer, responses={200: PersonSerializer})
    @action(detail=True, methods=["post"])
    def leave(self, request: Request, id: str) -> Response:
        """登记离开（去世、出党、除名等）；记录保留，所任职务当日结束。"""
        person = self.get_object()
        data = self._body(PersonLeaveSerializer)
        person = call_service(
            people_services.person_mark_left,
            person=person,
            on=data["date"],
            reason=data["reason"],
            actor=api_actor(request),
        )
        return self._show(PersonSerializer, person)


def _org_filters(request: Request, qs: QuerySet[Any], org_field: str) -> QuerySet[Any]:
    if org := _param(request, "org"):
        qs = qs.filter(**{org_field: _visible_org(request, org, "org")})
    if under := _param(request, "under"):
        path = _visible_org(request, under, "under").path
        qs = qs.filter(**{f"{org_field}__path__startswith": path})
    return qs


@extend_schema(tags=["positions"])
class PositionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, KeepingViewSet):
    """职务（任职记录）：任命（POST）与免职（end）。"""

    serializer_class = PositionSerializer
    selector = staticmethod(selectors.api_positions)
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(
        parameters=[
            _ORG,
            _UNDER,
            OpenApiParameter("person", OpenApiTypes.STR, description="党员编号"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        qs = _org_filters(self.request, super().get_queryset(), "org")
        if person := _param(self.request, "person"):
            qs = qs.filter(person__ext_id=person)
        return qs

    @extend_schema(request=PositionWriteSerializer, responses={201: PositionSerializer})
    def create(self, request: Request) -> Response:
        data = self._body(PositionWriteSerializer)
        position = call_service(people_services.position_appoint, actor=api_actor(request), **data)
        return self._show(PositionSerializer, position, status.HTTP_201_CREATED)

    @extend_schema(request=PositionEndSerializer, responses={200: PositionSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request: Request, id: str) -> Response:
        """免职：职务在该日结束（不能早于任职日期）。"""
        position = self.get_object()
        data = self._body(PositionEndSerializer)
        position = call_service(
            people_services.position_end,
            position=position,
            end=data["end"],
            actor=api_actor(request),
        )
        return self._show(PositionSerializer, position)


@extend_schema(tags=["terms"])
class TermViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, KeepingViewSet):
    """任期（届次）与下次换届日期；POST 登记一次换届选举及新一届委员会。"""

    serializer_class = TermSerializer
    selector = staticmethod(selectors.api_terms)
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(parameters=[_ORG, _UNDER])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return _org_filters(self.request, super().get_queryset(), "org")

    @extend_schema(request=ElectionSerializer, responses={201: TermSerializer})
    def create(self, request: Request) -> Response:
        data = self._body(ElectionSerializer)
        committee = [(m["person"], m["role"]) for m in data["committee"]]
        term = call_service(
            people_services.election_record,
            org=data["org"],
            elected_on=data["elected_on"],
            years=data["years"],
            committee=committee,
            actor=api_actor(request),
        )
        return self._show(TermSerializer, term, status.HTTP_201_CREATED)


@extend_schema(tags=["transfers"])
class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, KeepingViewSet):
    """组织关系转接（本系统内）：转出方开具（POST），转入方接收（accept）后才生效；
    双方都能看到待接收的转接。转出、转入本系统以外用 outside / incoming（须填介绍信编号）。"""

    serializer_class = TransferRequestSerializer
    selector = staticmethod(selectors.api_transfer_requests)
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, description="pending 等")]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        qs = super().get_queryset()
        if self.action == "list" and (value := _param(self.request, "status")):
            qs = qs.filter(status=value)
        return qs

    @extend_schema(request=TransferIssueSerializer, responses={201: TransferRequestSerializer})
    def create(self, request: Request) -> Response:
        data = self._body(TransferIssueSerializer)
        transfer = call_service(people_services.transfer_issue, actor=api_actor(request), **data)
        return self._show(TransferRequestSerializer, transfer, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: TransferRecordSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, id: str) -> Response:
        """转入方接收：自转接日期起属于转入组织，此前的月份仍算在转出组织。"""
        pending = self.get_object()
        self._ensure_writer()
        transfer = call_service(
            people_services.transfer_accept, request=pending, actor=api_actor(request)
        )
        return self._show(TransferRecordSerializer, transfer)

    @extend_schema(request=None, responses={200: TransferRequestSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, id: str) -> Response:
        """转出方撤回，或转入方退回。"""
        pending = self.get_object()
        self._ensure_writer()
        pending = call_service(
            people_services.transfer_cancel, request=pending, actor=api_actor(request)
        )
        return self._show(TransferRequestSerializer, pending)

    @extend_schema(request=TransferOutSerializer, responses={201: TransferRecordSerializer})
    @action(detail=False, methods=["post"])
    def outside(self, request: Request) -> Response:
        """转出本系统：填写介绍信编号；自转出日期起不再计入本系统。"""
        data = self._body(TransferOutSerializer)
        transfer = call_service(
            people_services.transfer_out_external, actor=api_actor(request), **data
        )
        return self._show(TransferRecordSerializer, transfer, status.HTTP_201_CREATED)

    @extend_schema(request=TransferInSerializer, responses={201: TransferRecordSerializer})
    @action(detail=False, methods=["post"])
    def incoming(self, request: Request) -> Response:
        """从本系统以外转入：填写介绍信编号和转入人员信息。"""
        data = self._body(TransferInSerializer)
        person = dict(data.pop("person"))
        person.pop("org", None)
        ext_id = person.pop("id", None)
        if ext_id and Person.objects.filter(ext_id=ext_id).exists():
            raise exceptions.ValidationError({"person": {"id": [f"编号 {ext_id} 已存在"]}})
        transfer = call_service(
            people_services.transfer_in_external,
            ext_id=ext_id,
            actor=api_actor(request),
            **data,
            **person,
        )
        return self._show(TransferRecordSerializer, transfer, status.HTTP_201_CREATED)


# ---------------------------------------------------------------- records (read and write)


class WritableRecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """Reads through the scoped selector; writes through the record services.

    Writing needs an administrator's grant (a member gets 403); the target
    organisation must be one the caller administers (403 otherwise, from the service).
    """

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    write_serializer_class: type[BaseSerializer[Any]]

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action in ("create", "update", "partial_update"):
            return self.write_serializer_class
        return self.serializer_class  # type: ignore[return-value]

    def _ensure_writer(self) -> None:
        if not is_admin(self.request.user):
            raise exceptions.PermissionDenied("只有党组织管理员可以录入记录")

    def _reload(self, pk: int) -> Any:
        return self.get_queryset().get(pk=pk)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._ensure_writer()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        ext_id = data.pop("id", None)
        if ext_id is not None and self.get_queryset().model.objects.filter(ext_id=ext_id).exists():
            raise exceptions.ValidationError({"id": [f"编号 {ext_id} 已存在"]})
        obj = self.perform_write(None, data, ext_id)
        body = self.serializer_class(self._reload(obj.pk), context=self.get_serializer_context())  # type: ignore[misc]
        return Response(body.data, status=status.HTTP_201_CREATED)

    def _etag(self, instance: Any) -> str:
        """The record's version: a hash of its representation (core.concurrency)."""
        body = self.serializer_class(instance, context=self.get_serializer_context())  # type: ignore[misc]
        return etag_of(body.data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag_of(response.data)
        return response

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()  # 404 outside the caller's scope
        self._ensure_writer()
        serializer = self.get_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        new_id = data.pop("id", None)
        if new_id is not None and new_id != instance.ext_id:
            raise exceptions.ValidationError({"id": ["编号不能修改"]})
        with transaction.atomic():
            # Locked from the If-Match check to the write: a concurrent PUT waits, then fails.
            instance = type(instance).objects.select_for_update().get(pk=instance.pk)
            current = self._etag(self._reload(instance.pk))
            if not if_match_ok(request.headers.get("If-Match"), current):
                raise PreconditionFailed()
            obj = self.perform_write(instance, data, None)
        body = self.serializer_class(self._reload(obj.pk), context=self.get_serializer_context())  # type: ignore[misc]
        return Response(body.data, headers={"ETag": etag_of(body.data)})

    def perform_write(self, instance: Any, data: dict[str, Any], ext_id: str | None) -> Any:
        raise NotImplementedError


def _split_subject(data: dict[str, Any]) -> None:
    """`subject` is an organisation or a person: the services take them apart."""
    if "subject" in data:
        subject = data.pop("subject")
        data["subject_org"] = subject if isinstance(subject, Organization) else None
        data["subject_person"] = subject if isinstance(subject, Person) else None


_RECORD_FILTERS = [
    _ORG,
    _UNDER,
    _YEAR,
    OpenApiParameter("kind", OpenApiTypes.STR, description="类型"),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="起始日期（含）"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="截止日期（含）"),
]


def _date_filters(request: Request, qs: QuerySet[Any]) -> QuerySet[Any]:
    if year := _year(request):
        qs = qs.filter(date__year=year)
    for name, lookup in (("date_from", "date__gte"), ("date_to", "date__lte")):
        if value := _param(request, name):
            try:
                qs = qs.filter(**{lookup: datetime.date.fromisoformat(value)})
            except ValueError as exc:
                raise exceptions.ValidationError({name: ["日期格式应为 YYYY-MM-DD"]}) from exc
    if kind := _param(request, "kind"):
        qs = qs.filter(kind=kind)
    return qs


@extend_schema(tags=["activities"])
class ActivityViewSet(WritableRecordViewSet):
    """组织生活与活动（三会一课、主题党日等），含参加人员编号。"""

    serializer_class = ActivitySerializer
    write_serializer_class = ActivityWriteSerializer
    selector = staticmethod(selectors.api_activities)

    @extend_schema(parameters=_RECORD_FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ActivityWriteSerializer, responses={201: ActivitySerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    @extend_schema(request=ActivityWriteSerializer, responses={200: ActivitySerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().update(request, *args, **kwargs)

    @extend_schema(request=ActivityWriteSerializer, responses={200: ActivitySerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().partial_update(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Activity]:
        qs = super().get_queryset()
        if self.action == "list":
            qs = _date_filters(self.request, _org_filters(self.request, qs, "org"))
        return qs

    def perform_write(
        self, instance: Activity | None, data: dict[str, Any], ext_id: str | None
    ) -> Activity:
        _split_subject(data)
        actor = api_actor(self.request)
        if instance is None:
            return call_service(record_services.activity_record, ext_id=ext_id, actor=actor, **data)  # type: ignore[no-any-return]
        if "org" in data and data.pop("org") != instance.org:
            raise exceptions.ValidationError({"org": ["活动的组织单位不能修改"]})
        return call_service(  # type: ignore[no-any-return]
            record_services.activity_update, activity=instance, actor=actor, **data
        )


@extend_schema(tags=["trainings"])
class TrainingViewSet(WritableRecordViewSet):
    """学习培训学时。"""

    serializer_class = TrainingSerializer
    write_serializer_class = TrainingWriteSerializer
    selector = staticmethod(selectors.api_trainings)

    @extend_schema(
        parameters=[
            *_RECORD_FILTERS,
            OpenApiParameter("person", OpenApiTypes.STR, description="党员编号"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=TrainingWriteSerializer, responses={201: TrainingSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    @extend_schema(request=TrainingWriteSerializer, responses={200: TrainingSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().update(request, *args, **kwargs)

    @extend_schema(request=TrainingWriteSerializer, responses={200: TrainingSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().partial_update(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Training]:
        qs = super().get_queryset()
        if self.action == "list":
            qs = _date_filters(self.request, _org_filters(self.request, qs, "person__org"))
            if person := _param(self.request, "person"):
                qs = qs.filter(person__ext_id=person)
        return qs

    def perform_write(
        self, instance: Training | None, data: dict[str, Any], ext_id: str | None
    ) -> Training:
        actor = api_actor(self.request)
        if instance is None:
            return call_service(record_services.training_record, ext_id=ext_id, actor=actor, **data)  # type: ignore[no-any-return]
        if "person" in data and data.pop("person") != instance.person:
            raise exceptions.ValidationError({"person": ["培训记录的党员不能修改"]})
        return call_service(  # type: ignore[no-any-return]
            record_services.training_update, training=instance, actor=actor, **data
        )


@extend_schema(tags=["filings"])
class FilingViewSet(WritableRecordViewSet):
    """报告、清单、述职的报送记录（只记录报送事实，不含内容）。"""

    serializer_class = FilingSerializer
    write_serializer_class = FilingWriteSerializer
    selector = staticmethod(selectors.api_filings)

    @extend_schema(
        parameters=[
            *_RECORD_FILTERS,
            OpenApiParameter("period", OpenApiTypes.STR, description="所属期间"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=FilingWriteSerializer, responses={201: FilingSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    @extend_schema(request=FilingWriteSerializer, responses={200: FilingSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().update(request, *args, **kwargs)

    @extend_schema(request=FilingWriteSerializer, responses={200: FilingSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().partial_update(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Filing]:
        qs = super().get_queryset()
        if self.action == "list":
            qs = _date_filters(self.request, _org_filters(self.request, qs, "org"))
            if period := _param(self.request, "period"):
                qs = qs.filter(period=period)
        return qs

    def perform_write(
        self, instance: Filing | None, data: dict[str, Any], ext_id: str | None
    ) -> Filing:
        actor = api_actor(self.request)
        if instance is None:
            return call_service(record_services.filing_record, ext_id=ext_id, actor=actor, **data)  # type: ignore[no-any-return]
        if "org" in data and data.pop("org") != instance.org:
            raise exceptions.ValidationError({"org": ["报送组织不能修改"]})
        return call_service(  # type: ignore[no-any-return]
            record_services.filing_update, filing=instance, actor=actor, **data
        )


# ---------------------------------------------------------------- docs page, served offline

# Swagger UI files shipped inside the drf-spectacular-sidecar package; served by the app.
_DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    import drf_spectacular_sidecar

    if name not in _DOCS_ASSETS:
        raise Http404(name)
    from pathlib import Path

    base = Path(drf_spectacular_sidecar.__file__).parent / "static" / "drf_spectacular_sidecar"
    response = FileResponse(
        open(base / "swagger-ui-dist" / name, "rb"),  # noqa: SIM115 - FileResponse closes it
        content_type=_DOCS_ASSETS[name],
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its scripts from this server, never a CDN."""

    url_name = "api:schema"
    title = "机关党建 HTTP API"

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        from django.urls import reverse

        return reverse("api:docs-asset", args=[filename])

    @staticmethod
    def _swagger_ui_favicon() -> str:
        from django.urls import reverse

        return reverse("api:docs-asset", args=["favicon-32x32.png"])


# ---------------------------------------------------------------- findings and check runs


def _report_for_caller(report: dict[str, Any], org: Organization, user: Any) -> dict[str, Any]:
    """An administrator gets the whole report; a member only the findings about themselves."""
    if can_administer(user, org):
        return report
    person = person_of(user)
    own = person.ext_id if person is not None else None
    findings = [
        f
        for f in report["findings"]
        if f["subject"].get("type") == "person" and f["subject"].get("id") == own
    ]
    summary = dict(report["summary"])
    summary["violations"] = sum(1 for f in findings if f["severity"] == "violation")
    summary["warnings"] = sum(1 for f in findings if f["severity"] == "warning")
    summary["subjects"] = 1 if own else 0
    return {**report, "findings": findings, "summary": summary}


_REPORT_SCHEMA = {
    "type": "object",
    "description": "dangjian-findings/1 报告",
    "properties": {
        "format": {"type": "string", "enum": ["dangjian-findings/1"]},
        "policy": {"type": "string"},
        "year": {"type": "integer"},
        "as_of": {"type": "string", "format": "date"},
        "findings": {"type": "array", "items": {"type": "object"}},
        "summary": {"type": "object"},
    },
}


class FindingsView(APIView):
    """问题与预警：某党组织（含下级组织）在某年度、截至某日的检查结果。

    管理员看到全部结果；党员只看到关于本人的结果。规定包为该组织所属工委所选。
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("org", OpenApiTypes.STR, required=True, description="党组织编号"),
            OpenApiParameter("year", OpenApiTypes.INT, required=True, description="年度"),
            OpenApiParameter(
                "as_of", OpenApiTypes.DATE, description="检查日，默认：当年为今天，往年为年末"
            ),
        ],
        responses={200: _REPORT_SCHEMA},
        tags=["findings"],
    )
    def get(self, request: Request) -> Response:
        query = FindingsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        org = _visible_org(request, query.validated_data["org"], "org")
        report = findings_for_org(
            org=org, year=query.validated_data["year"], as_of=query.validated_data.get("as_of")
        )
        return Response(_report_for_caller(report.as_dict(), org, request.user))


class ScheduleView(APIView):
    """工作日程：某党组织（含下级组织）某年度每条规则、每个对象、每个期间的到期日、状态
    （已完成、待办、逾期、未开始）和依据记录，截至检查日（当年为今天，往年为年末）。问题清单是其中
    未完成的部分。管理员看到全部；党员看到本组织的日程和关于本人的各项。

    按期限、规则、对象、期间排序，分页返回：`count` 为符合条件的总项数，`offset`、`limit`
    为本页位置，`next` 为下一页的地址（没有下一页时为 null）。
    可按状态（status）和规则（rule）筛选。"""

    @extend_schema(
        parameters=[
            OpenApiParameter("org", OpenApiTypes.STR, required=True, description="党组织编号"),
            OpenApiParameter("year", OpenApiTypes.INT, required=True, description="年度"),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                description="只要这些状态的事项，逗号分隔：done、due、overdue、upcoming",
            ),
            OpenApiParameter("rule", OpenApiTypes.STR, description="只要这条规则的事项"),
            OpenApiParameter(
                "limit", OpenApiTypes.INT, description=f"每页最多多少项（默认和上限 {PAGE_MAX}）"
            ),
            OpenApiParameter("offset", OpenApiTypes.INT, description="从第几项开始（0 起）"),
        ],
        responses={200: {"type": "object", "description": "dangjian-schedule/1 日程"}},
        tags=["findings"],
    )
    def get(self, request: Request) -> Response:
        query = ScheduleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        org = _visible_org(request, data["org"], "org")
        subjects: tuple[tuple[str, str], ...] = ()
        if not can_administer(request.user, org):
            person = person_of(request.user)
            subjects = (("organization", org.ext_id),)
            if person is not None:
                subjects += (("person", person.ext_id),)
        page = schedule_page(
            org=org,
            year=data["year"],
            where=ScheduleFilter(
                statuses=data.get("status", ()), rule=data.get("rule", ""), subjects=subjects
            ),
            offset=data["offset"],
            limit=data["limit"],
        )
        body = page.as_dict()
        body["next"] = None
        if page.has_next:
            params = request.query_params.copy()
            params["offset"] = str(page.offset + len(page.items))
            params["limit"] = str(page.limit)
            body["next"] = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response(body)


class CheckRunView(APIView):
    """运行一次检查：对某党组织（含下级组织）按指定规定包和年度评估，返回报告。仅限管理员。"""

    @extend_schema(
        request=CheckRunSerializer,
        responses={200: _REPORT_SCHEMA},
        summary="运行检查",
        tags=["checks"],
    )
    def post(self, request: Request) -> Response:
        body = CheckRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = _visible_org(request, data["org"], "org")
        if not can_administer(request.user, org):
            raise exceptions.PermissionDenied("只有该党组织的管理员可以运行检查")
        pack_id = data.get("policy") or pack_for_org(org)
        if pack_id not in list_packs():
            raise exceptions.ValidationError(
                {"policy": [f"未知的规定包 {pack_id}，可用：{'、'.join(list_packs())}"]}
            )
        try:
            report = evaluate(
                pack=pack_id,
                year=data["year"],
                as_of=data.get("as_of") or days.check_day(data["year"]),
                org_ext_id=org.ext_id,
            )
        except (EngineError, PackError) as exc:
            raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from exc
        return Response(report.as_dict())
