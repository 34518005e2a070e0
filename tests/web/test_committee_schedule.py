"""A work committee's schedule (API, calendar, .ics, 工作日程 sheet) reads the stored schedule
lines: nothing is evaluated in the request, the lines are the engine's for the same day,
and the pages say when they were computed and that a refresh is pending."""

from __future__ import annotations

import datetime
import io
import json

import icalendar
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient
from rest_framework.utils.encoders import JSONEncoder

from dangjian.orgs.models import Organization, OrgType
from dangjian.people.models import Person, PersonStatus
from dangjian.policy.context import Context
from dangjian.policy.days import check_day
from dangjian.policy.models import PackAssignment, StoredScheduleLine
from dangjian.policy.packs import list_packs
from dangjian.policy.schedule import build_schedule
from dangjian.policy.selectors import pack_for_org
from dangjian.policy.store import refresh_all
from dangjian.spreadsheets.selectors import schedule_rows
from dangjian.web.calendar import calendar_items


def _no_engine(monkeypatch) -> None:
    """Every evaluation loads the organisations first: make that fail."""

    def refuse(self):
        raise AssertionError("the engine was evaluated in the request")

    monkeypatch.setattr(Context, "load_orgs", refuse)


def _json(value):
    return json.loads(json.dumps(value, cls=JSONEncoder))


def _key(item: dict) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def _surfaces(tree, year: int):
    api = APIClient()
    api.force_authenticate(tree.users["wc"])
    body = api.get(f"/api/v1/schedule/?org={tree.root.ext_id}&year={year}")
    assert body.status_code == 200
    client = Client()
    client.force_login(tree.users["wc"])
    page = client.get(reverse("web:org_calendar", args=[tree.root.pk]) + f"?year={year}")
    assert page.status_code == 200
    ics = client.get(reverse("web:org_calendar_ics", args=[tree.root.pk]) + f"?year={year}")
    assert ics.status_code == 200
    xlsx = client.get(
        reverse("spreadsheets:export", args=["schedule"]) + f"?org={tree.root.ext_id}&year={year}"
    )
    assert xlsx.status_code == 200
    return body.json(), page, ics, xlsx


@pytest.mark.django_db
@pytest.mark.parametrize("pack", list_packs())
def test_committee_schedule_is_the_engines_without_evaluating(tree, monkeypatch, pack):
    PackAssignment.objects.update_or_create(org=tree.root, defaults={"pack_id": pack})
    year = datetime.date.today().year
    refresh_all()
    assert StoredScheduleLine.objects.exists()

    _no_engine(monkeypatch)
    body, page, ics, xlsx = _surfaces(tree, year)
    monkeypatch.undo()

    # The same day, evaluated directly over the whole tree.
    fresh = build_schedule(
        pack=pack_for_org(tree.root), year=year, as_of=check_day(year), org_ext_id=tree.root.ext_id
    )
    assert fresh.items and body["as_of"] == fresh.as_of.isoformat()
    expected = _json(fresh.as_dict())
    assert sorted(map(_key, body["items"])) == sorted(map(_key, expected["items"]))
    assert body["updating"] is False and body["computed_at"]

    cal = page.context["calendar"]

    def line(i):
        return (
            i.rule,
            i.period,
            i.due,
            i.status,
            i.status_label,
            i.audience,
            i.finding_key,
            i.warning,
        )

    assert sorted(map(line, cal.items)) == sorted(map(line, calendar_items(fresh, tree.root)))
    text = page.content.decode()
    assert "检查结果截至" in text and "正在更新" not in text

    events = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert {(str(e["uid"]), e.decoded("dtstart")) for e in events} == {
        (f"{tree.root.ext_id}-{i.rule}-{i.period}@dangjian", i.due) for i in cal.items
    }

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert str(fresh.as_of) in sheet.title and "正在更新" not in sheet.title
    rows = sorted(map(repr, sheet.iter_rows(min_row=2, values_only=True)))
    # (an empty cell reads back as None)
    expected_rows = (tuple(None if v == "" else v for v in r) for r in schedule_rows(fresh.items))
    assert rows == sorted(map(repr, expected_rows))


@pytest.mark.django_db
def test_committee_schedule_queries_do_not_grow_with_the_tree(tree, monkeypatch):
    year = datetime.date.today().year
    refresh_all()
    api = APIClient()
    api.force_authenticate(tree.users["wc"])
    url = f"/api/v1/schedule/?org={tree.root.ext_id}&year={year}"
    client = Client()
    client.force_login(tree.users["wc"])
    page = reverse("web:org_calendar", args=[tree.root.pk])
    api.get(url)  # warm: pack files, scopes
    client.get(page)

    def count() -> tuple[int, int, int]:
        _no_engine(monkeypatch)
        with CaptureQueriesContext(connection) as queries:
            body = api.get(url).json()
        with CaptureQueriesContext(connection) as calendar:
            assert client.get(page).status_code == 200
        monkeypatch.undo()
        return len(queries), len(calendar), len(body["items"])

    before, calendar_before, lines = count()
    # Another department with branches and members: many more lines, the same queries.
    dept = Organization.objects.create(
        ext_id="XPG", name="教育厅党组", type=OrgType.PARTY_GROUP, parent=tree.root
    )
    dept.path, dept.depth = f"{tree.root.path}{dept.pk}/", 1
    dept.save(update_fields=["path", "depth"])
    for n in range(3):
        branch = Organization.objects.create(
            ext_id=f"XB{n}", name=f"第{n}党支部", type=OrgType.BRANCH, parent=dept
        )
        branch.path, branch.depth = f"{dept.path}{branch.pk}/", 2
        branch.save(update_fields=["path", "depth"])
        Person.objects.bulk_create(
            Person(
                ext_id=f"XP{n}{i}",
                name=f"党员{n}{i}",
                org=branch,
                status=PersonStatus.FULL,
                joined_on=datetime.date(2010, 7, 1),
                full_on=datetime.date(2011, 7, 1),
            )
            for i in range(5)
        )
    refresh_all()
    api.get(url)
    after, calendar_after, more = count()
    assert more > lines
    assert after == before
    assert calendar_after == calendar_before


@pytest.mark.django_db
def test_committee_schedule_says_pending(tree, settings, monkeypatch):
    settings.FINDINGS_REFRESH_ON_WRITE = False  # no worker runs
    year = datetime.date.today().year
    _no_engine(monkeypatch)
    body, page, ics, xlsx = _surfaces(tree, year)
    assert body["updating"] is True and body["computed_at"] is None and body["items"] == []
    text = page.content.decode()
    assert "正在更新" in text and "检查结果尚未计算" in text
    assert "正在更新" in load_workbook(io.BytesIO(xlsx.content)).active.title
    assert b"\xe6\xad\xa3\xe5\x9c\xa8\xe6\x9b\xb4\xe6\x96\xb0" in ics.content.replace(b"\r\n ", b"")
    monkeypatch.undo()

    refresh_all()
    _no_engine(monkeypatch)
    body, page, _, _ = _surfaces(tree, year)
    assert body["updating"] is False and body["items"]
    assert "正在更新" not in page.content.decode()
