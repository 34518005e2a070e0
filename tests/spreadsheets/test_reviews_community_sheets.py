"""Excel sheets for 民主评议党员 outcomes and community service: template, upload → preview
→ import, refusals naming row and column, export → re-import."""

import datetime
from decimal import Decimal

import pytest

from dangjian.people.models import CommunityService, MemberReview
from dangjian.spreadsheets.columns import COMMUNITY, REVIEWS

pytestmark = pytest.mark.django_db

REVIEW_HEADER = ["党员*", "年度*", "评议结果*", "评议日期*", "限期改正期限", "处置结果", "处置日期"]
SERVICE_HEADER = ["党员*", "服务日期*", "服务时长（小时）*", "服务社区"]


def test_review_sheet_imports_valid_rows_and_names_bad_ones(clients, tree, xl):
    file = xl.workbook(
        "民主评议党员",
        REVIEW_HEADER,
        ["张一", 2024, "优秀", datetime.date(2025, 1, 10), None, None, None],
        ["王二", "2024", "不合格", "2025-01-10", "2025-06-30", None, None],
        ["李三", 2024, "合格", "2025-01-10", None, "除名", "2025-02-01"],  # handling on 合格
        ["孙六", 2024, "合格", "2025-01-10", None, None, None],  # another branch's member
    )
    url = xl.upload(clients["b1"], file)
    analysis = clients["b1"].get(url).context["analysis"]
    by_row = {r.number: r for r in analysis.sheets[0].rows}
    assert by_row[2].ok and by_row[3].ok
    assert "评议结果不是不合格" in by_row[4].errors[0].reason
    assert "无权管理" in by_row[5].errors[0].reason
    clients["b1"].post(url + "import/")
    stored = dict(MemberReview.objects.values_list("person__name", "outcome"))
    assert stored == {"张一": "excellent", "王二": "unqualified"}
    assert MemberReview.objects.get(person__name="王二").correction_due == datetime.date(
        2025, 6, 30
    )


def test_service_sheet_and_export_round_trip(clients, tree, xl):
    file = xl.workbook(
        "社区服务",
        SERVICE_HEADER,
        ["张一", "2025-03-01", 2.5, "幸福社区"],
        ["张一", "2025-03-02", 30, None],  # over 24 hours
    )
    url = xl.upload(clients["b1"], file)
    analysis = clients["b1"].get(url).context["analysis"]
    assert (analysis.valid_count, analysis.failed_count) == (1, 1)
    clients["b1"].post(url + "import/")
    assert CommunityService.objects.get().hours == Decimal("2.5")
    for kind, spec in (("community", COMMUNITY), ("reviews", REVIEWS)):
        got = clients["b1"].get(f"/excel/export/{kind}.xlsx", {"org": "TB1", "year": 2025})
        assert got.status_code == 200
        wb = xl.read(got.content)
        assert wb.sheetnames[0] == spec.title
    got = clients["b1"].get("/excel/export/community.xlsx", {"org": "TB1", "year": 2025})
    rows = list(xl.read(got.content)[COMMUNITY.title].values)
    assert rows[1][:3] == (f"张一（{tree.member.ext_id}）", datetime.datetime(2025, 3, 1), 2.5)
    url = xl.upload(clients["b1"], xl.file(xl.read(got.content), "x.xlsx"))
    analysis = clients["b1"].get(url).context["analysis"]
    assert (analysis.valid_count, analysis.failed_count) == (1, 0)
    clients["b1"].post(url + "import/")
    assert CommunityService.objects.count() == 1
    assert clients["b2"].get("/excel/export/reviews.xlsx", {"org": "TB1"}).status_code == 404
