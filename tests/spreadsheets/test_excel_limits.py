"""Bounded uploads: small files that would cost minutes or gigabytes are refused whole.

Each bomb is built here, small, and must be refused with a Chinese message and
nothing kept; the repeated-id workbook is checked linear by counting operations;
the workbook is read once, whatever the number of previews and downloads.
"""

import io
import random
import re
import string
import zipfile

import openpyxl
import pytest

from dangjian.records.models import Activity
from dangjian.spreadsheets import analysis as analysis_module
from dangjian.spreadsheets.analysis import workbook_analyse
from dangjian.spreadsheets.limits import UploadRefused, archive_check

pytestmark = pytest.mark.django_db

HEADER = [
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
# The title is ASCII so the bombs below can find it in the sheet XML: openpyxl writes
# other text as character references when lxml is installed.
TITLE = "MayThemeDay"
ROW = ["XL-B1", "办公室党支部", "主题党日", "2024-05-20", TITLE, 2, None, None, None]
SHEET = "xl/worksheets/sheet1.xml"


def ledger_bytes(*rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "组织生活台账"
    ws.append(HEADER)
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def rewrite(data, member, change, *, extra=None):
    """The same zip with one member's text changed (and optional extra members)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == member:
                content = change(content.decode()).encode()
            target.writestr(info.filename, content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def as_file(data, name="bomb.xlsx"):
    file = io.BytesIO(data)
    file.name = name
    return file


def refused(client, data):
    """Upload; the file must be refused with a message and nothing kept."""
    response = client.post("/excel/upload/", {"file": as_file(data)}, follow=True)
    assert response.redirect_chain[-1][0] == "/excel/", response.redirect_chain
    texts = [str(m) for m in response.context["messages"]]
    assert any("未被接受" in t for t in texts), texts
    return " ".join(texts)


def test_declared_dimension_of_20_million_rows_is_refused(clients, tree, settings):
    data = rewrite(
        ledger_bytes(ROW),
        SHEET,
        lambda xml: re.sub(r'<dimension ref="A1:I2"\s*/>', '<dimension ref="A1:I20000000"/>', xml),
    )
    assert 'ref="A1:I20000000"' in zipfile.ZipFile(io.BytesIO(data)).read(SHEET).decode()
    text = refused(clients["b1"], data)
    assert "20000 行" in text and "组织生活台账" in text


def test_sparse_sheet_with_a_row_20_million_down_is_refused(clients, tree):
    far = '<row r="20000000"><c r="A20000000" t="inlineStr"><is><t>XL-FAR</t></is></c></row>'
    data = rewrite(
        ledger_bytes(ROW),
        SHEET,
        lambda xml: xml.replace('<dimension ref="A1:I2" />', "").replace(
            "</sheetData>", far + "</sheetData>"
        ),
    )
    text = refused(clients["b1"], data)
    assert "20000 行" in text  # blank rows count toward the limit
    assert not Activity.objects.filter(ext_id__startswith="XL-").exists()


def test_one_huge_cell_is_refused_by_its_compression_ratio(clients, tree):
    huge = "A" * (20 * 1024 * 1024)  # 20 MB of one letter zips to about 20 KB
    data = rewrite(
        ledger_bytes(ROW),
        SHEET,
        lambda xml: xml.replace(TITLE, huge),
    )
    assert len(data) < 200 * 1024
    text = refused(clients["b1"], data)
    assert "压缩比" in text


def test_a_member_with_a_high_compression_ratio_is_refused():
    data = rewrite(
        ledger_bytes(ROW), SHEET, lambda xml: xml, extra={"xl/media/x.bin": b"\0" * 5_000_000}
    )
    with pytest.raises(UploadRefused, match="压缩比"):
        archive_check(data)


def test_total_uncompressed_size_is_bounded(settings):
    settings.DANGJIAN_UPLOAD_MAX_UNCOMPRESSED_BYTES = 4096
    rng = random.Random(7)
    noise = "".join(rng.choice(string.ascii_letters) for _ in range(8000))
    data = rewrite(ledger_bytes(ROW), SHEET, lambda xml: xml.replace(TITLE, noise))
    with pytest.raises(UploadRefused, match="解压后"):
        archive_check(data)


def test_a_cell_longer_than_excel_allows_is_refused(clients, tree):
    rng = random.Random(11)
    noise = "".join(rng.choice(string.ascii_letters) for _ in range(40000))  # barely compresses
    data = rewrite(ledger_bytes(ROW), SHEET, lambda xml: xml.replace(TITLE, noise))
    archive_check(data)  # the archive itself is ordinary
    text = refused(clients["b1"], data)
    assert "32767 个字符" in text


def test_not_a_zip_is_refused(clients, tree):
    text = refused(clients["b1"], b"PK\x03\x04 not really a zip")
    assert ".xlsx" in text


def test_row_limit_refuses_instead_of_truncating(clients, tree, settings):
    settings.DANGJIAN_UPLOAD_MAX_ROWS = 30
    rows = [[f"XL-R{i}", *ROW[1:4], f"第{i}次", 1, None, None, None] for i in range(31)]
    text = refused(clients["b1"], ledger_bytes(*rows))
    assert "30 行" in text
    settings.DANGJIAN_UPLOAD_MAX_ROWS = 31
    url = clients["b1"].post("/excel/upload/", {"file": as_file(ledger_bytes(*rows))})["Location"]
    assert clients["b1"].get(url).context["analysis"].valid_count == 31


def test_blank_rows_count_toward_the_row_limit(clients, tree, settings):
    settings.DANGJIAN_UPLOAD_MAX_ROWS = 30
    rows = [ROW] + [[None] * len(HEADER)] * 40 + [["XL-B2", *ROW[1:]]]
    wb = openpyxl.load_workbook(io.BytesIO(ledger_bytes()))
    ws = wb["组织生活台账"]
    ws.append(ROW)
    ws.cell(row=len(rows) + 1, column=1, value="XL-B2")  # 40 blank rows in between
    buffer = io.BytesIO()
    wb.save(buffer)
    refused(clients["b1"], buffer.getvalue())


def test_time_limit_refuses(clients, tree, settings):
    settings.DANGJIAN_UPLOAD_MAX_SECONDS = -1
    text = refused(clients["b1"], ledger_bytes(ROW))
    assert "秒" in text


def test_same_id_on_every_row_is_linear(tree, monkeypatch):
    """5,000 rows with one id: each row gets one placement, not one per repeat."""
    calls = {"place": 0}
    original = analysis_module._place

    def counting(row, problem):
        calls["place"] += 1
        return original(row, problem)

    monkeypatch.setattr(analysis_module, "_place", counting)
    n = 5000
    rows = [["XL-SAME", *ROW[1:4], f"第{i}次", 1, None, None, None] for i in range(n)]
    result = workbook_analyse(ledger_bytes(*rows), user=tree.users["b1"])
    assert result.failed_count == n  # every row carries its id's repetition
    assert calls["place"] <= 2 * n


def test_the_workbook_is_read_once(clients, tree, monkeypatch):
    reads = {"n": 0}
    original = openpyxl.load_workbook

    def counting(*args, **kwargs):
        reads["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    bad = ["XL-B9", "办公室党支部", "野餐", "2024-05-20", None, None, None, None, None]
    url = clients["b1"].post("/excel/upload/", {"file": as_file(ledger_bytes(ROW, bad))})[
        "Location"
    ]
    for _ in range(3):
        page = clients["b1"].get(url)
        assert page.status_code == 200 and page.context["analysis"].failed_count == 1
    assert clients["b1"].get(url + "failed.xlsx").status_code == 200
    assert clients["b1"].post(url + "import/").status_code == 200
    assert Activity.objects.filter(ext_id="XL-B1").exists()
    assert clients["b1"].get(url + "failed.xlsx").status_code == 200
    assert reads["n"] == 1
