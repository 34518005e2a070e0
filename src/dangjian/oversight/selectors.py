"""Reads for the rectification loop."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from dangjian.orgs.models import Organization
from dangjian.oversight.models import (
    Inspection,
    Rectification,
    ResponsibilityItem,
    ResponsibilityList,
)

FILTERS = ("open", "overdue", "closed", "all")


def rectifications_of_subtree(
    org: Organization, *, state: str = "open", as_of: datetime.date | None = None
) -> QuerySet[Rectification]:
    """Rectifications of `org` and the organisations under it.

    `open`: not yet closed; `overdue`: open and past its 整改期限 without 整改完成;
    `closed`: closed; anything else: all of them.
    """
    qs = Rectification.objects.filter(org__path__startswith=org.path).select_related("org")
    if state == "open":
        qs = qs.filter(closed_on__isnull=True)
    elif state == "overdue":
        day = as_of or datetime.date.today()
        qs = qs.filter(closed_on__isnull=True, rectified_on__isnull=True, due_on__lt=day)
    elif state == "closed":
        qs = qs.filter(closed_on__isnull=False)
    return qs.order_by("-found_on", "-pk")


def rectification_counts(org: Organization, as_of: datetime.date | None = None) -> dict[str, int]:
    """How many are open, overdue and closed in the subtree (one query)."""
    from django.db.models import Count

    day = as_of or datetime.date.today()
    return Rectification.objects.filter(org__path__startswith=org.path).aggregate(
        open=Count("pk", filter=Q(closed_on__isnull=True)),
        overdue=Count(
            "pk", filter=Q(closed_on__isnull=True, rectified_on__isnull=True, due_on__lt=day)
        ),
        closed=Count("pk", filter=Q(closed_on__isnull=False)),
        all=Count("pk"),
    )


# ---------------------------------------------------------------- inspections


def inspections_of_subtree(org: Organization) -> QuerySet[Inspection]:
    """Inspections held by `org` or organisations under it, or of organisations under it
    (a branch sees the inspections it received), with their problem counts."""
    from django.db.models import Exists, OuterRef

    received = Inspection.targets.through.objects.filter(
        inspection_id=OuterRef("pk"), organization__path__startswith=org.path
    )
    problems = Rectification.objects.filter(source_activity_id=OuterRef("activity_id"))
    return (
        Inspection.objects.filter(Q(org__path__startswith=org.path) | Q(Exists(received)))
        .select_related("org", "activity")
        .prefetch_related("targets")
        .annotate(
            problems=_count(problems),
            problems_open=_count(problems.filter(closed_on__isnull=True)),
        )
        .order_by("-year", "-quarter", "-pk")
    )


def _count(qs: QuerySet[Rectification]) -> Any:
    from django.db.models import Count, IntegerField, Subquery
    from django.db.models.functions import Coalesce

    counted = qs.order_by().values("source_activity_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def inspection_problems(inspection: Inspection) -> QuerySet[Rectification]:
    if inspection.activity_id is None:
        return Rectification.objects.none()
    return (
        Rectification.objects.filter(source_activity_id=inspection.activity_id)
        .select_related("org")
        .order_by("org__path", "pk")
    )


@dataclass(frozen=True)
class PlanStatus:
    status: str  # done | due | overdue | upcoming | met | planned
    label: str
    due: datetime.date | None = None


def plan_statuses(inspections: list[Inspection]) -> dict[int, PlanStatus]:
    """Each planned inspection's status. Carried out: done. Not yet: the status of the
    inspecting organisation's inspection rule for that quarter in the stored findings
    (the schedule's due/overdue and due date) — never worked out a second time here."""
    from dangjian.policy.periods import periods_of_year
    from dangjian.policy.schedule import STATUS_LABELS
    from dangjian.web import page_findings

    out: dict[int, PlanStatus] = {}
    found: dict[tuple[int, int], list[Any]] = {}
    today = datetime.date.today()
    for i in inspections:
        if i.activity_id is not None and i.activity is not None:
            out[i.pk] = PlanStatus("done", f"已开展（{i.activity.date:%Y-%m-%d}）")
            continue
        key = (i.org_id, i.year)
        if key not in found:
            found[key] = [
                f
                for f in page_findings.own_findings(i.org, i.year)
                if "inspection" in (f.params.get("activity_kinds") or [])
            ]
        quarter = next(p for p in periods_of_year(i.year, "quarter") if p.key == i.period)
        half = f"{i.year}-H{1 if i.quarter <= 2 else 2}"
        hit = next((f for f in found[key] if f.period in (i.period, half)), None)
        if hit is not None:
            status = "overdue" if hit.is_violation else "due"
            out[i.pk] = PlanStatus(status, STATUS_LABELS[status], hit.due_date)
        elif quarter.start > today:
            out[i.pk] = PlanStatus("upcoming", STATUS_LABELS["upcoming"], quarter.end)
        elif quarter.end < today:
            out[i.pk] = PlanStatus("met", "未开展（本期督查要求已由其他督查满足）", quarter.end)
        else:
            out[i.pk] = PlanStatus("planned", "计划中", quarter.end)
    return out


# ---------------------------------------------------------------- responsibility lists


@dataclass(frozen=True)
class ItemStatus:
    status: str  # met | due | overdue | none
    label: str


def responsibility_items(lst: ResponsibilityList) -> list[ResponsibilityItem]:
    return list(lst.items.select_related("responsible").order_by("position", "pk"))


def responsibility_item_statuses(
    lst: ResponsibilityList, items: list[ResponsibilityItem] | None = None
) -> dict[int, ItemStatus]:
    """Each item's status from the stored findings of the list's organisation (subtree) for
    the year: a violation of one of its rules → 逾期, a warning → 待办, none → 已落实."""
    from dangjian.web import page_findings

    if items is None:
        items = responsibility_items(lst)
    rules = {r for i in items for r in i.rules}
    severities: dict[str, set[str]] = {}
    if rules:
        rows = (
            page_findings.stored(lst.org, lst.year)
            .filter(rule__in=_qualified(lst.org, rules))
            .values_list("rule", "severity")
            .distinct()
        )
        for rule, severity in rows:
            severities.setdefault(rule.split("/", 1)[-1], set()).add(severity)
    out: dict[int, ItemStatus] = {}
    for i in items:
        if not i.rules:
            out[i.pk] = ItemStatus("none", "未关联规则")
            continue
        seen: set[str] = set()
        for r in i.rules:
            seen |= severities.get(r.split("/", 1)[-1], set())
        if "violation" in seen:
            out[i.pk] = ItemStatus("overdue", "逾期")
        elif seen:
            out[i.pk] = ItemStatus("due", "待办")
        else:
            out[i.pk] = ItemStatus("met", "已落实")
    return out


def _qualified(org: Organization, rules: set[str]) -> list[str]:
    from dangjian.web import page_findings

    pack = page_findings.pack_id_for(org)
    known = page_findings.pack_rules(pack)
    out = []
    for r in rules:
        rule = known.get(r)
        out.append(str(getattr(rule, "qualified_id", "") or (r if "/" in r else f"{pack}/{r}")))
    return out


def responsibility_lists_of_subtree(org: Organization) -> QuerySet[ResponsibilityList]:
    from django.db.models import Count

    return (
        ResponsibilityList.objects.filter(org__path__startswith=org.path)
        .select_related("org", "filing")
        .annotate(n_items=Count("items"))
        .order_by("-year", "org__path")
    )


@dataclass(frozen=True)
class HistoryLine:
    at: datetime.datetime
    who: str
    what: str
    on: str
    detail: str


def rectification_history(rect: Rectification) -> list[HistoryLine]:
    """Every write of the item from the audit log, oldest first (a send-back keeps its
    reason and the dates it cleared)."""
    from dangjian.core.models import AuditEntry
    from dangjian.oversight.models import STEP_LABELS

    labels = {**STEP_LABELS, "send_back": "退回重新整改"}
    out = []
    entries = AuditEntry.objects.filter(object_type="rectification", object_id=str(rect.pk))
    for e in entries.order_by("at", "pk"):
        changes = e.changes or {}
        after = changes.get("after") or {}
        if e.action == "create":
            what, on, detail = "发现问题", str(after.get("found_on") or ""), ""
        elif "step" in changes:
            step = str(changes["step"])
            what = labels.get(step, step)
            field = {
                "assign": "assigned_on",
                "verify": "verified_on",
                "rectify": "rectified_on",
                "revisit": "revisit_on",
                "close": "closed_on",
            }.get(step)
            on = str(changes.get("on") or (after.get(field) if field else "") or "")
            detail = str(changes.get("reason") or after.get("evidence") or "")
            if after.get("due_on"):
                detail = f"整改期限 {after['due_on']}"
        else:
            what, on, detail = "修改", "", ""
        out.append(HistoryLine(e.at, e.actor_label, what, on, detail))
    return out
