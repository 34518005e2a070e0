"""The engine's number of queries does not grow with organisations or people."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.policy.engine import evaluate
from policy.builders import activity, due, members, org, position, term, training

pytestmark = pytest.mark.django_db


def build(n_depts: int, n_members: int) -> None:
    root = org(None, "work_committee")
    for _ in range(n_depts):
        dept = org(None, "party_group", parent=root, staff_count=100)
        oc = org(None, "organ_committee", parent=dept)
        org(None, "discipline_committee", parent=dept)
        br = org(None, "branch", parent=oc)
        cell = org(None, "party_cell", parent=br)
        ppl = members(br, n_members, party_worker="part_time")
        position(ppl[0], br, "secretary", start="2022-02-01")
        position(ppl[1], oc, "secretary", start="2019-01-01", end="2022-03-31")
        term(br, "2020-01-01", 3)
        term(oc, "2018-01-01", 5)
        activity(br, "theme_day", "2022-05-05", attendees=ppl)
        activity(cell, "cell_meeting", "2022-05-06")
        activity(dept, "central_group_study", "2022-05-07", attendees=ppl[:1])
        activity(br, "talk", "2022-05-08", subject=ppl[2])
        for p in ppl:
            training(p, "2022-03-01", 10)
            due(p, "2022-01", 5)


def count_queries(pack: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        evaluate(pack=pack, year=2022)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("pack", ["national", "yunnan-2019"])
def test_queries_do_not_grow_with_data(pack):
    build(1, 3)
    small = count_queries(pack)
    build(6, 12)
    large = count_queries(pack)
    assert small == large
    # and a handful per rule at most
    from dangjian.policy.packs import load_pack

    assert large <= 4 * len(load_pack(pack).rules)


def test_query_count_is_exact(django_assert_num_queries):
    build(2, 4)
    n = count_queries("yunnan-2019")
    build(3, 9)
    with django_assert_num_queries(n):
        evaluate(pack="yunnan-2019", year=2022)
