"""The books and statistics over the API: files, JSON, errors as JSON, scoping."""

import datetime
import io

import pytest
from docx import Document
from openpyxl import load_workbook
from rest_framework.test import APIClient

from dangjian.books.render import pdf_available
from dangjian.core.actor import Actor
from dangjian.core.tokens import token_issue
from dangjian.orgs.models import Term

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year - 1  # as in conftest.py: a finished year


@pytest.fixture
def api(tree):
    def _client(role: str) -> APIClient:
        client = APIClient()
        issued = token_issue(user=tree.users[role], actor=Actor.system("test"))
        client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
        return client

    return _client


def test_record_book_docx_and_pdf(api, tree):
    client = api("b1")
    query = {"org": tree.branch1.ext_id, "year": YEAR}
    response = client.get("/api/v1/record-book/", query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument")
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert f"{YEAR}年6月28日" in text and "李三（病假）" in text
    if pdf_available():
        pdf = client.get("/api/v1/record-book/", {**query, "format": "pdf"})
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")


def test_ledger_book(api, tree):
    response = api("wc").get("/api/v1/ledger-book/", {"org": tree.branch1.ext_id, "year": YEAR})
    assert response.status_code == 200
    assert response.content.startswith(b"PK")  # a zip: the .docx


def test_errors_are_json_whatever_format(api, tree):
    query = {"org": tree.branch1.ext_id, "year": YEAR}
    denied = api("member").get("/api/v1/record-book/", query)
    assert denied.status_code == 403
    assert denied["Content-Type"] == "application/json"
    assert "管理员" in denied.json()["detail"]
    hidden = api("b2").get("/api/v1/record-book/", {**query, "format": "pdf"})
    assert hidden.status_code == 400 and "org" in hidden.json()
    bad = api("b1").get("/api/v1/record-book/", {"org": tree.branch1.ext_id, "year": "abc"})
    assert bad.status_code == 400 and "year" in bad.json()
    assert APIClient().get("/api/v1/statistics/", query).status_code == 401


def test_statistics_json_and_xlsx(api, tree):
    Term.objects.create(org=tree.branch2, elected_on=datetime.date(YEAR, 5, 10), years=3)
    client = api("wc")
    query = {"org": tree.committee.ext_id, "year": YEAR}
    data = client.get("/api/v1/statistics/", query).json()
    assert data["as_of"] == f"{YEAR}-12-31"
    assert data["figures"]["members"] == 9  # build_tree's nine full members
    assert data["figures"]["orgs_branch"] == 2
    assert data["figures"]["elections"] == 1
    elections = next(t for t in data["tables"] if t["title"] == "本年换届选举")
    assert elections["rows"] == [["预算处党支部", "机关党支部", f"{YEAR}-05-10", 3]]
    assert any(t["title"] == "党员基本情况" for t in data["tables"])
    xlsx = client.get("/api/v1/statistics/", {**query, "format": "xlsx"})
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert any(row[0] == "党员总数" and row[1] == 9 for row in ws.iter_rows(values_only=True))
