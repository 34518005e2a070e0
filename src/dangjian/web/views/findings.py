"""Findings: a filtered list over an organisation subtree, and one finding's explanation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dangjian.access import selectors as access
from dangjian.policy.days import check_day
from dangjian.web import engine
from dangjian.web import selectors as sel
from dangjian.web.views.common import administered_org, int_param, paginate, year_param, year_value


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


@dataclass
class Row:
    """One line of the findings list: an organisation's finding, or one rule's findings
    about people (same rule, severity and period) with the people listed inside."""

    first: engine.Finding
    people: list[engine.Finding] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return bool(self.people)


def group_people(items: list[engine.Finding]) -> list[Row]:
    rows: list[Row] = []
    groups: dict[tuple[str, str, str], Row] = {}
    for f in items:
        if f.subject_type != "person":
            rows.append(Row(first=f))
            continue
        row = groups.get((f.rule, f.severity, f.period))
        if row is None:
            row = groups[(f.rule, f.severity, f.period)] = Row(first=f)
            rows.append(row)
        row.people.append(f)
    return rows


def _render_list(request: HttpRequest, org: object) -> HttpResponse:
    from dangjian.orgs.models import Organization

    assert isinstance(org, Organization)
    today = datetime.date.today()
    year = year_param(request)
    items = engine.findings(org, year)
    rule = request.GET.get("rule", "")
    severity = request.GET.get("severity", "")
    period = request.GET.get("period", "")
    rules = sorted({(f.rule, f.rule_title) for f in items})
    periods = sorted({f.period for f in items})
    shown = [
        f
        for f in items
        if (not rule or f.rule == rule)
        and (not severity or f.severity == severity)
        and (not period or f.period == period)
    ]
    shown.sort(key=lambda f: (f.severity != "violation", f.due or "", f.rule, f.subject_name))
    context = {
        "org": org,
        "tab": "findings",
        "ancestors": sel.ancestors(org),
        "year": year,
        "as_of": check_day(year),
        "years": range(today.year, today.year - 5, -1),
        "rules": rules,
        "periods": periods,
        "rule": rule,
        "severity": severity,
        "period": period,
        "violations": sum(1 for f in shown if f.is_violation),
        "warnings": sum(1 for f in shown if not f.is_violation),
        "page": paginate(request, group_people(shown), 50),
        "engine_ready": engine.available(),
        "pack": engine.pack_id_for(org),
        "scopes": list(Organization.objects.filter(parent=org).order_by("type", "name")[:200]),
    }
    return render(request, "web/findings_list.html", context)


@login_required
def finding_detail(request: HttpRequest, org_pk: int, year: int, key: str) -> HttpResponse:
    """Why: the rule, its clause and quoted words, required against actual, the evidence."""
    org = administered_org(request, org_pk)
    year = year_value(year)
    items = engine.findings(org, year)
    finding = next((f for f in items if f.key == key), None)
    if finding is None:
        raise Http404("没有找到该问题（可能已经整改或数据已更新）")
    context = {
        "org": org,
        "year": year,
        "as_of": check_day(year),
        "f": finding,
        "evidence": engine.evidence_links(finding.evidence),
        "record_link": engine.record_link(finding),
    }
    return render(request, "web/finding_detail.html", context)
