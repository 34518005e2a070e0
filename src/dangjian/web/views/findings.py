"""Findings: a filtered list over an organisation subtree, and one finding's explanation."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dangjian.access import selectors as access
from dangjian.web import engine
from dangjian.web import selectors as sel
from dangjian.web.views.common import administered_org, int_param, paginate


def default_org_pk(request: HttpRequest) -> int:
    """The highest organisation the user administers."""
    org = access.orgs_administered(request.user).order_by("depth", "path").first()
    if org is None:
        raise PermissionDenied("只有党组织管理员可以查看问题清单")
    return org.pk


@login_required
def findings_list(request: HttpRequest) -> HttpResponse:
    org_pk = int_param(request, "org", 0) or default_org_pk(request)
    org = administered_org(request, org_pk)
    return _render_list(request, org)


@login_required
def org_findings(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_list(request, administered_org(request, pk))


def _render_list(request: HttpRequest, org: object) -> HttpResponse:
    from dangjian.orgs.models import Organization

    assert isinstance(org, Organization)
    today = datetime.date.today()
    year = int_param(request, "year", today.year)
    pack = engine.pack_id_for(org)
    freshness = engine.freshness(org, year)
    rows = engine.stored(org, year)
    if not freshness.complete and org.depth > 0:
        engine.findings(org, year)  # a branch's first load: evaluated (and stored) once
        freshness = engine.freshness(org, year)
    rule = request.GET.get("rule", "")
    severity = request.GET.get("severity", "")
    period = request.GET.get("period", "")
    titles = engine.pack_rules(pack)
    rules = sorted(
        (r, str(engine._get(titles.get(r), "title", "") or r))
        for r in rows.values_list("rule", flat=True).distinct().order_by()
    )
    periods = sorted(rows.values_list("period", flat=True).distinct().order_by())
    shown = rows
    if rule:
        shown = shown.filter(rule=rule)
    if severity:
        shown = shown.filter(severity=severity)
    if period:
        shown = shown.filter(period=period)
    if rule or period:
        counts = shown.aggregate(
            v=Count("pk", filter=Q(severity="violation")),
            w=Count("pk", filter=~Q(severity="violation")),
        )
    else:  # the tallies: a few rows per organisation
        tally = engine.tallies(org, year)
        if severity:
            tally = tally.filter(severity=severity)
        counts = tally.aggregate(
            v=Sum("count", filter=Q(severity="violation"), default=0),
            w=Sum("count", filter=~Q(severity="violation"), default=0),
        )
    page = paginate(
        request,
        shown.order_by("severity", F("due").asc(nulls_first=True), "rule", "subject_name", "pk"),
        50,
    )
    page.object_list = engine.from_rows(page.object_list, pack)
    context = {
        "org": org,
        "tab": "findings",
        "ancestors": sel.ancestors(org),
        "year": year,
        "years": range(today.year, today.year - 5, -1),
        "rules": rules,
        "periods": periods,
        "rule": rule,
        "severity": severity,
        "period": period,
        "violations": counts["v"],
        "warnings": counts["w"],
        "page": page,
        "freshness": freshness,
        "engine_ready": engine.available(),
        "pack": pack,
        "scopes": list(Organization.objects.filter(parent=org).order_by("type", "name")[:200]),
    }
    return render(request, "web/findings_list.html", context)


@login_required
def finding_detail(request: HttpRequest, org_pk: int, year: int, key: str) -> HttpResponse:
    """Why: the rule, its clause and quoted words, required against actual, the evidence."""
    org = administered_org(request, org_pk)
    finding = engine.finding_by_key(org, year, key)
    if finding is None:
        raise Http404("没有找到该问题（可能已经整改或数据已更新）")
    context = {
        "org": org,
        "year": year,
        "f": finding,
        "evidence": engine.evidence_links(finding.evidence),
        "record_link": engine.record_link(finding),
    }
    return render(request, "web/finding_detail.html", context)
