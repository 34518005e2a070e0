"""The assessment ranking as an Excel workbook. Text a spreadsheet would take for a
formula (starting with = + - @) is written as inert text."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from dangjian.oversight.assessment import Ranking
from dangjian.web.dues_export import _append

HEADERS = [
    "名次",
    "组织",
    "党员数",
    "问题数",
    "扣分",
    "加减分",
    "得分",
    "折算系数",
    "折算得分",
    "等次",
    "可评先评优",
]


def ranking_workbook(result: Ranking) -> bytes:
    scheme = result.scheme
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"考核{result.year}"
    _append(ws, [f"{result.org.name} {result.year}年党建工作考核排名"])
    _append(
        ws,
        [
            f"依据：《{scheme.document}》{scheme.clause}；基础分 {scheme.base}；"
            f"按人数折算：折算扣分 = 扣分 × 参评组织平均党员数（{result.mean_members:.2f}）"
            "÷ 本组织党员数"
            if scheme.normalise == "per_member"
            else f"依据：《{scheme.document}》{scheme.clause}；基础分 {scheme.base}"
        ],
    )
    ws.append(HEADERS)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for r in result.rows:
        _append(
            ws,
            [
                r.rank,
                r.org.name,
                r.members,
                r.findings,
                r.deduction,
                r.adjustment,
                r.score,
                r.factor,
                r.normalised,
                r.grade_label,
                "是" if r.award_eligible else "否：" + "、".join(r.award_blocked),
            ],
        )
    for col in "EFGI":
        for cell in ws[col][3:]:
            cell.number_format = "0.00"
    ws.column_dimensions["B"].width = 28
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
