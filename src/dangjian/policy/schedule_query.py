"""A page of a schedule, and a committee's schedule summed per department.

A work committee's schedule at a province is about six lines per member (1.2 million at
200,000 members): too much for one API response or one Excel sheet. The API reads it a
page at a time, filtered by status or rule, and the committee's 工作日程 sheet becomes a
count per department and rule once it is longer than a sheet should be. Both read the
stored lines of a committee by indexed, ordered, limited queries; below the top (a
department or branch: at most a few thousand people) the evaluated schedule is
filtered and sliced in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Min, Q

from dangjian.orgs.models import Organization
from dangjian.policy import store
from dangjian.policy.packs import load_pack
from dangjian.policy.schedule import STATUSES, Item, Schedule, _all_rules
from dangjian.policy.selectors import pack_for_org, schedule_for_org

# The most lines one API response carries (also its default page size).
PAGE_MAX = 10_000
# A committee's 工作日程 sheet lists every line up to this many, else counts per department.
SHEET_LINES_MAX = 50_000


@dataclass(frozen=True)
class ScheduleFilter:
    """Which lines: statuses (any of STATUSES; empty: all), a rule's qualified id, and
    subjects as (type, ext id) pairs (empty: all)."""

    statuses: tuple[str, ...] = ()
    rule: str = ""
    subjects: tuple[tuple[str, str], ...] = ()

    def admits(self, item: Item) -> bool:
        return (
            (not self.statuses or item.status in self.statuses)
            and (not self.rule or item.rule.qualified_id == self.rule)
            and (not self.subjects or (item.subject_type, item.subject_id) in self.subjects)
        )

    def q(self) -> Q:
        cond = Q()
        if self.statuses:
            cond &= Q(status__in=self.statuses)
        if self.rule:
            cond &= Q(rule=self.rule)
        if self.subjects:
            either = Q(pk__in=[])
            for kind, ext in self.subjects:
                either |= Q(subject_type=kind, subject_ext=ext)
            cond &= either
        return cond


@dataclass
class SchedulePage:
    """`count` lines match; `items` are those from `offset`, at most `limit`."""

    schedule: Schedule  # the schedule's head (policy, year, as_of, freshness)
    count: int
    offset: int
    limit: int
    items: list[Item] = field(default_factory=list)

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.count

    def as_dict(self) -> dict[str, Any]:
        """`dangjian-schedule/1` with the page's place: `count`, `offset`, `limit`."""
        out = self.schedule.as_dict(self.items)
        out.update(count=self.count, offset=self.offset, limit=self.limit)
        return out


def page_order(item: Item) -> tuple[date, str, str, str, str]:
    """The order of a paged schedule (the stored lines are read by the same columns)."""
    return (item.due, item.rule.qualified_id, item.subject_type, item.subject_id, item.period)


_ORDER = ("due", "rule", "subject_type", "subject_ext", "period", "pk")


def schedule_page(
    *, org: Organization, year: int, where: ScheduleFilter, offset: int = 0, limit: int = PAGE_MAX
) -> SchedulePage:
    """The lines of `org`'s schedule that `where` admits, from `offset`, at most `limit`,
    in `page_order`. A committee's are read from the stored lines page by page."""
    limit = max(0, min(limit, PAGE_MAX))
    pack_id = pack_for_org(org)
    status = store.status(org, pack_id, year)
    if org.depth == 0:
        lines = store.schedule_lines(org, pack_id, year).filter(where.q())
        count = lines.count()
        picked = list(lines.order_by(*_ORDER)[offset : offset + limit]) if limit else []
        rules = {r.qualified_id: r for r in _all_rules(load_pack(pack_id))}
        keys = {line.finding_key for line in picked if line.finding_key}
        by_key = store.findings_by_key(org, pack_id, year, keys)
        items = [
            i for i in (store.item_of_line(line, rules, by_key) for line in picked) if i is not None
        ]
        head = Schedule(
            report=store.report_head(org, pack_id, year, status),
            as_of=status.as_of or store.as_of_for(year),
            items=[],
            freshness=status,
        )
        return SchedulePage(schedule=head, count=count, offset=offset, limit=limit, items=items)
    schedule = schedule_for_org(org=org, year=year)
    admitted = sorted((i for i in schedule.items if where.admits(i)), key=page_order)
    return SchedulePage(
        schedule=schedule,
        count=len(admitted),
        offset=offset,
        limit=limit,
        items=admitted[offset : offset + limit],
    )


@dataclass
class DepartmentCount:
    """A department's lines of one rule, counted by status."""

    org_name: str
    org_ext: str
    rule: Any  # policy.kinds.Rule
    counts: dict[str, int]
    first_open_due: date | None  # the earliest due date of a line not done


def committee_line_count(org: Organization, year: int) -> int:
    """How many stored lines a committee's schedule has (an index range count)."""
    return store.schedule_lines(org, pack_for_org(org), year).count()


def department_counts(org: Organization, year: int) -> list[DepartmentCount]:
    """A committee's stored lines counted per department (scope), rule and status: one
    grouped query, a few rows per department and rule however many members there are."""
    pack_id = pack_for_org(org)
    rules = {r.qualified_id: r for r in _all_rules(load_pack(pack_id))}
    grouped: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    first_open: dict[tuple[int, str], date] = {}
    rows: Iterable[tuple[int, str, str, int, date]] = (
        store.schedule_lines(org, pack_id, year)
        .values_list("scope__org_id", "rule", "status")
        .annotate(n=store.models_count(), due=Min("due"))
        .order_by()
    )
    for scope_org, rule, st, n, due in rows:
        grouped[(scope_org, rule)][st] = n
        if st != "done":
            key = (scope_org, rule)
            first_open[key] = min(due, first_open.get(key, due))
    names = dict(
        (pk, (name, ext))
        for pk, name, ext in Organization.objects.filter(
            pk__in={k[0] for k in grouped}
        ).values_list("pk", "name", "ext_id")
    )
    out = []
    for (scope_org, rule_id), counts in grouped.items():
        found = rules.get(rule_id)
        if found is None:
            continue
        name, ext = names.get(scope_org, ("", ""))
        out.append(
            DepartmentCount(
                org_name=name,
                org_ext=ext,
                rule=found,
                counts={s: counts.get(s, 0) for s in STATUSES},
                first_open_due=first_open.get((scope_org, rule_id)),
            )
        )
    out.sort(key=lambda d: (d.org_ext != org.ext_id, d.org_ext, d.rule.title, d.rule.qualified_id))
    return out
