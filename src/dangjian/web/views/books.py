"""Printable books a branch hands to an inspection (记录簿, 台账) and the annual
statistics a committee reports upward; all read-only, for the organisation's admins."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangjian.books.documents import ledger_book_document, record_book_document
from dangjian.books.render import (
    DOCX_CONTENT_TYPE,
    PDF_CONTENT_TYPE,
    PdfUnavailable,
    pdf_available,
    to_docx,
    to_pdf,
)
from dangjian.books.selectors import annual_statistics, ledger_book, record_book
from dangjian.books.workbook import statistics_workbook
from dangjian.spreadsheets.workbooks import XLSX_CONTENT_TYPE
from dangjian.web import selectors as sel
from dangjian.web.views.common import administered_org, year_param


def _years() -> range:
    this = datetime.date.today().year
    return range(this, this - 6, -1)


def _download(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _no_pdf(message: str) -> HttpResponse:
    return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")


@login_required
def org_books(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    context = {
        "org": org,
        "tab": "books",
        "ancestors": sel.ancestors(org),
        "year": year_param(request),
        "years": _years(),
        "pdf": pdf_available(),
    }
    return render(request, "web/org_books.html", context)


@login_required
def record_book_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    org = administered_org(request, pk)
    year = year_param(request)
    doc = record_book_document(record_book(org, year))
    name = f"record-book-{org.pk}-{year}"
    if fmt == "pdf":
        try:
            return _download(to_pdf(doc), PDF_CONTENT_TYPE, f"{name}.pdf")
        except PdfUnavailable as exc:
            return _no_pdf(str(exc))
    return _download(to_docx(doc), DOCX_CONTENT_TYPE, f"{name}.docx")


@login_required
def ledger_book_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    org = administered_org(request, pk)
    year = year_param(request)
    doc = ledger_book_document(ledger_book(org, year))
    name = f"ledger-{org.pk}-{year}"
    if fmt == "pdf":
        try:
            return _download(to_pdf(doc), PDF_CONTENT_TYPE, f"{name}.pdf")
        except PdfUnavailable as exc:
            return _no_pdf(str(exc))
    return _download(to_docx(doc), DOCX_CONTENT_TYPE, f"{name}.docx")


@login_required
def org_statistics(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    year = year_param(request)
    context = {
        "org": org,
        "tab": "statistics",
        "ancestors": sel.ancestors(org),
        "year": year,
        "years": _years(),
        "stats": annual_statistics(org, year),
    }
    return render(request, "web/org_statistics.html", context)


@login_required
def statistics_export(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    year = year_param(request)
    body = statistics_workbook(annual_statistics(org, year))
    return _download(body, XLSX_CONTENT_TYPE, f"statistics-{org.pk}-{year}.xlsx")
