"""The printable books (会议记录簿, 台账) and the annual statistics over the API: the same
selectors and renderings as the pages; administrators of the organisation only."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dangjian.access.selectors import can_administer
from dangjian.api.views import _visible_org, _year
from dangjian.books.documents import ledger_book_document, record_book_document
from dangjian.books.render import (
    DOCX_CONTENT_TYPE,
    PDF_CONTENT_TYPE,
    PdfUnavailable,
    to_docx,
    to_pdf,
)
from dangjian.books.selectors import annual_statistics, ledger_book, record_book
from dangjian.books.workbook import statistics_workbook
from dangjian.orgs.models import Organization
from dangjian.spreadsheets.workbooks import XLSX_CONTENT_TYPE


class _FileRenderer(BaseRenderer):
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        return data


class DocxRenderer(_FileRenderer):
    media_type = DOCX_CONTENT_TYPE
    format = "docx"


class PdfRenderer(_FileRenderer):
    media_type = PDF_CONTENT_TYPE
    format = "pdf"


class XlsxRenderer(_FileRenderer):
    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"


class PdfNotAvailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "服务器未安装中文字体，无法生成 PDF，请改用 format=docx"
    default_code = "pdf_unavailable"


class _FileView(APIView):
    """Errors are JSON whatever file format was asked for."""

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def _org(self, request: Request) -> Organization:
        ext_id = (request.query_params.get("org") or "").strip()
        if not ext_id:
            raise exceptions.ValidationError({"org": ["请提供党组织编号"]})
        org = _visible_org(request, ext_id, "org")
        if not can_administer(request.user, org):
            raise exceptions.PermissionDenied("只有该党组织的管理员可以下载")
        return org

    def _year(self, request: Request) -> int:
        year = _year(request)
        if year is None:
            raise exceptions.ValidationError({"year": ["请提供年度"]})
        return year


def _file(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


ORG_PARAM = OpenApiParameter("org", OpenApiTypes.STR, required=True, description="党组织编号")
YEAR_PARAM = OpenApiParameter("year", OpenApiTypes.INT, required=True, description="年度")
BOOK_FORMAT = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["docx", "pdf"],
    description="文件格式：docx（Word，默认）或 pdf；也可用 Accept 头选择",
)
BOOK_RESPONSES = {
    (200, DOCX_CONTENT_TYPE): OpenApiTypes.BINARY,
    (200, PDF_CONTENT_TYPE): OpenApiTypes.BINARY,
}


class _BookView(_FileView):
    renderer_classes = [DocxRenderer, PdfRenderer]
    stem = ""

    def build(self, org: Organization, year: int) -> Any:
        raise NotImplementedError

    def get(self, request: Request) -> HttpResponse:
        org = self._org(request)
        year = self._year(request)
        doc = self.build(org, year)
        name = f"{self.stem}-{org.ext_id}-{year}"
        if request.accepted_renderer.format == "pdf":
            try:
                return _file(to_pdf(doc), PDF_CONTENT_TYPE, f"{name}.pdf")
            except PdfUnavailable as exc:
                raise PdfNotAvailable() from exc
        return _file(to_docx(doc), DOCX_CONTENT_TYPE, f"{name}.docx")


class RecordBookView(_BookView):
    """“三会一课”会议记录簿：某党组织（含下属党小组）某年度截至检查日的每次会议，
    Word（.docx）或 PDF 文件。仅限该组织的管理员。"""

    stem = "record-book"

    def build(self, org: Organization, year: int) -> Any:
        return record_book_document(record_book(org, year))

    @extend_schema(
        parameters=[ORG_PARAM, YEAR_PARAM, BOOK_FORMAT],
        responses=BOOK_RESPONSES,
        summary="会议记录簿（Word/PDF）",
        tags=["books"],
    )
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)


class LedgerBookView(_BookView):
    """台账：某党组织某年度的学习培训学时、报送记录和逐月党费，Word 或 PDF 文件。"""

    stem = "ledger"

    def build(self, org: Organization, year: int) -> Any:
        return ledger_book_document(ledger_book(org, year))

    @extend_schema(
        parameters=[ORG_PARAM, YEAR_PARAM, BOOK_FORMAT],
        responses=BOOK_RESPONSES,
        summary="台账（Word/PDF）",
        tags=["books"],
    )
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)


class StatTableSerializer(serializers.Serializer):
    title = serializers.CharField()
    headers = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))


class StatisticsSerializer(serializers.Serializer):
    org = serializers.CharField(help_text="党组织编号")
    year = serializers.IntegerField()
    as_of = serializers.DateField(help_text="统计日（policy.days.check_day）")
    figures = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="各项数字，如 members、members_full、members_probationary、orgs_branch、"
        "elections、secretary_vacant、admitted、left_deceased",
    )
    tables = StatTableSerializer(many=True)


class StatisticsView(_FileView):
    """党内统计年报：某党组织及下级组织某年度的党员、党组织、换届、书记空缺和党员增减，
    JSON 或 Excel（format=xlsx）。仅限该组织的管理员。"""

    renderer_classes = [JSONRenderer, XlsxRenderer]

    @extend_schema(
        parameters=[
            ORG_PARAM,
            YEAR_PARAM,
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["json", "xlsx"],
                description="json（默认）或 xlsx（Excel 文件）",
            ),
        ],
        responses={
            (200, "application/json"): StatisticsSerializer,
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
        },
        summary="统计年报",
        tags=["books"],
    )
    def get(self, request: Request) -> Any:
        org = self._org(request)
        year = self._year(request)
        stats = annual_statistics(org, year)
        if request.accepted_renderer.format == "xlsx":
            return _file(
                statistics_workbook(stats),
                XLSX_CONTENT_TYPE,
                f"statistics-{org.ext_id}-{year}.xlsx",
            )
        data = {
            "org": org.ext_id,
            "year": year,
            "as_of": stats.check_day,
            "figures": stats.figures,
            "tables": [
                {"title": t.title, "headers": t.headers, "rows": t.rows} for t in stats.tables
            ],
        }
        return Response(StatisticsSerializer(data).data)
