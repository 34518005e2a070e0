"""Writing workbooks: blank templates, exports and the failed-rows file (openpyxl)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from dangjian.spreadsheets.columns import ERROR_HEADER, SheetSpec

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HELP_TITLE = "填写说明"
OPTIONS_TITLE = "选项"
# Rows of a template that carry drop-down lists.
TEMPLATE_ROWS = 2000

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="B22222")
_ERROR_FILL = PatternFill("solid", fgColor="FDE2E1")


# Text starting with one of these is read as a formula (or a DDE call) by Excel,
# LibreOffice or WPS when typed or pasted: an exported name such as
# `=HYPERLINK(...)` must stay text for whoever opens the file.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def append_row(ws: Worksheet, values: Iterable[Any]) -> None:
    """Append a row, every formula-leading text written as inert text.

    The one way every writer in this module adds a row. Such a cell keeps its
    text exactly (so an export uploaded again changes nothing), is stored as a
    string cell (never `<f>`), and carries Excel's quote-prefix flag, so the
    program shows it as text even when the cell is edited.
    """
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        inert(cell)


def inert(cell: Any) -> Any:
    """Make a cell holding formula-leading text plain text; other cells are left alone."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_LEADS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def header_text(column: Any) -> str:
    return f"{column.header}*" if column.required else column.header


def add_data_sheet(
    wb: Workbook, spec: SheetSpec, *, extra_headers: Sequence[str] = ()
) -> Worksheet:
    ws = wb.create_sheet(spec.title)
    headers = [header_text(c) for c in spec.columns] + list(extra_headers)
    append_row(ws, headers)
    for index, column in enumerate(spec.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    for index in range(len(spec.columns) + 1, len(headers) + 1):
        ws.column_dimensions[get_column_letter(index)].width = 50
    for cell in ws[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.freeze_panes = "A2"
    return ws


def _add_help(wb: Workbook, specs: Sequence[SheetSpec]) -> None:
    help_ws = wb.create_sheet(HELP_TITLE)
    append_row(help_ws, ["工作表", "列", "必填", "填写说明", "可选值"])
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    for spec in specs:
        for column in spec.columns:
            options = "、".join(column.choices.labels) if column.choices else ""
            if column.kind == "bool":
                options = "是、否"
            append_row(
                help_ws,
                [spec.title, column.header, "是" if column.required else "", column.hint, options],
            )
    append_row(help_ws, [])
    append_row(
        help_ws, ["", "带 * 的列必须填写；第一行是列名，请勿修改。日期请用 2024-05-20 的格式。"]
    )
    for letter, width in zip("ABCDE", (14, 20, 6, 50, 60), strict=True):
        help_ws.column_dimensions[letter].width = width


def _add_dropdowns(wb: Workbook, spec: SheetSpec, ws: Worksheet) -> None:
    """Drop-down lists of Chinese labels for enum and yes/no columns."""
    options = (
        wb[OPTIONS_TITLE] if OPTIONS_TITLE in wb.sheetnames else wb.create_sheet(OPTIONS_TITLE)
    )
    options.sheet_state = "hidden"
    for index, column in enumerate(spec.columns, start=1):
        if column.choices is not None:
            values = list(column.choices.labels)
        elif column.kind == "bool":
            values = ["是", "否"]
        else:
            continue
        col = options.max_column + 1 if options.max_row > 1 or options["A1"].value else 1
        letter = get_column_letter(col)
        inert(options.cell(row=1, column=col, value=f"{spec.title}/{column.header}"))
        for row, value in enumerate(values, start=2):
            inert(options.cell(row=row, column=col, value=value))
        ref = f"'{OPTIONS_TITLE}'!${letter}$2:${letter}${len(values) + 1}"
        validation = DataValidation(type="list", formula1=ref, allow_blank=True)
        validation.error = "请从下拉列表中选择"
        validation.errorTitle = column.header
        validation.showErrorMessage = False  # typing a code is allowed too
        target = get_column_letter(index)
        validation.add(f"{target}2:{target}{TEMPLATE_ROWS}")
        ws.add_data_validation(validation)


def template_workbook(spec: SheetSpec) -> bytes:
    """A blank sheet with Chinese headers, drop-downs and a help sheet."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    ws = add_data_sheet(wb, spec)
    _add_help(wb, [spec])
    _add_dropdowns(wb, spec, ws)
    wb.active = 0
    return workbook_bytes(wb)


def data_workbook(sheets: Iterable[tuple[SheetSpec, Iterable[Sequence[Any]]]]) -> bytes:
    """Sheets filled with rows in column order (exports): they can be uploaded again."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    specs = []
    for spec, rows in sheets:
        ws = add_data_sheet(wb, spec)
        for row in rows:
            append_row(ws, list(row))
        specs.append(spec)
    _add_help(wb, specs)
    wb.active = 0
    return workbook_bytes(wb)


def failed_rows_workbook(
    sheets: Iterable[tuple[SheetSpec, Sequence[str], Iterable[tuple[Sequence[Any], str]]]],
) -> bytes:
    """The rows that failed, as typed, with the reasons in a last column.

    Each sheet keeps the uploaded headers, so after fixing it can be uploaded again.
    """
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for spec, headers, rows in sheets:
        ws = wb.create_sheet(spec.title)
        append_row(ws, [*headers, ERROR_HEADER])
        for cell in ws[1]:
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
        error_col = len(headers) + 1
        for values, reason in rows:
            padded = list(values) + [None] * (len(headers) - len(values))
            append_row(ws, [*padded[: len(headers)], reason])
            ws.cell(row=ws.max_row, column=error_col).fill = _ERROR_FILL
        for index, header in enumerate(headers, start=1):
            column = next((c for c in spec.columns if header.rstrip("*") == c.header), None)
            ws.column_dimensions[get_column_letter(index)].width = column.width if column else 14
        ws.column_dimensions[get_column_letter(error_col)].width = 60
        ws.freeze_panes = "A2"
    if not wb.sheetnames:
        wb.create_sheet("无出错行")
    return workbook_bytes(wb)


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def table_workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A plain table (reports such as findings, not meant to be uploaded again)."""
    return tables_workbook([(title, headers, rows)])


def tables_workbook(tables: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """Plain tables, one sheet each, in order (the first is the one that opens)."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for title, headers, rows in tables:
        ws = wb.create_sheet(title[:31])
        append_row(ws, list(headers))
        for cell in ws[1]:
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
        for row in rows:
            append_row(ws, list(row))
        for index in range(1, len(headers) + 1):
            ws.column_dimensions[get_column_letter(index)].width = 18
        ws.freeze_panes = "A2"
    return workbook_bytes(wb)
