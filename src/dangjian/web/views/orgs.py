"""Organisation pages: overview, activity ledger, study hours."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dangjian.access import selectors as access
from dangjian.orgs.models import Organization, OrgType
from dangjian.policy.models import PackAssignment
from dangjian.policy.services import member_points_switch, pack_choose
from dangjian.records.models import ActivityKind
from dangjian.web import page_cache, page_findings
from dangjian.web import selectors as sel
from dangjian.web.page_cache import ReadPage
from dangjian.web.selectors_keeping import MemberHours
from dangjian.web.views.common import actor_of, administered_org, paginate, year_param


@login_required
def org_list(request: HttpRequest) -> HttpResponse:
    """The organisations the user administers, as an indented tree."""
    orgs = access.orgs_administered(request.user).order_by("path")
    page = paginate(request, orgs, 100)
    return render(request, "web/org_list.html", {"page": page})


@login_required
def org_overview(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    # members, posts, term and organisations: no training, filing or finding on it
    return page_cache.page(
        request,
        org,
        datetime.date.today().year,
        lambda: _overview(request, org),
        every_record=False,
        findings=False,
    )


def _overview(request: HttpRequest, org: Organization) -> HttpResponse:
    today = datetime.date.today()
    members = sel.org_members(org).order_by("org__path", "name")
    context = {
        "org": org,
        "tab": "overview",
        "ancestors": sel.ancestors(org),
        "children": sel.children_with_counts(org),
        "positions": list(sel.current_positions(org, today)),
        "term": sel.current_term(org),
        "member_count": members.count(),
        "page": paginate(request, members, 50),
        "pack": page_findings.pack_id_for(org),
        "packs": _pack_ids() if org.type == OrgType.WORK_COMMITTEE else [],
        "member_points_on": org.type == OrgType.WORK_COMMITTEE
        and PackAssignment.objects.filter(org=org, member_points=True).exists(),
    }
    return render(request, "web/org_overview.html", context)


def _pack_ids() -> list[str]:
    try:
        from dangjian.policy.packs import list_packs
    except ImportError:
        return []
    return list(list_packs())


@login_required
@require_POST
def org_pack(request: HttpRequest, pk: int) -> HttpResponse:
    """A work committee chooses the pack its whole tree is checked against."""
    org = administered_org(request, pk)
    if org.type != OrgType.WORK_COMMITTEE:
        raise PermissionDenied("只有机关工委可以选择适用的规则包")
    try:
        pack_choose(org=org, pack_id=request.POST.get("pack", ""), actor=actor_of(request))
        member_points_switch(
            org=org, enabled=bool(request.POST.get("member_points")), actor=actor_of(request)
        )
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, "已更换适用的规则包，全部检查结果按新规则重新计算")
    return redirect("web:org", pk=org.pk)


@login_required
def org_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    kind = request.GET.get("kind", "")
    if kind not in ActivityKind.values:
        kind = ""
    month = request.GET.get("month", "")
    page = paginate(request, sel.ledger(org, kind=kind, month=month), 25)
    page.object_list = list(page.object_list)
    sel.attach_attendee_counts(page.object_list)
    context = {
        "org": org,
        "tab": "ledger",
        "ancestors": sel.ancestors(org),
        "kinds": ActivityKind.choices,
        "kind": kind,
        "month": month,
        "page": page,
    }
    return render(request, "web/org_ledger.html", context)


@login_required
def org_hours(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    year = year_param(request)
    return page_cache.page(request, org, year, lambda: _hours(request, org, year))


def _hours(request: HttpRequest, org: Organization, year: int) -> HttpResponse:
    raw_page = request.GET.get("page") or "1"
    # a committee's every member is read and sorted: kept in the shared cache until the
    # next refresh of the stored findings (which every training or attendance write asks for)
    read, required = page_cache.cached(
        org, year, "hours", lambda: _hours_page(org, year, raw_page), raw_page
    )
    page = read.page()
    rows = [(p, required.get(p.pk)) for p in page.object_list]
    context = {
        "org": org,
        "tab": "hours",
        "ancestors": sel.ancestors(org),
        "year": year,
        "years": range(datetime.date.today().year, datetime.date.today().year - 5, -1),
        "page": page,
        "rows": rows,
        "freshness": page_findings.freshness(org, year),
    }
    return render(request, "web/org_hours.html", context)


def _hours_page(org: Organization, year: int, raw_page: str) -> tuple[ReadPage, dict[int, Any]]:
    members: Any = MemberHours(org, year)  # a sequence: only the page becomes objects
    page = Paginator(members, 50).get_page(raw_page)
    required = page_findings.required_hours(org, year, [p.pk for p in page.object_list])
    return ReadPage.of(page), required
