"""Every workbook the app writes keeps formula-leading text as inert text.

A name or title typed as `=HYPERLINK(...)`, `+1`, `-1`, `@SUM(...)` or starting with
a tab or a carriage return must reach whoever opens the export as text: no `<f>`
element in any sheet, a string cell with Excel's quote-prefix flag, the text unchanged
(so an export uploaded again still changes nothing).
"""

import datetime
import io
import zipfile

import pytest

from dangjian.people.models import Person
from dangjian.spreadsheets.columns import SHEETS
from dangjian.spreadsheets.workbooks import FORMULA_LEADS

pytestmark = pytest.mark.django_db

EVIL = {
    "=": '=HYPERLINK("http://example.invalid/","点此")',
    "+": "+1+cmd|' /C calc'!A0",
    "-": "-2+3",
    "@": "@SUM(1,2)",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}


def no_live_formula(content: bytes) -> None:
    archive = zipfile.ZipFile(io.BytesIO(content))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/"):
            assert "<f>" not in archive.read(name).decode("utf-8", "replace"), name


def inert_cells(content: bytes, xl) -> list[str]:
    """The formula-leading texts of the workbook, each checked to be an inert string cell."""
    no_live_formula(content)
    found = []
    for ws in xl.read(content).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_LEADS):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
                    found.append(cell.value)
    return found


@pytest.fixture
def planted(tree):
    """A member, an activity and a training whose text starts with each formula lead."""
    person = tree.members1[2]
    person.name = EVIL["="]
    person.save(update_fields=["name"])
    activity = tree.activity
    activity.title = EVIL["+"]
    activity.save(update_fields=["title"])
    training = tree.training
    training.title = EVIL["@"]
    training.save(update_fields=["title"])
    tree.branch1.name = EVIL["-"]
    tree.branch1.save(update_fields=["name"])
    return tree


def test_roster_export_keeps_formulas_as_text(clients, planted, xl):
    content = clients["b1"].get(f"/excel/export/roster.xlsx?org={planted.branch1.ext_id}").content
    texts = inert_cells(content, xl)
    assert EVIL["="] in texts
    assert any(t.startswith(EVIL["-"]) for t in texts)  # the organisation as 名称（编号）


def test_ledger_and_trainings_exports_keep_formulas_as_text(clients, planted, xl):
    year = planted.activity.date.year
    org = planted.branch1.ext_id
    ledger = clients["b1"].get(f"/excel/export/ledger.xlsx?org={org}&year={year}").content
    assert EVIL["+"] in inert_cells(ledger, xl)
    trainings = clients["b1"].get(f"/excel/export/trainings.xlsx?org={org}&year={year}").content
    assert EVIL["@"] in inert_cells(trainings, xl)


def test_findings_export_keeps_formulas_as_text(clients, planted, xl):
    year = datetime.date.today().year
    content = clients["b1"].get(
        f"/excel/export/findings.xlsx?org={planted.branch1.ext_id}&year={year}"
    )
    assert content.status_code == 200
    texts = inert_cells(content.content, xl)
    assert any(t.startswith(EVIL["-"]) for t in texts)  # the organisation column


def test_exported_formula_text_round_trips_unchanged(clients, planted, xl):
    content = clients["b1"].get(f"/excel/export/roster.xlsx?org={planted.branch1.ext_id}").content
    file = io.BytesIO(content)
    file.name = "roster.xlsx"
    preview = clients["b1"].get(xl.upload(clients["b1"], file))
    assert preview.context["analysis"].failed_count == 0
    clients["b1"].post(preview.wsgi_request.path + "import/")
    assert Person.objects.get(pk=planted.members1[2].pk).name == EVIL["="]


def test_failed_rows_workbook_keeps_formulas_as_text(clients, tree, xl):
    from openpyxl import Workbook

    header = [
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
    wb = Workbook()
    ws = wb.active
    ws.title = "组织生活台账"
    ws.append(header)
    texts = [t for t in EVIL.values() if not t.startswith("\r")]  # XML reads a CR back as LF
    for i, text in enumerate(texts, start=2):
        for col, value in enumerate([f"XL-F{i}", "办公室党支部", "野餐", "2024-05-20", text], 1):
            ws.cell(row=i, column=col, value=value).data_type = "s"  # typed as text
    preview_url = xl.upload(clients["b1"], xl.file(wb, "ledger.xlsx"))
    failed = clients["b1"].get(preview_url + "failed.xlsx")
    assert failed.status_code == 200
    assert set(inert_cells(failed.content, xl)) >= set(texts)


@pytest.mark.parametrize("spec", SHEETS, ids=lambda s: s.key)
def test_templates_have_no_live_formula(clients, spec, xl):
    content = clients["b1"].get(f"/excel/templates/{spec.key}.xlsx").content
    inert_cells(content, xl)
