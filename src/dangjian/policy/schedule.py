"""The schedule: for every rule, subject and period of a year, its due date, its status and
the evidence — the one answer the calendar, the home pages, the .ics, the exports and the
API read. Findings are the subset that is not done.

Statuses (on the report's check day, `days.check_day`):

- ``done`` — what the rule asks is met (the evidence shows how);
- ``overdue`` — the due date has passed without it (the finding is a violation);
- ``due`` — the period is open and it is not met yet (a warning finding when within the
  reminder window or behind pace);
- ``upcoming`` — the period has not begun.

The periodic kinds (org_frequency, organ_org_frequency, filing, term_due) note every line
they judge, met or not; a finding of any other kind becomes a line of its own. Periods not
begun on the check day are added for the organisation kinds (for the organisations the rule
covered in the year's begun periods, or — before the year begins — all of the rule's types).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dangjian.policy.context import Context
from dangjian.policy.engine import evaluate
from dangjian.policy.findings import Entry, Finding, Report
from dangjian.policy.kinds import Rule
from dangjian.policy.kinds.filing import deadline, periods_due_in
from dangjian.policy.packs import Pack, load_pack
from dangjian.policy.periods import periods_of_year

STATUSES = ("done", "due", "overdue", "upcoming")
STATUS_LABELS = {"done": "已完成", "due": "待办", "overdue": "逾期", "upcoming": "未开始"}
UPCOMING_KINDS = ("org_frequency", "organ_org_frequency", "filing")


@dataclass(slots=True)
class Item:
    """One line of the schedule (slots: a province's schedule is a million of them)."""

    rule: Rule
    subject_type: str  # "organization" | "person"
    subject_id: str  # ext id
    subject_name: str
    org_id: str  # ext id of the organisation it belongs to
    period: str
    start: date
    due: date
    status: str
    required: Any = None
    actual: Any = None
    evidence: list[str] = field(default_factory=list)
    made_on: date | None = None  # a late filing: when it was made
    finding: Finding | None = None
    org_name: str = ""

    @property
    def status_label(self) -> str:
        if self.made_on is not None:
            return "逾期报送"
        return STATUS_LABELS[self.status]

    def as_dict(self) -> dict[str, Any]:
        f = self.finding
        return {
            "rule": self.rule.qualified_id,
            "title": self.rule.title,
            "subject": {
                "type": self.subject_type,
                "id": self.subject_id,
                "name": self.subject_name,
            },
            "org": self.org_id,
            "period": self.period,
            "due": self.due.isoformat(),
            "status": self.status,
            "status_label": self.status_label,
            "required": self.required,
            "actual": self.actual,
            "evidence": self.evidence,
            "made_on": self.made_on.isoformat() if self.made_on else None,
            "severity": f.severity if f is not None else None,
            "message": f.message if f is not None else None,
        }

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule.qualified_id, self.subject_type, self.subject_id, self.period)


@dataclass
class Schedule:
    report: Report
    as_of: date
    items: list[Item]
    # Read from the stored lines: how fresh they are (`store.Status`); None: just evaluated.
    freshness: Any = None

    @property
    def findings(self) -> list[Finding]:
        return self.report.findings

    def as_dict(self, items: list[Item] | None = None) -> dict[str, Any]:
        """`dangjian-schedule/1`: every line with its due date, status and evidence."""
        report = self.report
        out: dict[str, Any] = {
            "format": "dangjian-schedule/1",
            "policy": report.policy,
            "year": report.year,
            "as_of": self.as_of.isoformat(),
        }
        if self.freshness is not None:
            # Read from the stored lines: when they were computed, and whether a refresh
            # is pending (the pages' 截至 / 正在更新).
            computed = self.freshness.computed_at
            out["computed_at"] = computed.isoformat() if computed is not None else None
            out["updating"] = bool(self.freshness.pending)
        out["items"] = [i.as_dict() for i in (self.items if items is None else items)]
        return out

    @property
    def updating(self) -> bool:
        return bool(self.freshness is not None and self.freshness.pending)

    def for_subject(self, subject_type: str, subject_id: str) -> list[Item]:
        return [
            i for i in self.items if i.subject_type == subject_type and i.subject_id == subject_id
        ]


