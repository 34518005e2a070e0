"""The monthly dues ledger as an Excel workbook. Text that a spreadsheet would take for
a formula (starting with = + - @) is written as inert text."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from dangjian.people.dues_selectors import Ledger

FORMULA_STARTS = ("=", "+", "-", "@")
HEADERS = ["姓名", "身份", "应交（元）", "实交（元）", "交纳日期", "连续未交月数", "提示"]


def _append(ws: Any, values: Sequence[Any]) -> None:
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type = "s"  # never a formula
            cell.quotePrefix = True


def ledger_workbook(ledger: Ledger) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"党费{ledger.month:%Y-%m}"
    _append(ws, [f"{ledger.org.name} {ledger.month:%Y年%m月}党费收缴台账"])
    ws.append(HEADERS)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in ledger.rows:
        _append(
            ws,
            [
                r.person.name,
                r.person.get_status_display(),
                r.expected,
                r.paid,
                r.paid_on,
                r.run,
                r.severity_label or ("未交" if r.paid is None else ""),
            ],
        )
    ws.append(
        [
            "合计",
            f"{ledger.paid_count}/{len(ledger.rows)} 人已交",
            ledger.expected_total,
            ledger.paid_total,
        ]
    )
    for cell in ws["C"] + ws["D"]:
        cell.number_format = "0.00"
    for cell in ws["E"]:
        cell.number_format = "yyyy-mm-dd"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["G"].width = 12
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
