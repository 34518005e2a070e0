"""党员积分 / 评星定级: off by default, switched on by a work committee, derived only from
records kept (meetings attended, study hours, dues paid on time, the review outcome)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from dangjian.core.actor import Actor
from dangjian.people.models import Due, MemberReview
from dangjian.people.points import member_points, pack_config, points_config
from dangjian.policy.models import PackAssignment
from dangjian.policy.packs import load_pack
from dangjian.policy.services import member_points_switch
from dangjian.records.models import Training
from dangjian.web.testing import PASSWORD

YEAR = datetime.date.today().year


def web(tree, role):
    c = Client()
    assert c.login(username=tree.users[role].get_username(), password=PASSWORD)
    return c


def test_off_by_default_and_only_where_the_pack_defines_it(tree):
    assert points_config(tree.branch1) is None
    page = web(tree, "b1").get(f"/orgs/{tree.branch1.pk}/points/")
    assert "未启用" in page.content.decode()
    assert 'id="my-points"' not in web(tree, "member").get("/me/", follow=True).content.decode()
    # switched on under a pack without weights (national): still nothing
    PackAssignment.objects.create(org=tree.root, pack_id="national", member_points=True)
    assert pack_config(load_pack("national")) is None
    assert points_config(tree.branch1) is None


def test_switch_is_for_the_work_committee(tree):
    with pytest.raises(ValidationError):
        member_points_switch(
            org=tree.branch1, enabled=True, actor=Actor(user=tree.users["b1"], source="test")
        )
    got = web(tree, "wc").post(
        f"/orgs/{tree.root.pk}/pack/", {"pack": "henan-2015", "member_points": "on"}
    )
    assert got.status_code == 302
    assert PackAssignment.objects.get(org=tree.root).member_points is True
    assert points_config(tree.branch1) is not None


def test_points_and_stars_from_kept_records(tree):
    PackAssignment.objects.create(org=tree.root, pack_id="danyang-2020", member_points=True)
    config = points_config(tree.branch1)
    assert config is not None
    me = tree.member
    # the tree has one activity attended by branch1 and one 8-hour training of 张一
    Due.objects.create(
        person=me,
        month=datetime.date(YEAR, 1, 1),
        amount=Decimal("15"),
        paid_on=datetime.date(YEAR, 1, 31),
    )
    Due.objects.create(  # paid late (after its month): not on time
        person=me,
        month=datetime.date(YEAR, 2, 1),
        amount=Decimal("15"),
        paid_on=datetime.date(YEAR, 3, 1),
    )
    MemberReview.objects.create(
        person=me, year=YEAR, outcome="excellent", reviewed_on=datetime.date(YEAR, 1, 10)
    )
    meetings = me.attendance.filter(activity__date__year=YEAR).count()
    hours = sum(t.hours for t in Training.objects.filter(person=me, date__year=YEAR))
    [row] = member_points(config, [me], YEAR)
    assert (row.meetings, row.hours, row.dues_months, row.outcome) == (
        meetings,
        hours,
        1,
        "excellent",
    )
    expected = Decimal(2 * meetings) + hours / 2 + 1 + 20
    assert row.points == expected
    assert row.stars == sum(1 for s in (20, 35, 50, 65, 80) if expected >= s)
    page = web(tree, "member").get(f"/people/{me.pk}/").content.decode()
    assert 'id="my-points"' in page and f"{row.stars} 星" in page
    table = web(tree, "b1").get(f"/orgs/{tree.branch1.pk}/points/").content.decode()
    assert 'id="points-table"' in table and "优秀" in table
