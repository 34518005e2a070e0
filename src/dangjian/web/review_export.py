"""民主评议党员 outcomes and 到社区报到 / service hours as Excel workbooks (formula-leading
text written inert, as in the dues ledger)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from dangjian.orgs.models import Organization
from dangjian.people.review_selectors import CommunityRow, OrgSummary, ReviewRow
from dangjian.web.dues_export import _append


def _bold(ws: object, row: int) -> None:
    for cell in ws[row]:  # type: ignore[index]
        cell.font = Font(bold=True)


def reviews_workbook(org: Organization, year: int, rows: list[ReviewRow]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"民主评议{year}"
    _append(ws, [f"{org.name} {year}年度民主评议党员结果"])
    ws.append(["姓名", "身份", "评议结果", "评议日期", "限期改正期限", "处置结果", "处置日期"])
    _bold(ws, 2)
    for r in rows:
        v = r.review
        _append(
            ws,
            [
                r.person.name,
                r.person.get_status_display(),
                v.get_outcome_display() if v else "未评议",
                v.reviewed_on if v else None,
                v.correction_due if v else None,
                v.get_decision_display() if v and v.decision else "",
                v.decided_on if v else None,
            ],
        )
    for col in "DEG":
        for cell in ws[col]:
            cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def community_workbook(
    org: Organization, year: int, rows: list[CommunityRow], summaries: list[OrgSummary]
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "到社区报到"
    _append(ws, [f"{org.name} 在职党员到社区报到情况（{year}年服务时长）"])
    ws.append(["姓名", "报到社区", "报到日期", "服务次数", "服务时长（小时）"])
    _bold(ws, 2)
    for r in rows:
        reg = r.registration
        _append(
            ws,
            [
                r.person.name,
                reg.community if reg else "未报到",
                reg.registered_on if reg else None,
                r.services,
                r.hours,
            ],
        )
    for cell in ws["C"]:
        cell.number_format = "yyyy-mm-dd"
    ws2 = wb.create_sheet("按部门汇总")
    ws2.append(["组织", "在职党员", "已报到", "未报到", "服务时长（小时）"])
    _bold(ws2, 1)
    for s in summaries:
        _append(ws2, [s.org.name, s.members, s.registered, s.unregistered, s.hours])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
