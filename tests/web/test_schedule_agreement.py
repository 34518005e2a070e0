"""The calendar, the .ics, the branch home's "due this month", the Excel 问题清单 and the API
all read the engine's schedule: on the same day, for every pack, the same items, due
dates and statuses."""

from __future__ import annotations

import datetime
import io

import icalendar
import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from dangjian.policy.days import check_day
from dangjian.policy.labels import period_label
from dangjian.policy.models import PackAssignment
from dangjian.policy.packs import list_packs
from dangjian.policy.selectors import schedule_for_org
from dangjian.spreadsheets.selectors import FINDING_HEADERS, SCHEDULE_HEADERS


def today_is_late_in_year() -> bool:
    return datetime.date.today() >= datetime.date(datetime.date.today().year, 12, 1)


STATUS_OF_SEVERITY = {"violation": "overdue", "warning": "due"}


def _finding_lines(findings) -> set[tuple]:
    return {
        (f["rule"], f["subject"]["id"], f["period"], f["due"], STATUS_OF_SEVERITY[f["severity"]])
        for f in findings
    }


@pytest.mark.django_db
@pytest.mark.parametrize("pack", list_packs())
def test_every_surface_reads_the_schedule(tree, pack):
    PackAssignment.objects.update_or_create(org=tree.root, defaults={"pack_id": pack})
    org = tree.branch1
    year = datetime.date.today().year
    schedule = schedule_for_org(org=org, year=year)
    assert schedule.as_of == check_day(year)
    own = schedule.for_subject("organization", org.ext_id)
    assert own and schedule.findings  # the tree gives every pack something to show
    assert {i.status for i in own} >= {"done", "upcoming"} or today_is_late_in_year()
    expected = {(i.rule.qualified_id, i.period, i.due, i.status) for i in own}
    not_done = [i for i in schedule.items if i.status != "done" and i.finding is not None]
    from_schedule = {
        (
            i.rule.qualified_id,
            i.subject_id,
            i.period,
            i.finding.due,
            STATUS_OF_SEVERITY[i.finding.severity],
        )
        for i in not_done
    }
    # Findings are exactly the schedule's lines that carry one, and none of them is done.
    assert from_schedule == _finding_lines(f.as_dict() for f in schedule.findings)
    assert all(i.status != "done" for i in schedule.items if i.finding is not None)

    client = Client()
    client.force_login(tree.users["b1"])
    # The calendar page: the organisation's own lines, as the schedule has them.
    page = client.get(reverse("web:org_calendar", args=[org.pk]))
    assert page.status_code == 200
    cal = page.context["calendar"]
    shown = {(i.rule, i.period, i.due, i.status) for i in cal.items if not i.audience}
    assert shown == expected
    assert f"截至 {schedule.as_of.year}年{schedule.as_of.month}月{schedule.as_of.day}日" in (
        page.content.decode()
    )
    # The .ics: one event per calendar line, on its due date.
    ics = icalendar.Calendar.from_ical(
        client.get(reverse("web:org_calendar_ics", args=[org.pk])).content
    )
    events = {(str(e["uid"]), e.decoded("dtstart")) for e in ics.walk("VEVENT")}
    assert events == {(f"{org.ext_id}-{i.rule}-{i.period}@dangjian", i.due) for i in cal.items}
    # The branch home's "due this month": the schedule's lines of this month, not done.
    home = client.get(reverse("web:home") + f"?org={org.pk}")
    today = datetime.date.today()
    month = {(i.rule, i.period, i.due, i.status) for i in home.context["due_this_month"]}
    assert month == {
        (i.rule.qualified_id, i.period, i.due, i.status)
        for i in own
        if i.due.year == today.year and i.due.month == today.month and i.status != "done"
    } | {
        (i.rule, i.period, i.due, i.status)
        for i in cal.items
        if i.audience
        and i.due.month == today.month
        and i.due.year == today.year
        and i.status != "done"
    }

    # The Excel 问题清单: the schedule's findings, as of the same day.
    xlsx = client.get(
        reverse("spreadsheets:export", args=["findings"]) + f"?org={org.ext_id}&year={year}"
    )
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert str(schedule.as_of) in sheet.title
    col = {h: n for n, h in enumerate(FINDING_HEADERS)}
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    excel = {(r[col["期间"]], r[col["期限"]], r[col["性质"]], r[col["说明"]]) for r in rows}
    assert len(rows) == len(schedule.findings)
    assert excel == {
        (period_label(f.period), f.due, "违规" if f.severity == "violation" else "预警", f.message)
        for f in schedule.findings
    }

    # The API: the same findings on the same day.
    api = APIClient()
    api.force_authenticate(tree.users["b1"])
    report = api.get(f"/api/v1/findings/?org={org.ext_id}&year={year}").json()
    assert report["as_of"] == schedule.as_of.isoformat()
    assert _finding_lines(report["findings"]) == _finding_lines(
        f.as_dict() for f in schedule.findings
    )
    # The API's schedule: every line, with the same due dates and statuses.
    lines = api.get(f"/api/v1/schedule/?org={org.ext_id}&year={year}").json()
    assert lines["as_of"] == schedule.as_of.isoformat()
    assert {
        (i["rule"], i["subject"]["id"], i["period"], i["due"], i["status"]) for i in lines["items"]
    } == {
        (i.rule.qualified_id, i.subject_id, i.period, i.due.isoformat(), i.status)
        for i in schedule.items
    }
    # The Excel 工作日程: the same lines.
    xlsx = client.get(
        reverse("spreadsheets:export", args=["schedule"]) + f"?org={org.ext_id}&year={year}"
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    head = {h: n for n, h in enumerate(SCHEDULE_HEADERS)}
    assert sorted((r[head["期限"]], r[head["状态"]]) for r in rows) == sorted(
        (i.due.isoformat(), i.status_label) for i in schedule.items
    )
