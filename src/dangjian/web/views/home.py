"""工作台: what each role needs to see first."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import F, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangjian.access import selectors as access
from dangjian.access.models import Grant, Role
from dangjian.notices.selectors import notices_received, unread_count, with_read_flag
from dangjian.orgs.models import Organization, OrgType
from dangjian.oversight.selectors import rectifications_of_subtree
from dangjian.people.dues_selectors import person_dues
from dangjian.people.pipeline import branch_pipeline
from dangjian.policy.days import as_of_label
from dangjian.web import calendar as cal
from dangjian.web import page_cache, page_findings
from dangjian.web import selectors as sel
from dangjian.web.views.common import administered_org, int_param

BRANCH_TYPES = {OrgType.BRANCH, OrgType.PARTY_CELL, OrgType.GENERAL_BRANCH}


def _findings_now(org: Organization, today: datetime.date) -> list[page_findings.Finding]:
    """Findings as of today; in January also last year's, so last month is covered."""
    items = page_findings.findings(org, today.year, today)
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    if last_month.year != today.year:
        items = page_findings.findings(org, last_month.year) + items
    return items


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    grants = list(
        Grant.objects.filter(user_id=user.pk or 0)
        .select_related("org")
        .order_by("org__depth", "org__path")
    )
    wanted = int_param(request, "org", 0)
    if wanted:
        org = administered_org(request, wanted)
    elif grants:
        org = grants[0].org
    elif getattr(user, "is_superuser", False):
        org = Organization.objects.order_by("depth", "path").first()  # type: ignore[assignment]
    else:
        return member_home(request)
    if org is None:
        return render(request, "web/home_empty.html", {})
    role = next((g.role for g in grants if g.org_id == org.pk), None)
    if org.type in BRANCH_TYPES or role == Role.BRANCH_ADMIN:
        # trainings and filings show here through their findings (学时不足, the schedule)
        return page_cache.page(
            request,
            org,
            datetime.date.today().year,
            lambda: branch_home(request, org, grants),
            every_record=False,
        )
    return page_cache.page(
        request, org, datetime.date.today().year, lambda: committee_home(request, org, grants)
    )


def branch_home(request: HttpRequest, org: Organization, grants: list[Grant]) -> HttpResponse:
    today = datetime.date.today()
    items = _findings_now(org, today)
    hours_short = [
        f for f in items if f.subject_type == "person" and page_findings._is_hours_rule(f)
    ]
    people_items = [f for f in items if f.subject_type == "person" and f not in hours_short]
    others = [f for f in items if f.subject_type != "person"]
    month_end = (today.replace(day=28) + datetime.timedelta(days=4)).replace(
        day=1
    ) - datetime.timedelta(days=1)
    due_soon = sorted(
        (f for f in others if not f.is_violation),
        key=lambda f: f.due or "",
    )
    overdue = sorted((f for f in others if f.is_violation), key=lambda f: f.due or "", reverse=True)
    context: dict[str, Any] = {
        "org": org,
        "grants": grants,
        "today": today,
        "month_end": month_end,
        "due_this_month": due_this_month(org, today),
        "as_of_label": as_of_label(today),
        "due_later": [f for f in due_soon if not f.due_date or f.due_date > month_end],
        "overdue": overdue,
        "hours_short": sorted(hours_short, key=lambda f: float(f.actual or 0))[:30],
        "hours_short_count": len(hours_short),
        "term": sel.current_term(org),
        "member_count": sel.subtree_members(org).count(),
        "activity_count": sel.ledger(org, year=today.year).count(),
        "links": {f.key: page_findings.record_link(f) for f in others},
        "person_groups": group_by_rule(people_items),
        "overdue_total": len(overdue) + sum(1 for f in people_items if f.is_violation),
        "engine_ready": page_findings.available(),
        "pack": page_findings.pack_id_for(org),
        # 发展党员: overdue steps first, then the next deadlines (talk, conversion).
        "pipeline_due": sorted(
            (r for r in branch_pipeline(org, today) if r.due is not None),
            key=lambda r: (not r.overdue, r.due),
        )[:10],
        "freshness": page_findings.freshness(org, today.year),
        "unread_notices": unread_count(request.user),
        # 交办的整改事项 (from inspections or findings) not yet closed: the ten oldest due
        "rectifications": list(
            rectifications_of_subtree(org, state="open").order_by(
                F("due_on").asc(nulls_last=True), "pk"
            )[:10]
        ),
    }
    return render(request, "web/home_branch.html", context)


def due_this_month(org: Organization, today: datetime.date) -> list[cal.Item]:
    """The schedule's lines of `org` falling due this month and not done (the calendar's)."""
    return [
        i
        for i in cal.year_calendar(org, today.year).items
        if i.due.year == today.year and i.due.month == today.month and i.status != "done"
    ]


