"""Excel workbooks of inspections (with their problems) and of a responsibility list.
Every row goes through `append_row`, so formula-leading text stays inert text."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from dangjian.oversight.models import (
    Inspection,
    Rectification,
    ResponsibilityItem,
    ResponsibilityList,
)
from dangjian.oversight.selectors import ItemStatus, PlanStatus
from dangjian.spreadsheets.workbooks import append_row

INSPECTION_HEADERS = [
    "督查组织",
    "年度",
    "季度",
    "督查事项",
    "被督查组织",
    "督查日期",
    "督查人员",
    "状态",
    "问题数",
    "未销号问题数",
]
PROBLEM_HEADERS = [
    "督查组织",
    "督查事项",
    "督查日期",
    "整改组织",
    "存在的问题",
    "整改期限",
    "整改状态",
    "整改完成日期",
    "销号日期",
]
ITEM_HEADERS = ["序号", "责任事项", "责任人", "完成时限", "对应规则", "落实情况"]


def _bold_header(ws: Any, headers: list[str]) -> None:
    append_row(ws, headers)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def inspections_workbook(
    inspections: list[Inspection],
    statuses: dict[int, PlanStatus],
    problems: list[Rectification],
    holders: dict[int, Inspection],
) -> bytes:
    """Two sheets: the inspections, and every problem found with its rectification status.
    `holders` maps a problem's source activity pk to its inspection."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "督查"
    _bold_header(ws, INSPECTION_HEADERS)
    for i in inspections:
        names = [p.name for p in i.inspectors.all()]
        if i.inspector_names:
            names.append(i.inspector_names)
        append_row(
            ws,
            [
                i.org.name,
                i.year,
                f"第{i.quarter}季度",
                i.title,
                "、".join(t.name for t in i.targets.all()),
                i.activity.date if i.activity else None,
                "、".join(names),
                statuses[i.pk].label,
                getattr(i, "problems", 0),
                getattr(i, "problems_open", 0),
            ],
        )
    for cell in ws["F"]:
        cell.number_format = "yyyy-mm-dd"
    ps = wb.create_sheet("发现的问题")
    _bold_header(ps, PROBLEM_HEADERS)
    for r in problems:
        held = holders.get(r.source_activity_id) if r.source_activity_id else None
        append_row(
            ps,
            [
                held.org.name if held else "",
                held.title if held else "",
                r.found_on,
                r.org.name,
                r.title,
                r.due_on,
                r.status_label,
                r.rectified_on,
                r.closed_on,
            ],
        )
    for col in ("C", "F", "H", "I"):
        for cell in ps[col]:
            cell.number_format = "yyyy-mm-dd"
    return _save(wb)


def responsibility_workbook(
    lst: ResponsibilityList,
    statuses: dict[int, ItemStatus],
    items: list[ResponsibilityItem] | None = None,
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{lst.year}年责任清单"
    filed = f"（{lst.filing.date:%Y-%m-%d}报送）" if lst.filing else "（未报送）"
    append_row(ws, [f"{lst.org.name} {lst.year}年机关党建工作责任清单{filed}"])
    _bold_header(ws, ITEM_HEADERS)
    for n, item in enumerate(lst.items.all() if items is None else items, start=1):
        who = item.responsible.name if item.responsible else ""
        if item.responsible_name:
            who = f"{who} {item.responsible_name}".strip()
        append_row(
            ws,
            [n, item.task, who, item.due_on, "、".join(item.rules), statuses[item.pk].label],
        )
    for cell in ws["D"]:
        cell.number_format = "yyyy-mm-dd"
    return _save(wb)
