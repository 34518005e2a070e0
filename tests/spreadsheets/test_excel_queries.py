"""Analysing a workbook takes a fixed number of queries, however many rows it has."""

import io

import pytest
from openpyxl import Workbook

from dangjian.spreadsheets.analysis import workbook_analyse
from dangjian.spreadsheets.columns import LEDGER, ROSTER, TRAININGS

pytestmark = pytest.mark.django_db


def big_workbook(n):
    wb = Workbook()
    wb.remove(wb.active)
    roster = wb.create_sheet(ROSTER.title)
    roster.append([c.header for c in ROSTER.columns])
    ledger = wb.create_sheet(LEDGER.title)
    ledger.append([c.header for c in LEDGER.columns])
    trainings = wb.create_sheet(TRAININGS.title)
    trainings.append([c.header for c in TRAININGS.columns])
    for i in range(n):
        roster.append([f"Q{n}P{i}", f"人{i}", "TB1", "正式党员"])
        names = "、".join(["张一", "王二", f"人{i}"])
        ledger.append(
            [
                None,
                "办公室党支部",
                "主题党日",
                f"2024-{1 + i % 12:02d}-05",
                f"第{i}次",
                1,
                None,
                names,
            ]
        )
        trainings.append([None, f"人{i}", "2024-03-01", 2, "集中学习培训"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_analysis_queries_do_not_grow_with_rows(tree, django_assert_max_num_queries):
    counts = []
    for n in (5, 300):
        data = big_workbook(n)
        user = type(tree.users["b1"]).objects.get(pk=tree.users["b1"].pk)  # no cached grants
        with django_assert_max_num_queries(30) as ctx:
            analysis = workbook_analyse(data, user=user)
        assert (analysis.valid_count, analysis.failed_count) == (3 * n, 0)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
