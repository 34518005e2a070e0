"""In a real browser: upload a workbook with one bad row, see that row's error, import the rest."""

from __future__ import annotations

import datetime

import pytest
from openpyxl import Workbook

from dangjian.records.models import Activity, Attendance
from dangjian.web.testing import PASSWORD, build_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(chromium):
    """The shared headless Chromium of tests/e2e/conftest.py."""
    return chromium


def write_ledger(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "组织生活台账"
    ws.append(
        [
            "编号",
            "组织单位*",
            "类型*",
            "日期*",
            "主题",
            "时长（学时）",
            "主讲人",
            "参加人员",
            "对象",
        ]
    )
    ws.append(
        [
            "E2E-1",
            "办公室党支部",
            "主题党日",
            datetime.date(2024, 4, 18),
            "四月主题党日",
            2,
            "王二",
            "张一、王二、李三",
            None,
        ]
    )
    ws.append(
        ["E2E-2", "办公室党支部", "主题党日", "2024-04-31", "日期写错的一行", 2, None, "张一", None]
    )
    ws.append(
        ["E2E-3", "办公室党支部", "党课", "2024-05-09", "专题党课", 1.5, "王二", "张一、赵四", None]
    )
    wb.save(path)


def test_excel_import_with_one_bad_row(live_server, browser, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = build_tree()
    path = tmp_path / "台账.xlsx"
    write_ledger(path)

    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/login/?next=/excel/")
    page.fill("#id_username", tree.users["b1"].get_username())
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/excel/")
    assert page.locator("h1").inner_text() == "Excel 导入导出"

    page.set_input_files("#id_file", str(path))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/excel/uploads/**")
    errors = page.locator("#errors tbody tr")
    assert errors.count() == 1
    cells = errors.first.locator("td").all_inner_texts()
    assert cells[:3] == ["组织生活台账", "3", "日期"]
    assert "2024-04-31" in cells[3]
    assert page.locator("#valid-count").inner_text() == "2"
    assert page.locator("#failed-count").inner_text() == "1"
    assert not Activity.objects.filter(ext_id__startswith="E2E-").exists()
    page.screenshot(path=str(tmp_path / "excel-preview.png"), full_page=True)

    page.click("#import-valid")
    page.wait_for_selector("#imported")
    assert "导入 2 行" in page.locator("#imported").inner_text()
    assert page.locator("#download-failed").is_visible()
    assert set(
        Activity.objects.filter(ext_id__startswith="E2E-").values_list("ext_id", flat=True)
    ) == {
        "E2E-1",
        "E2E-3",
    }
    assert Attendance.objects.filter(activity__ext_id="E2E-1").count() == 3
    page.close()
