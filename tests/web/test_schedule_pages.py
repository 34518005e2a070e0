"""A schedule read a page at a time (API), filtered by status or rule, and a committee's
工作日程 sheet counted per department once it is longer than a sheet should be."""

from __future__ import annotations

import datetime
import io
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from dangjian.policy import schedule_query
from dangjian.policy.models import StoredScheduleLine
from dangjian.policy.selectors import schedule_for_org
from dangjian.policy.store import refresh_all
from dangjian.spreadsheets.selectors import SCHEDULE_SUMMARY_HEADERS

YEAR = datetime.date.today().year


def _key(item: dict) -> tuple:
    return (
        item["due"],
        item["rule"],
        item["subject"]["type"],
        item["subject"]["id"],
        item["period"],
    )


def _all_pages(api: APIClient, url: str) -> tuple[list[dict], list[dict]]:
    """Follow `next` from `url`; the pages' bodies and their items in order."""
    bodies, items = [], []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        bodies.append(body)
        items.extend(body["items"])
        url = body["next"]
    return bodies, items


def _committee_reader(tree, where: str):
    """After a full refresh: the organisation (the root or a department), an API client
    of the work committee, and the schedule's URL for it."""
    refresh_all()
    org = tree.root if where == "root" else tree.dept
    api = APIClient()
    api.force_authenticate(tree.users["wc"])
    return org, api, f"/api/v1/schedule/?org={org.ext_id}&year={YEAR}"


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["root", "department"])
def test_pages_hold_every_line_once_in_order(tree, where):
    org, api, base = _committee_reader(tree, where)
    whole = api.get(base).json()
    assert whole["count"] == len(whole["items"]) > 7 and whole["next"] is None
    assert whole["offset"] == 0 and whole["limit"] == schedule_query.PAGE_MAX

    bodies, items = _all_pages(api, base + "&limit=7")
    assert len(bodies) == -(-whole["count"] // 7)  # ceil
    assert all(len(b["items"]) == 7 for b in bodies[:-1]) and bodies[-1]["next"] is None
    assert [b["offset"] for b in bodies] == list(range(0, whole["count"], 7))
    assert {b["count"] for b in bodies} == {whole["count"]}
    assert items == whole["items"]
    assert [_key(i) for i in items] == sorted(_key(i) for i in items)
    # The same lines as the schedule the pages show.
    shown = schedule_for_org(org=org, year=YEAR)
    assert sorted(_key(i) for i in items) == sorted(
        (i.due.isoformat(), i.rule.qualified_id, i.subject_type, i.subject_id, i.period)
        for i in shown.items
    )


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["root", "department"])
def test_status_and_rule_filters(tree, where):
    _, api, base = _committee_reader(tree, where)
    every = api.get(base).json()["items"]
    statuses = Counter(i["status"] for i in every)
    assert statuses["overdue"] and statuses["done"]

    late = api.get(base + "&status=overdue,due").json()
    assert late["count"] == statuses["overdue"] + statuses["due"]
    assert [i for i in every if i["status"] in ("overdue", "due")] == late["items"]

    rule = every[0]["rule"]
    one = api.get(base + f"&rule={rule}&status=overdue").json()
    assert one["items"] == [i for i in every if i["rule"] == rule and i["status"] == "overdue"]

    bad = api.get(base + "&status=late")
    assert bad.status_code == 400 and "未知的状态 late" in bad.json()["status"][0]
    beyond = api.get(base + f"&limit={schedule_query.PAGE_MAX + 1}")
    assert beyond.status_code == 400 and list(beyond.json()) == ["limit"]


@pytest.mark.django_db
def test_a_member_pages_through_only_their_own_lines(tree):
    refresh_all()
    member = tree.users["member"]
    api = APIClient()
    api.force_authenticate(member)
    _, items = _all_pages(api, f"/api/v1/schedule/?org={tree.branch1.ext_id}&year={YEAR}&limit=2")
    assert items
    own = {("organization", tree.branch1.ext_id), ("person", tree.member.ext_id)}
    assert {(i["subject"]["type"], i["subject"]["id"]) for i in items} <= own


@pytest.mark.django_db
def test_a_long_committee_sheet_is_counted_per_department(tree, monkeypatch):
    refresh_all()
    client = Client()
    client.force_login(tree.users["wc"])
    url = reverse("spreadsheets:export", args=["schedule"]) + f"?org={tree.root.ext_id}&year={YEAR}"
    lines = StoredScheduleLine.objects.filter(year=YEAR)
    total = lines.count()

    # Short enough: every line, as before.
    full = load_workbook(io.BytesIO(client.get(url).content))
    assert full.sheetnames[0].startswith("工作日程" + str(YEAR))
    assert full.active.max_row == total + 1

    monkeypatch.setattr(schedule_query, "SHEET_LINES_MAX", total - 1)
    book = load_workbook(io.BytesIO(client.get(url).content))
    assert book.sheetnames[0].startswith(f"工作日程汇总{YEAR}") and book.sheetnames[1] == "说明"
    summary = book.worksheets[0]
    head = [c.value for c in summary[1]]
    assert head == SCHEDULE_SUMMARY_HEADERS
    rows = list(summary.iter_rows(min_row=2, values_only=True))
    col = {h: n for n, h in enumerate(head)}
    by_status = {
        label: sum(r[col[label]] for r in rows) for label in ("已完成", "待办", "逾期", "未开始")
    }
    expected = Counter(lines.values_list("status", flat=True))
    assert by_status == {
        "已完成": expected["done"],
        "待办": expected["due"],
        "逾期": expected["overdue"],
        "未开始": expected["upcoming"],
    }
    # One row per department (or the committee itself) and rule; departments by name.
    departments = {r[col["部门"]] for r in rows}
    assert any(tree.dept.ext_id in d for d in departments)
    assert len(rows) == len({(r[col["部门"]], r[col["规则"]]) for r in rows})
    note = book.worksheets[1]["A2"].value
    assert str(total) in note and "/api/v1/schedule/" in note
