import datetime
from decimal import Decimal

import pytest
from django.test import Client

from dangjian.orgs.models import OrgType
from dangjian.people.models import Due
from dangjian.records.models import Absence, Activity, ActivityMinutes, Attendance
from dangjian.web.testing import PASSWORD, _org, build_tree

# A finished year: its check day is 31 December, so every record of it is in the books.
YEAR = datetime.date.today().year - 1


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db):
    """The test tree with a year of records in branch1 (and some that must stay out)."""
    tree = build_tree(year=YEAR)
    zhang, wang, li, zhao, qian = tree.members1
    lesson = Activity.objects.create(
        ext_id="BK-A2",
        org=tree.branch1,
        kind="party_lesson",
        date=datetime.date(YEAR, 6, 28),
        title="七一专题党课",
        speaker=wang,
        hours=Decimal("1.5"),
        extra={"place": "三楼会议室"},
    )
    Attendance.objects.bulk_create(Attendance(activity=lesson, person=p) for p in (zhang, wang))
    Absence.objects.create(
        activity=lesson,
        person=li,
        reason="sick",
        made_up_on=datetime.date(YEAR, 7, 5),
        made_up_how="观看录像",
    )
    Absence.objects.create(activity=lesson, person=zhao, reason="official", note="外出调研")
    ActivityMinutes.objects.create(
        activity=lesson, text="讲授党的光辉历程，会议决定下月开展主题党日。"
    )
    # Another branch's meeting and a meeting of the year before: not in branch1's book.
    other = Activity.objects.create(
        ext_id="BK-A3", org=tree.branch2, kind="branch_assembly", date=datetime.date(YEAR, 3, 3)
    )
    Attendance.objects.create(activity=other, person=tree.members2[0])
    Activity.objects.create(
        ext_id="BK-A4", org=tree.branch1, kind="cell_meeting", date=datetime.date(YEAR - 1, 5, 5)
    )
    cell = _org("BK-cell", "第一党小组", OrgType.PARTY_CELL, tree.branch1)
    cell_meeting = Activity.objects.create(
        ext_id="BK-A5", org=cell, kind="cell_meeting", date=datetime.date(YEAR, 9, 9)
    )
    Attendance.objects.create(activity=cell_meeting, person=qian)
    # The committee's own meeting: in the committee's book, not in branch1's.
    Activity.objects.create(
        ext_id="BK-A6",
        org=tree.committee,
        kind="committee_meeting",
        date=datetime.date(YEAR, 10, 10),
        title="机关党委会议",
    )
    Due.objects.create(
        person=zhang,
        month=datetime.date(YEAR, 1, 1),
        amount=Decimal("12.50"),
        paid_on=datetime.date(YEAR, 1, 20),
    )
    return tree


@pytest.fixture
def login(client: Client, tree):
    def _login(role: str) -> Client:
        client.logout()
        assert client.login(username=tree.users[role].get_username(), password=PASSWORD)
        return client

    return _login
