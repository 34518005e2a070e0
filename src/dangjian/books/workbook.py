"""The annual statistics as an Excel workbook, written with the shared writer helpers
(every formula-leading text stays inert text)."""

from __future__ import annotations

import datetime

from openpyxl import Workbook
from openpyxl.styles import Font

from dangjian.books.documents import cn_date
from dangjian.books.selectors import AnnualStatistics
from dangjian.policy import days
from dangjian.spreadsheets.workbooks import append_row, workbook_bytes


def statistics_workbook(stats: AnnualStatistics) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{stats.year}年统计年报"
    append_row(ws, [f"{stats.org.name} {stats.year}年度党内统计"])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=14)
    append_row(ws, [days.as_of_label(stats.check_day), f"生成日期：{cn_date(stats.generated_on)}"])
    for table in stats.tables:
        append_row(ws, [])
        append_row(ws, [table.title])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        append_row(ws, table.headers)
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        if not table.rows:
            append_row(ws, ["无"])
        for row in table.rows:
            append_row(ws, row)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, datetime.date):
                    cell.number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCD", (34, 18, 14, 12), strict=True):
        ws.column_dimensions[letter].width = width
    return workbook_bytes(wb)