def rank_children(org: Organization, per_path: dict[str, int]) -> list[tuple[Organization, int]]:
    """Organisations under `org` ranked by open violations in their subtrees, from counts
    per organisation path (one grouped query over the stored findings).

    Where everything sits under a single child (a department's one organ committee),
    rank the level below it instead, up to three levels down.
    """
    root = org
    ranking: list[tuple[Organization, int]] = []
    for _ in range(3):
        children = {c.pk: c for c in Organization.objects.filter(parent=root)}
        depth_index = len([p for p in root.path.split("/") if p])
        per_child: Counter[int] = Counter()
        for path, n in per_path.items():
            parts = [p for p in path.split("/") if p]
            if len(parts) > depth_index and int(parts[depth_index]) in children:
                per_child[int(parts[depth_index])] += n
        ranking = [(children[pk], n) for pk, n in per_child.most_common()]
        if len(ranking) != 1:
            break
        root = ranking[0][0]
    return ranking


def group_by_rule(items: list[page_findings.Finding]) -> list[dict[str, Any]]:
    """Person findings of one rule and severity as one line: the rule and who is behind."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for f in items:
        g = groups.setdefault(
            (f.rule, f.severity),
            {
                "rule": f.rule,
                "title": f.rule_title,
                "is_violation": f.is_violation,
                "label": f.severity_label,
                "due": f.due,
                "people": [],
                "first": f,
            },
        )
        g["people"].append(f)
    return sorted(groups.values(), key=lambda g: (not g["is_violation"], g["due"] or ""))


def committee_home(request: HttpRequest, org: Organization, grants: list[Grant]) -> HttpResponse:
    """Counts, ranking and chart are grouped queries over the stored findings: the page
    never evaluates the tree (a pending refresh is shown instead)."""
    today = datetime.date.today()
    context = {
        "org": org,
        "grants": grants,
        "today": today,
        "freshness": page_findings.freshness(org, today.year),
        # built from the stored rows: kept in the shared cache until the next refresh
        **page_cache.cached(
            org, today.year, "home", lambda: committee_figures(org, today), today.isoformat()
        ),
        "engine_ready": page_findings.available(),
        "unread_notices": unread_count(request.user),
    }
    return render(request, "web/home_committee.html", context)


def committee_figures(org: Organization, today: datetime.date) -> dict[str, Any]:
    """The committee home's counts, ranking, chart, terms and vacancies: grouped queries
    over the stored findings' tallies and rows (the same for every reader of `org`)."""
    rows = page_findings.stored(org, today.year)
    # Sums over the tallies (a few rows per organisation), grouped in SQL.
    tallies = page_findings.tallies(org, today.year)
    by_severity = dict(
        tallies.values_list("severity")
        .annotate(n=Sum("count"))
        .order_by()
        .values_list("severity", "n")
    )
    per_path = dict(
        tallies.filter(severity="violation")
        .values_list("org_path")
        .annotate(n=Sum("count"))
        .order_by()
        .values_list("org_path", "n")
    )
    ranking = rank_children(org, per_path)
    by_month_v = [0] * 12
    by_month_w = [0] * 12
    for month, severity, n in (
        tallies.filter(month__gt=0)
        .values_list("month", "severity")
        .annotate(n=Sum("count"))
        .order_by()
    ):
        (by_month_v if severity == "violation" else by_month_w)[month - 1] += n
    chart = {
        "months": [f"{m}月" for m in range(1, 13)],
        "violations": by_month_v,
        "warnings": by_month_w,
        "activities": sel.month_counts(org, today.year),
    }
    overdue_terms, overdue_terms_count, soon_terms = sel.term_deadlines(
        sel.org_subtree(org), today, overdue=15, soon=10
    )
    pack = page_findings.pack_id_for(org)
    vacancies = page_findings.from_rows(
        rows.filter(rule_kind="vacancy_filled").order_by("org_path", "rule", "period")[:30], pack
    )
    return {
        "violation_count": by_severity.get("violation", 0),
        "warning_count": sum(n for sev, n in by_severity.items() if sev != "violation"),
        "ranking": ranking[:20],
        "ranking_json": {
            "names": [c.name for c, _ in ranking[:15]][::-1],
            "counts": [n for _, n in ranking[:15]][::-1],
        },
        "chart_json": chart,
        "overdue_terms": overdue_terms,
        "overdue_terms_count": overdue_terms_count,
        "soon_terms": soon_terms,
        "vacancies": vacancies,
        "member_count": sel.subtree_members(org).count(),
        "pack": pack,
    }


def member_home(request: HttpRequest) -> HttpResponse:
    person = access.person_of(request.user)
    if person is None:
        return render(request, "web/home_empty.html", {})
    today = datetime.date.today()
    hours = sel.person_hours(person, today.year)
    required = page_findings.required_hours(person.org, today.year, [person.pk]).get(person.pk)
    schedule = cal.year_calendar(person.org, today.year)
    upcoming = [
        cal.Month(m.month, [i for i in m.items if i.status != "done"])
        for m in schedule.months
        if m.month >= today.month
    ][:3]
    context = {
        "person": person,
        "today": today,
        "hours": hours,
        "required": required,
        "percent": min(100, int(hours * 100 / required)) if required else None,
        "positions": list(sel.current_positions_of(person, today)),
        "findings": page_findings.person_findings(person, today.year),
        "upcoming": upcoming,
        "recent": list(sel.person_attendance(person)[:5]),
        "dues": person_dues(person, today, limit=6),
        "unread_notices": unread_count(request.user),
        "recent_notices": list(
            with_read_flag(notices_received(request.user), request.user).order_by(
                "-published_on", "-pk"
            )[:5]
        ),
    }
    return render(request, "web/home_member.html", context)
