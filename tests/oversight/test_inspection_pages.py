"""Inspection and responsibility-list pages: forms keep what was typed, scoping, exports."""

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.oversight.inspections import ProblemInput, inspection_create
from dangjian.oversight.models import Inspection, Rectification, ResponsibilityList

pytestmark = pytest.mark.django_db


def _form(tree, **extra):
    data = {
        "year": "2026",
        "quarter": "2",
        "title": "组织生活督查",
        "targets": [str(tree.branch1.pk)],
        "held_on": "2026-05-06",
        "inspector_names": "李督查",
        "p0-org": str(tree.branch1.pk),
        "p0-description": "支部委员会会议记录不全",
        "p0-due_on": "2026-06-30",
    }
    data.update(extra)
    return data


def test_record_form_opens_problems_and_detail_lists_them(tree, login):
    client = login("dept")
    url = reverse("web:inspection_new", args=[tree.committee.pk])
    assert "发现的问题" in client.get(url).content.decode()
    response = client.post(
        url, _form(tree, **{"p1-org": str(tree.branch2.pk), "p1-description": "台账不全"})
    )
    assert response.status_code == 200  # branch2 was not inspected
    page = response.content.decode()
    assert "“预算处党支部”不在被督查组织中" in page and "组织生活督查" in page
    assert not Inspection.objects.exists()
    response = client.post(url, _form(tree))
    inspection = Inspection.objects.get()
    assert response.url == reverse("web:inspection", args=[inspection.pk])
    page = client.get(response.url).content.decode()
    assert "支部委员会会议记录不全" in page and "整改中" in page
    # the branch sees it on its rectification page and the inspection itself
    b1 = login("b1")
    assert (
        "支部委员会会议记录不全"
        in b1.get(reverse("web:rectifications", args=[tree.branch1.pk])).content.decode()
    )
    assert b1.get(reverse("web:inspection", args=[inspection.pk])).status_code == 200
    assert b1.get(reverse("web:inspection_record", args=[inspection.pk])).status_code == 403
    assert login("b2").get(reverse("web:inspection", args=[inspection.pk])).status_code == 404


def test_plan_then_record(tree, login):
    client = login("dept")
    url = reverse("web:inspection_new", args=[tree.committee.pk])
    client.post(url, _form(tree, held_on="", **{"p0-org": "", "p0-description": ""}))
    inspection = Inspection.objects.get()
    assert inspection.activity is None
    record = reverse("web:inspection_record", args=[inspection.pk])
    version = client.get(record).context["form"]["version"].value()
    response = client.post(
        record,
        {
            "held_on": "2026-05-07",
            "version": version,
            "p0-org": str(tree.branch1.pk),
            "p0-description": "缺少学习记录",
        },
    )
    assert response.status_code == 302
    assert Rectification.objects.get().source_activity == Inspection.objects.get().activity


def test_export_lists_inspections_and_problems_as_inert_text(tree, actor_for, login):
    inspection_create(
        org=tree.committee,
        year=2026,
        quarter=1,
        title="=HYPERLINK(1)",
        targets=[tree.branch1],
        held_on=date(2026, 2, 1),
        problems=[ProblemInput(tree.branch1, "+记录不全", None)],
        actor=actor_for("dept"),
    )
    response = login("dept").get(reverse("web:inspection_export", args=[tree.committee.pk]))
    wb = load_workbook(io.BytesIO(response.content))
    assert wb["督查"]["D2"].value == "=HYPERLINK(1)" and wb["督查"]["D2"].data_type == "s"
    assert wb["发现的问题"]["E2"].value == "+记录不全"
    assert wb["发现的问题"]["G2"].value == "整改中"


def test_responsibility_page_saves_files_and_exports(tree, login):
    client = login("b1")
    url = reverse("web:responsibility", args=[tree.branch1.pk]) + "?year=2026"
    page = client.get(url).content.decode()
    assert "尚未制定" in page
    import re

    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    data = {
        "action": "save",
        "rows": "2",
        "version": version,
        "i0-task": "每月开展主题党日",
        "i0-responsible_name": "支部书记",
        "i0-rules": "theme-day-monthly",
        "i1-task": "",
    }
    assert client.post(url, data).status_code == 302
    lst = ResponsibilityList.objects.get(org=tree.branch1, year=2026)
    assert [i.task for i in lst.items.all()] == ["每月开展主题党日"]
    # a second save from the same (now stale) form is refused, keeping what was typed
    stale = client.post(url, {**data, "i0-task": "每月开展主题党日（修订）"})
    assert stale.status_code == 200
    assert "已被他人修改" in stale.content.decode()
    assert "每月开展主题党日（修订）" in stale.content.decode()
    assert client.post(url, {"action": "file"}).status_code == 302
    lst.refresh_from_db()
    assert lst.filing is not None and lst.filing.period == "2026"
    xlsx = client.get(reverse("web:responsibility_export", args=[tree.branch1.pk]) + "?year=2026")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws["B3"].value == "每月开展主题党日"


def test_inspector_sends_back_and_the_branch_cannot(tree, actor_for, login):
    from dangjian.oversight.services import rectification_advance

    inspection_create(
        org=tree.committee,
        year=2026,
        quarter=1,
        title="督查",
        targets=[tree.branch1],
        held_on=date(2026, 2, 1),
        problems=[ProblemInput(tree.branch1, "学习记录不全", None)],
        actor=actor_for("dept"),
    )
    rect = Rectification.objects.get()
    rectification_advance(
        rectification=rect,
        step="rectify",
        on=date(2026, 2, 5),
        evidence="已补记",
        actor=actor_for("b1"),
    )
    url = reverse("web:rectification_send_back", args=[rect.pk])
    b1 = login("b1")
    page = b1.get(reverse("web:rectification", args=[rect.pk])).content.decode()
    assert 'id="send-back-form"' not in page and "等待财政厅机关党委回访、销号" in page
    assert b1.post(url, {"on": "2026-02-06", "reason": "x"}).status_code == 403
    dept = login("dept")
    shown = dept.get(reverse("web:rectification", args=[rect.pk]))
    assert 'id="send-back-form"' in shown.content.decode()
    version = shown.context["send_back"]["version"].value()
    response = dept.post(
        url, {"on": "2026-02-06", "reason": "记录仍不完整", "version": version}, follow=True
    )
    page = response.content.decode()
    assert "已退回重新整改" in page and "记录仍不完整" in page
    rect.refresh_from_db()
    assert rect.status == "verified"
