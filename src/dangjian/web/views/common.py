"""Scoping for every page: objects come only through access.selectors querysets."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from dangjian.access import selectors as access
from dangjian.core.actor import Actor
from dangjian.orgs.models import Organization
from dangjian.people.models import Person
from dangjian.policy import days


def actor_of(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def visible_org(request: HttpRequest, pk: int) -> Organization:
    """An organisation the user may see, else 404."""
    return get_object_or_404(access.orgs_visible(request.user), pk=pk)


def administered_org(request: HttpRequest, pk: int) -> Organization:
    """An organisation the user administers: 404 outside what they see, 403 if only seen."""
    org = visible_org(request, pk)
    if not access.can_administer(request.user, org):
        raise PermissionDenied("只有本组织的管理员可以查看或修改")
    return org


def visible_person(request: HttpRequest, pk: int) -> Person:
    return get_object_or_404(access.people_visible(request.user).select_related("org"), pk=pk)


def paginate(request: HttpRequest, items: Any, per_page: int = 25) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def int_param(request: HttpRequest, name: str, default: int) -> int:
    try:
        return int(request.GET.get(name, default))
    except (TypeError, ValueError):
        return default


def year_param(request: HttpRequest, name: str = "year", default: int | None = None) -> int:
    """The year asked for in the query string (default: this year), validated in one place:
    not a number → 400, out of range → 404, both with a Chinese message."""
    raw = request.GET.get(name, "")
    if raw == "":
        return default if default is not None else datetime.date.today().year
    return year_value(raw)


def year_value(raw: object) -> int:
    """A year from the URL (path or query), or the Chinese 400/404."""
    try:
        return days.parse_year(raw)
    except days.BadYear as exc:
        if exc.malformed:
            raise BadRequest(str(exc)) from exc
        raise Http404(str(exc)) from exc


def date_param(request: HttpRequest, name: str) -> datetime.date | None:
    """A date from the query string (None when absent), or the Chinese 400/404."""
    raw = request.GET.get(name, "")
    if raw == "":
        return None
    try:
        return days.parse_date(raw)
    except days.BadYear as exc:
        if exc.malformed:
            raise BadRequest(str(exc)) from exc
        raise Http404(str(exc)) from exc
