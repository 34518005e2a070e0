"""The annual work calendar: the engine's schedule (`policy.schedule`) for one organisation,
month by month. Nothing here interprets a rule: the items, due dates and statuses are the
schedule's; this module only groups them for the page and writes the .ics."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from dangjian.orgs.models import Organization
from dangjian.policy import store
from dangjian.policy.days import as_of_label
from dangjian.policy.schedule import Item as ScheduleItem
from dangjian.policy.schedule import Schedule
from dangjian.policy.selectors import pack_for_org, schedule_for_org
from dangjian.policy.store import STATUS_ORDER
from dangjian.web.page_findings import finding_key

PEOPLE_LABELS = {
    "members": "全体党员",
    "serving_members": "在职党员",
    "full_members": "正式党员",
    "leading_cadres": "党员领导干部",
    "leadership_team": "班子成员",
    "secretaries": "书记",
    "party_workers": "党务工作人员",
    "full_time_party_workers": "专职党务工作人员",
}
# The page's badge for each schedule status.
BADGES = {"done": "done", "due": "todo", "overdue": "violation", "upcoming": "upcoming"}


@dataclass
class Item:
    due: datetime.date
    title: str
    rule: str
    period: str
    clause: str
    quote: str
    document: str
    status: str  # the schedule's: done | due | overdue | upcoming
    status_label: str
    audience: str = ""
    finding_key: str = ""
    warning: bool = False
    reminder_days: int = 0

    @property
    def badge(self) -> str:
        return "warning" if self.warning else BADGES[self.status]


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
    as_of: datetime.date
    months: list[Month]
    freshness: Any = None  # a committee's: the stored lines' `store.Status`

    @property
    def items(self) -> list[Item]:
        return [i for m in self.months for i in m.items]

    @property
    def pending(self) -> bool:
        return bool(self.freshness is not None and self.freshness.pending)

    @property
    def as_of_label(self) -> str:
        label = as_of_label(self.as_of)
        return f"{label}（正在更新）" if self.pending else label


def _item(s: ScheduleItem, audience: str = "") -> Item:
    rule = s.rule
    f = s.finding
    return Item(
        due=s.due,
        title=rule.title,
        rule=rule.qualified_id,
        period=s.period,
        clause=rule.citation.get("clause", ""),
        quote=rule.citation.get("quote", ""),
        document=rule.citation.get("document", ""),
        status=s.status,
        status_label=s.status_label,
        audience=audience,
        finding_key=(
            finding_key(f.rule, f.subject["type"], f.subject["id"], f.period) if f else ""
        ),
        warning=f is not None and f.severity == "warning",
        reminder_days=rule.reminder_days,
    )


def calendar_items(schedule: Schedule, org: Organization) -> list[Item]:
    """The organisation's own schedule lines, and its people's lines gathered by rule and
    period (the worst status first: overdue, due, upcoming, then done)."""
    own = schedule.for_subject("organization", org.ext_id)
    groups: dict[tuple[str, str], list[ScheduleItem]] = {}
    for s in schedule.items:
        if s.subject_type == "person":
            groups.setdefault((s.rule.qualified_id, s.period), []).append(s)
    gathered = [
        (
            min(lines, key=lambda s: STATUS_ORDER[s.status]),
            sum(1 for s in lines if s.status != "done"),
        )
        for lines in groups.values()
    ]
    return _calendar_items(own, gathered)


def _calendar_items(
    own: list[ScheduleItem], gathered: list[tuple[ScheduleItem, int]]
) -> list[Item]:
    out = [_item(s) for s in own]
    for worst, open_ in gathered:
        who = PEOPLE_LABELS.get(worst.rule.people or "members", "党员")
        item = _item(worst, audience=f"{who}，{open_} 人未完成" if open_ else f"{who}，全部完成")
        item.finding_key = ""
        out.append(item)
    return out


def year_calendar(org: Organization, year: int) -> YearCalendar:
    """The year's schedule of `org` on the check day, by month of the due date (a deadline
    in the next year, such as a report on December, is shown in December)."""
    pack_id = pack_for_org(org)
    if org.depth == 0:
        # A work committee: the stored lines, the people's gathered in SQL (never every
        # member's line in memory, never an evaluation).
        freshness = store.status(org, pack_id, year)
        items = _calendar_items(*store.stored_calendar(org, pack_id, year))
        as_of = freshness.as_of or store.as_of_for(year)
    else:
        schedule = schedule_for_org(org=org, year=year)
        items, as_of = calendar_items(schedule, org), schedule.as_of
        freshness = schedule.freshness  # stored lines: when computed, whether pending
    months = [Month(m) for m in range(1, 13)]
    for item in items:
        month = item.due.month if item.due.year == year else (12 if item.due.year > year else 1)
        months[month - 1].items.append(item)
    for m in months:
        m.items.sort(key=lambda i: (i.due, i.title, i.period))
    return YearCalendar(
        org=org,
        year=year,
        pack=pack_id,
        as_of=as_of,
        months=months,
        freshness=freshness,
    )


def to_ics(cal: YearCalendar) -> bytes:
    """The calendar as iCalendar: one all-day event per schedule line on its due date, with
    a reminder (VALARM) the rule's reminder days before, and its status on the check day."""
    import icalendar

    ical = icalendar.Calendar()
    ical.add("prodid", "-//dangjian//annual work calendar//ZH")
    ical.add("version", "2.0")
    ical.add("x-wr-calname", f"{cal.org.name} {cal.year}年党建工作日历")
    ical.add("x-wr-caldesc", f"{cal.org.name} {cal.year}年党建工作日历，{cal.as_of_label}")
    stamp = datetime.datetime.now(datetime.UTC)
    for item in cal.items:
        event = icalendar.Event()
        event.add("uid", f"{cal.org.ext_id}-{item.rule}-{item.period}@dangjian")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due)
        event.add("dtend", item.due + datetime.timedelta(days=1))
        summary = item.title if not item.audience else f"{item.title}（{item.audience}）"
        event.add("summary", f"【{item.status_label}】{summary}")
        source = "，".join(x for x in [item.document, item.clause] if x)
        event.add(
            "description", f"{source}：“{item.quote}”（{cal.as_of_label}：{item.status_label}）"
        )
        if item.reminder_days and item.status in ("due", "upcoming"):
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{item.title}：{item.reminder_days} 天后到期")
            alarm.add("trigger", datetime.timedelta(days=-item.reminder_days))
            event.add_component(alarm)
        ical.add_component(event)
    return bytes(ical.to_ical())
