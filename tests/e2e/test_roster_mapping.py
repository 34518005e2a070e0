"""In a real browser: a branch's own 花名册 (title rows, no ids, one column the app
does not know) → map that column in the preview → import."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from dangjian.people.models import Person
from dangjian.web.testing import PASSWORD, build_tree

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "出生年月",
    "确定为预备党员时间",
    "转正时间",
    "人员类别",
    "所在支部",
]


def write_roster(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["办公室党支部党员花名册"])
    ws.merge_cells("A1:I1")
    ws.append(HEADERS)
    ws.append(
        [1, "周新", "男", "汉族", "1980.05", "2005.07", "2006.07", "正式党员", "办公室党支部"]
    )
    ws.append([2, "冯新", "女", "汉族", "1992年3月", "2024/3/1", None, "预备党员", "办公室党支部"])
    wb.save(path)


def test_roster_upload_map_one_column_import(live_server, chromium, tmp_path):
    tree = build_tree()
    path = tmp_path / "花名册.xlsx"
    write_roster(path)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20000)
    page.goto(f"{live_server.url}/login/?next=/excel/")
    page.fill("#id_username", tree.users["b1"].get_username())
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/excel/")

    page.set_input_files("#id_file", str(path))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/excel/uploads/**")
    assert "表头在第 2 行" in page.content()
    assert page.locator("#valid-count").inner_text() == "2"
    select = page.locator("#map-0-5")
    assert select.is_visible()
    select.select_option(label="入党日期")
    page.click("#apply-choices")
    page.wait_for_selector("#import-valid")
    assert page.locator("#map-0-5").input_value() == "joined_on"
    assert page.locator("#valid-count").inner_text() == "2"

    page.click("#import-valid")
    page.wait_for_selector("#imported")
    zhou = Person.objects.get(name="周新")
    assert (zhou.org_id, zhou.status, str(zhou.joined_on)) == (
        tree.branch1.pk,
        "full",
        "2005-07-01",
    )
    feng = Person.objects.get(name="冯新")
    assert (feng.status, str(feng.birth_date), str(feng.joined_on)) == (
        "probationary",
        "1992-03-01",
        "2024-03-01",
    )
    page.close()
