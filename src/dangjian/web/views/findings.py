"""Findings: a filtered list over an organisation subtree, and one finding's explanation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, Min, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from dangjian.access import selectors as access
from dangjian.policy.days import check_day
from dangjian.policy.models import StoredFinding
from dangjian.web import page_cache, page_findings
from dangjian.web import selectors as sel
from dangjian.web.page_cache import ReadPage
from dangjian.web.views.common import administered_org, int_param, year_param, year_value


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

    first: page_findings.Finding
    people: list[page_findings.Finding] = field(default_factory=list)
    count: int = 0  # people in the group in all (`people` holds the first of them)

    @property
    def is_group(self) -> bool:
        return bool(self.people)


def group_people(items: list[page_findings.Finding]) -> list[Row]:
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
        row.count += 1
    return rows


# People listed inside one grouped line (the count says how many there are in all).
PEOPLE_SHOWN = 200


class Lines:
    """The list's lines, in order, for the paginator: for each severity (violations first)
    the people's findings grouped by rule and period, then the organisations' findings.
    Groups are one grouped query (a few per rule); organisations' findings are sliced in
    SQL, and each page reads the people of its groups in one more query."""

    def __init__(self, shown: QuerySet[StoredFinding], pack: str) -> None:
        self.shown = shown
        self.pack = pack
        self.segments: list[tuple[str, Any, int]] = []
        groups: dict[str, list[dict[str, Any]]] = {}
        for g in (
            shown.filter(subject_type="person")
            .values("severity", "rule", "period")
            .annotate(n=Count("pk"), first_due=Min("due"))
            .order_by(F("first_due").asc(nulls_first=True), "rule", "period")
        ):
            groups.setdefault(g["severity"], []).append(g)
        org_counts = dict(
            shown.exclude(subject_type="person")
            .values_list("severity")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("severity", "n")
        )
        for severity in sorted(set(groups) | set(org_counts)):  # "violation" < "warning"
            found = groups.get(severity, [])
            if found:
                self.segments.append(("groups", found, len(found)))
            if org_counts.get(severity):
                rows = (
                    shown.exclude(subject_type="person")
                    .filter(severity=severity)
                    .order_by(F("due").asc(nulls_first=True), "rule", "subject_name", "pk")
                )
                self.segments.append(("rows", rows, org_counts[severity]))

    def __len__(self) -> int:
        return sum(n for _, _, n in self.segments)

    def count(self) -> int:
        return len(self)

    def __getitem__(self, index: slice) -> list[Row]:
        start, stop = index.start or 0, index.stop if index.stop is not None else len(self)
        picked: list[tuple[str, Any]] = []
        offset = 0
        for kind, items, n in self.segments:
            lo, hi = max(start - offset, 0), min(stop - offset, n)
            if lo < hi:
                picked.extend((kind, x) for x in items[lo:hi])
            offset += n
        people = self._people([g for kind, g in picked if kind == "groups"])
        rows = page_findings.from_rows([x for kind, x in picked if kind == "rows"], self.pack)
        lines: list[Row] = []
        for kind, x in picked:
            if kind == "rows":
                lines.append(Row(first=rows.pop(0)))
                continue
            found = people.get((x["severity"], x["rule"], x["period"]), [])
            if found:
                lines.append(Row(first=found[0], people=found, count=x["n"]))
        return lines

    def _people(self, groups: list[dict[str, Any]]) -> dict[tuple[str, str, str], list[Any]]:
        """The first people of each group on the page, in one query."""
        if not groups:
            return {}
        which = Q()
        for g in groups:
            which |= Q(severity=g["severity"], rule=g["rule"], period=g["period"])
        rows = (
            self.shown.filter(which, subject_type="person")
            .annotate(
                line=Window(
                    RowNumber(),
                    partition_by=[F("severity"), F("rule"), F("period")],
                    order_by=[F("subject_name").asc(), F("pk").asc()],
                )
            )
            .filter(line__lte=PEOPLE_SHOWN)
            .order_by("severity", "rule", "period", "line")
        )
        out: dict[tuple[str, str, str], list[Any]] = {}
        for f in page_findings.from_rows(list(rows), self.pack):
            out.setdefault((f.severity, f.rule, f.period), []).append(f)
        return out


def _render_list(request: HttpRequest, org: object) -> HttpResponse:
    from dangjian.orgs.models import Organization

    assert isinstance(org, Organization)
    year = year_param(request)
    # the findings only: a training or filing shows once its refresh is stored
    return page_cache.page(
        request, org, year, lambda: _list_page(request, org, year), every_record=False
    )


def _list_page(request: HttpRequest, org: Any, year: int) -> HttpResponse:
    today = datetime.date.today()
    pack = page_findings.pack_id_for(org)
    freshness = page_findings.freshness(org, year)
    if not freshness.complete and org.depth > 0:
        page_findings.findings(org, year)  # a branch's first load: evaluated (and stored) once
        freshness = page_findings.freshness(org, year)
    rule = request.GET.get("rule", "")
    severity = request.GET.get("severity", "")
    period = request.GET.get("period", "")
    raw_page = request.GET.get("page") or "1"
    # built from the stored rows: kept in the shared cache until the next refresh
    figures = page_cache.cached(
        org,
        year,
        "findings",
        lambda: list_figures(org, year, pack, rule, severity, period, raw_page),
        rule,
        severity,
        period,
        raw_page,
    )
    page = figures["page"].page()
    context = {
        "org": org,
        "tab": "findings",
        "ancestors": sel.ancestors(org),
        "year": year,
        "as_of": freshness.as_of or check_day(year),
        "years": range(today.year, today.year - 5, -1),
        "rules": figures["rules"],
        "periods": figures["periods"],
        "rule": rule,
        "severity": severity,
        "period": period,
        "violations": figures["violations"],
        "warnings": figures["warnings"],
        "page": page,
        # the rendered lines (most of the page's cost): kept beside the figures
        "rows_html": page_cache.cached(
            org,
            year,
            "findings-rows",
            lambda: mark_safe(
                render_to_string("web/_findings_rows.html", {"page": page, "org": org})
            ),
            rule,
            severity,
            period,
            raw_page,
        ),
        "freshness": freshness,
        "engine_ready": page_findings.available(),
        "pack": pack,
        "scopes": figures["scopes"],
    }
    return render(request, "web/findings_list.html", context)


def list_figures(
    org: Any, year: int, pack: str, rule: str, severity: str, period: str, raw_page: str
) -> dict[str, Any]:
    """The list's filters, counts and one page of lines, from the stored rows (the same
    for every reader of `org`)."""
    from dangjian.orgs.models import Organization

    rows = page_findings.stored(org, year)
    titles = page_findings.pack_rules(pack)
    rules = sorted(
        (
            r,
            str(
                page_findings._get(titles.get(r) or titles.get(r.split("/", 1)[-1]), "title", "")
                or r
            ),
        )
        for r in rows.values_list("rule", flat=True).distinct().order_by()
    )
    # The calendar periods (year, half, quarter, month) to filter by; a person's own span
    # ("1992-07-30/2026-12-01": one per member at a province) is not a choice of its own,
    # but stays selectable when a link asked for it.
    periods = sorted(
        rows.exclude(period__contains="/").values_list("period", flat=True).distinct().order_by()
    )
    if period and period not in periods:
        periods.append(period)
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
        tally = page_findings.tallies(org, year)
        if severity:
            tally = tally.filter(severity=severity)
        counts = tally.aggregate(
            v=Sum("count", filter=Q(severity="violation"), default=0),
            w=Sum("count", filter=~Q(severity="violation"), default=0),
        )
    lines: Any = Lines(shown, pack)
    return {
        "rules": rules,
        "periods": periods,
        "violations": counts["v"],
        "warnings": counts["w"],
        "page": ReadPage.of(Paginator(lines, 50).get_page(raw_page)),
        "scopes": list(Organization.objects.filter(parent=org).order_by("type", "name")[:200]),
    }


@login_required
def finding_detail(request: HttpRequest, org_pk: int, year: int, key: str) -> HttpResponse:
    """Why: the rule, its clause and quoted words, required against actual, the evidence."""
    org = administered_org(request, org_pk)
    year = year_value(year)
    finding = page_findings.finding_by_key(org, year, key)
    if finding is None:
        raise Http404("没有找到该问题（可能已经整改或数据已更新）")
    context = {
        "org": org,
        "year": year,
        "as_of": page_findings.freshness(org, year).as_of or check_day(year),
        "f": finding,
        "evidence": page_findings.evidence_links(finding.evidence),
        "record_link": page_findings.record_link(finding),
    }
    return render(request, "web/finding_detail.html", context)