def _status(entry: Entry, finding: Finding | None, as_of: date) -> str:
    if finding is not None:
        return "overdue" if finding.severity == "violation" else "due"
    if entry.met:
        return "done"
    if entry.start > as_of:
        return "upcoming"
    return "overdue" if entry.due <= as_of else "due"


def build_schedule(
    *,
    pack: str | Pack,
    year: int,
    as_of: date,
    org_ext_id: str | None = None,
    using: str = "default",
) -> Schedule:
    """Evaluate `pack` for `year` on `as_of` and return every line of the year's schedule."""
    pack_obj = load_pack(pack) if isinstance(pack, str) else pack
    holder: dict[str, Context] = {}
    report = evaluate(
        pack=pack_obj,
        year=year,
        as_of=as_of,
        org_ext_id=org_ext_id,
        using=using,
        schedule=True,
        context_out=holder,
    )
    ctx = holder["ctx"]
    # From here on only the organisations and people are read: what the rules shared
    # (a province's: every member's totals …) goes before the lines are made, and each
    # line's entry as soon as its line is (a province's schedule is a million lines).
    ctx.memo.clear()
    ctx.evaluated.clear()
    entries = deque(ctx.schedule or [])
    ctx.schedule = None
    covered: dict[str, set[int]] = {}
    rules = {r.qualified_id: r for r in _all_rules(pack_obj)}
    by_key: dict[tuple[str, str, str, str], Finding] = {}
    for f in report.findings:
        by_key.setdefault((f.rule, f.subject["type"], f.subject["id"], f.period), f)
    items: list[Item] = []
    seen: set[tuple[str, str, str, str]] = set()
    while entries:
        e = entries.popleft()
        covered.setdefault(e.rule, set()).add(e.subject_pk)
        info = ctx.orgs.get(e.subject_pk) if e.subject_type == "organization" else None
        person = ctx.people.get(e.subject_pk) if e.subject_type == "person" else None
        subject = info or person
        if subject is None:
            continue
        key = (e.rule, e.subject_type, subject.ext_id, e.period)
        found = by_key.get(key)
        owner = ctx.orgs.get(e.org_pk) if e.org_pk is not None else None
        items.append(
            Item(
                rule=rules[e.rule],
                subject_type=e.subject_type,
                subject_id=subject.ext_id,
                subject_name=subject.name,
                org_id=owner.ext_id if owner else "",
                period=e.period,
                start=e.start,
                due=e.due,
                status=_status(e, found, as_of),
                required=e.required,
                actual=e.actual,
                evidence=e.evidence,  # the entry's own list (the entry goes now)
                made_on=e.made_on if found is not None else None,
                finding=found,
                org_name=owner.name if owner else "",
            )
        )
        seen.add(key)
    # Findings of kinds that keep no schedule of their own: a line each.
    for key, f in by_key.items():
        if key in seen or f.rule not in rules:
            continue
        due = date.fromisoformat(f.due) if f.due else as_of
        items.append(
            Item(
                rule=rules[f.rule],
                subject_type=f.subject["type"],
                subject_id=f.subject["id"],
                subject_name=f.subject.get("name", ""),
                org_id=f.org.get("id", ""),
                period=f.period,
                start=min(due, date(year, 1, 1)),
                due=due,
                status="overdue" if f.severity == "violation" else "due",
                required=f.required,
                actual=f.actual,
                evidence=list(f.evidence),
                finding=f,
                org_name=f.org.get("name", ""),
            )
        )
    items.extend(_upcoming(ctx, pack_obj, year, as_of, covered))
    items.sort(key=lambda i: (i.due, i.rule.title, i.subject_id, i.period))
    return Schedule(report=report, as_of=as_of, items=items)


