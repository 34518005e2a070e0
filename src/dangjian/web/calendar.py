"""The annual work calendar: what falls due each month for an organisation under its pack."""

from __future__ import annotations

import calendar as pycal
import datetime
from dataclasses import dataclass, field
from typing import Any

from dangjian.orgs.models import Organization
from dangjian.web import engine
from dangjian.web import selectors as sel

PERIOD_LABELS = {"month": "每月", "quarter": "每季度", "half": "每半年", "year": "每年"}
PEOPLE_LABELS = {
    "members": "全体党员",
    "full_members": "正式党员",
    "leading_cadres": "党员领导干部",
    "leadership_team": "班子成员",
    "secretaries": "书记",
    "party_workers": "党务工作人员",
    "full_time_party_workers": "专职党务工作人员",
}


@dataclass
class Item:
    due: datetime.date
    title: str
    rule: str
    period: str
    clause: str
    quote: str
    document: str
    audience: str = ""
    status: str = "todo"  # todo | done | warning | violation
    finding_key: str = ""

    @property
    def status_label(self) -> str:
        return {"todo": "待办", "done": "已完成", "warning": "预警", "violation": "逾期"}[
            self.status
        ]


@dataclass
class Month:
    month: int
    items: list[Item] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.month}月"


@dataclass
class YearCalendar:
    org: Organization
    year: int
    pack: str
    months: list[Month]

    @property
    def items(self) -> list[Item]:
        return [i for m in self.months for i in m.items]


def _periods(period: str, year: int) -> list[tuple[str, datetime.date]]:
    def end(month: int) -> datetime.date:
        return datetime.date(year, month, pycal.monthrange(year, month)[1])

    if period == "month":
        return [(f"{year}-{m:02d}", end(m)) for m in range(1, 13)]
    if period == "quarter":
        return [(f"{year}-Q{q}", end(q * 3)) for q in range(1, 5)]
    if period == "half":
        return [(f"{year}-H1", end(6)), (f"{year}-H2", end(12))]
    return [(str(year), end(12))]


def _applies(rule: Any, org: Organization) -> tuple[bool, str]:
    applies = engine._get(rule, "applies_to", {}) or {}
    org_types = engine._get(applies, "orgs", None)
    people = engine._get(applies, "people", None)
    if org_types is not None and org.type not in org_types:
        return False, ""
    if people:
        return True, PEOPLE_LABELS.get(str(people), str(people))
    return org_types is not None, ""


def year_calendar(org: Organization, year: int) -> YearCalendar:
    """Each periodic obligation of the org's pack that applies to it, at each period's end,
    marked done, due or late from the engine's findings; plus the election date."""
    pack = engine.pack_id_for(org)
    rules = engine.pack_rules(pack)
    today = datetime.date.today()
    by_key = {}
    if year <= today.year:
        for f in engine.own_findings(org, year):
            by_key[(f.rule, f.period)] = f
    months = [Month(m) for m in range(1, 13)]
    full_members = sel.subtree_members(org).filter(status="full").count()
    seen: set[int] = set()
    for qualified, rule in rules.items():
        if "/" not in qualified or id(rule) in seen:
            continue
        seen.add(id(rule))
        kind = engine._get(rule, "kind", "")
        if kind not in ("org_frequency", "filing", "person_quota"):
            continue
        ok, audience = _applies(rule, org)
        params = engine._get(rule, "params", {}) or {}
        if not ok or full_members < int(params.get("min_full_members") or 0):
            continue
        citation = engine._get(rule, "citation", {}) or {}
        for period, due in _periods(str(engine._get(rule, "period", "year") or "year"), year):
            item = Item(
                due=due,
                title=str(engine._get(rule, "title", qualified)),
                rule=qualified,
                period=period,
                clause=str(engine._get(citation, "clause", "") or ""),
                quote=str(engine._get(citation, "quote", "") or ""),
                document=str(engine._get(citation, "document", "") or ""),
                audience=audience,
            )
            finding = by_key.get((qualified, period))
            if finding is not None:
                item.status = finding.severity
                item.finding_key = finding.key
            elif audience:
                item.status = "todo"
            elif due < today:
                item.status = "done"
            months[due.month - 1].items.append(item)
    info = sel.current_term(org)
    if info is not None and info.ends_on.year == year:
        months[info.ends_on.month - 1].items.append(
            Item(
                due=info.ends_on,
                title="任期届满，按期换届选举",
                rule="term",
                period=str(year),
                clause="第八条",
                quote="按期换届",
                document="中国共产党党和国家机关基层组织工作条例",
                status="violation" if info.ends_on < today else "todo",
            )
        )
    for m in months:
        m.items.sort(key=lambda i: (i.due, i.title))
    return YearCalendar(org=org, year=year, pack=pack, months=months)


def to_ics(cal: YearCalendar) -> bytes:
    """The calendar as iCalendar: one all-day event per obligation on its due date."""
    import icalendar

    ical = icalendar.Calendar()
    ical.add("prodid", "-//dangjian//annual work calendar//ZH")
    ical.add("version", "2.0")
    ical.add("x-wr-calname", f"{cal.org.name} {cal.year}年党建工作日历")
    stamp = datetime.datetime.now(datetime.UTC)
    for item in cal.items:
        event = icalendar.Event()
        event.add("uid", f"{cal.org.ext_id}-{item.rule}-{item.period}@dangjian")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due)
        event.add("dtend", item.due + datetime.timedelta(days=1))
        summary = item.title if not item.audience else f"{item.title}（{item.audience}）"
        event.add("summary", summary)
        source = "，".join(x for x in [item.document, item.clause] if x)
        event.add("description", f"{source}：“{item.quote}”（{item.period}）")
        ical.add_component(event)
    return bytes(ical.to_ical())
