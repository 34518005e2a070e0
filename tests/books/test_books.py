"""The printable books open in a Word/PDF reader and hold the records, only the branch's."""

import datetime
import io

import pytest
from django.urls import reverse
from docx import Document

from dangjian.books.render import pdf_available

YEAR = datetime.date.today().year - 1  # as in conftest.py: a finished year

pytestmark = pytest.mark.django_db


def docx_text(body: bytes) -> str:
    doc = Document(io.BytesIO(body))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def get_book(login, tree, name: str, role: str = "b1"):
    client = login(role)
    return client.get(reverse(f"web:{name}", args=[tree.branch1.pk]), {"year": YEAR})


def check_record_book(text: str) -> None:
    # Cover: organisation, year, the check day of a finished year.
    assert "办公室党支部" in text
    assert f"{YEAR}年度" in text
    assert f"截至 {YEAR}年12月31日" in text
    # The meetings, by date, with kinds in Chinese.
    assert f"{YEAR}年1月15日" in text and "支部党员大会" in text
    assert f"{YEAR}年6月28日" in text and "党课" in text
    assert "七一专题党课" in text and "三楼会议室" in text
    # Attendees and absentees by name, with reasons and the make-up.
    for name in ("张一", "王二", "钱五"):
        assert name in text
    assert "李三（病假）" in text and f"已于{YEAR}年7月5日补学" in text and "观看录像" in text
    assert "赵四（公差：外出调研）" in text
    assert "应到4人" in text and "实到2人" in text
    assert "讲授党的光辉历程" in text
    # The branch's party cell's meeting, under the cell's name.
    assert f"{YEAR}年9月9日" in text and "第一党小组" in text and "党小组会" in text
    # Nothing from the other branch, the committee above or the year before.
    assert "孙六" not in text
    assert "机关党委会议" not in text
    assert f"{YEAR - 1}年5月5日" not in text


def test_record_book_docx_reads_back(login, tree):
    response = get_book(login, tree, "record_book_docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    text = docx_text(response.content)
    check_record_book(text)
    # The attendance of the branch assembly (all five), by name in one cell.
    assert "张一、李三、王二、赵四、钱五" in text or all(
        n in text for n in ("张一", "李三", "王二", "赵四", "钱五")
    )


@pytest.mark.skipif(not pdf_available(), reason="no CJK font: run `make system`")
def test_record_book_pdf_reads_back(login, tree):
    response = get_book(login, tree, "record_book_pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "办公室党支部",
        f"{YEAR}年1月15日",
        f"{YEAR}年6月28日",
        "张一",
        "钱五",
        "李三",
        "病假",
        "赵四",
    ):
        assert expected in text.replace("\n", ""), expected
    assert "孙六" not in text


def test_committee_book_holds_its_own_meetings_only(login, tree):
    client = login("wc")
    url = reverse("web:record_book_docx", args=[tree.committee.pk])
    text = docx_text(client.get(url, {"year": YEAR}).content)
    assert "机关党委会议" in text and f"{YEAR}年10月10日" in text
    assert f"{YEAR}年6月28日" not in text  # branch1 keeps its own book


def test_ledger_docx_has_hours_filings_and_dues(login, tree):
    response = get_book(login, tree, "ledger_book_docx")
    assert response.status_code == 200
    text = docx_text(response.content)
    assert "学习培训学时" in text and "张一" in text
    assert "8" in text  # 张一's training hours
    assert "向上级党组织报告工作" in text and f"{YEAR}年1月20日" in text
    assert "党费收缴" in text and "12.50" in text
    assert "孙六" not in text


@pytest.mark.skipif(not pdf_available(), reason="no CJK font: run `make system`")
def test_ledger_pdf_opens(login, tree):
    response = get_book(login, tree, "ledger_book_pdf")
    assert response.status_code == 200
    text = pdf_text(response.content).replace("\n", "")
    assert "党费收缴" in text and "张一" in text


def test_other_branch_admin_gets_404_and_member_403(login, tree):
    for name in ("org_books", "record_book_docx", "record_book_pdf", "ledger_book_docx"):
        assert get_book(login, tree, name, "b2").status_code == 404, name
        assert get_book(login, tree, name, "member").status_code == 403, name


def test_books_page_links_downloads_for_the_year(login, tree):
    response = get_book(login, tree, "org_books")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{reverse('web:record_book_docx', args=[tree.branch1.pk])}?year={YEAR}" in html
    assert "打印记录簿（Word）" in html


def test_bad_year_is_a_chinese_400(login, tree):
    client = login("b1")
    response = client.get(reverse("web:record_book_docx", args=[tree.branch1.pk]), {"year": "x"})
    assert response.status_code == 400