def _all_rules(pack: Pack) -> list[Rule]:
    out = list(pack.rules)
    base = pack.base
    while base is not None:
        out.extend(base.rules)
        base = base.base
    return out


def _upcoming(
    ctx: Context, pack: Pack, year: int, as_of: date, covered: dict[str, set[int]]
) -> list[Item]:
    """Lines for the periods that have not begun on the check day (`covered`: the
    subjects each rule judged, by qualified id)."""
    from dangjian.policy.engine import rules_in_force

    out: list[Item] = []
    for rule in rules_in_force(pack, year):
        if rule.kind not in UPCOMING_KINDS:
            continue
        every = (
            periods_due_in(rule, year)
            if rule.kind == "filing"
            else periods_of_year(year, rule.period)
        )
        later = [p for p in every if p.start > as_of]
        if not later:
            continue
        begun = len(later) < len(every)
        if begun:
            orgs = [ctx.orgs[pk] for pk in covered.get(rule.qualified_id, ()) if pk in ctx.orgs]
        else:
            orgs = ctx.orgs_of_types(rule.org_types)
        need = rule.params.get("min", 1)
        for org in orgs:
            for per in later:
                if not org.exists_during(per.start, per.end):
                    continue
                due = deadline(rule, per) if rule.kind == "filing" else per.end
                out.append(
                    Item(
                        rule=rule,
                        subject_type="organization",
                        subject_id=org.ext_id,
                        subject_name=org.name,
                        org_id=org.ext_id,
                        period=per.key,
                        start=per.start,
                        due=due,
                        status="upcoming",
                        required=need,
                        actual=0,
                        org_name=org.name,
                    )
                )
    return out


@dataclass
class Side:
    """One rule's lines in one schedule, counted by status."""

    rule: Rule
    counts: dict[str, int]
    violations: int
    warnings: int


@dataclass
class Comparison:
    """Two packs' schedules of one subtree, rule against rule (matched by obligation)."""

    a: Schedule
    b: Schedule
    rows: list[tuple[Side | None, Side | None]]

    @staticmethod
    def totals(schedule: Schedule) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for i in schedule.items:
            out[i.status] += 1
        out["violations"] = schedule.report.violations
        out["warnings"] = schedule.report.warnings
        return out

    @property
    def totals_a(self) -> dict[str, int]:
        return self.totals(self.a)

    @property
    def totals_b(self) -> dict[str, int]:
        return self.totals(self.b)


def _sides(schedule: Schedule) -> dict[str, Side]:
    sides: dict[str, Side] = {}
    for i in schedule.items:
        side = sides.get(i.rule.qualified_id)
        if side is None:
            side = sides[i.rule.qualified_id] = Side(i.rule, dict.fromkeys(STATUSES, 0), 0, 0)
        side.counts[i.status] += 1
        if i.finding is not None:
            if i.finding.severity == "violation":
                side.violations += 1
            else:
                side.warnings += 1
    return sides


def compare(a: Schedule, b: Schedule) -> Comparison:
    """Each rule of either schedule beside the other's rule for the same obligation (kind,
    subjects, measure — `packs.obligation_key`), or beside nothing."""
    from dangjian.policy.packs import obligation_key

    sides_a, sides_b = _sides(a), _sides(b)
    by_key_b = {obligation_key(s.rule): s for s in sides_b.values()}
    rows: list[tuple[Side | None, Side | None]] = []
    used: set[str] = set()
    for side in sorted(sides_a.values(), key=lambda s: s.rule.title):
        other = sides_b.get(side.rule.qualified_id) or by_key_b.get(obligation_key(side.rule))
        if other is not None:
            used.add(other.rule.qualified_id)
        rows.append((side, other))
    for side in sorted(sides_b.values(), key=lambda s: s.rule.title):
        if side.rule.qualified_id not in used:
            rows.append((None, side))
    return Comparison(a=a, b=b, rows=rows)
