"""The annual statistics agree with counts made here straight from the ORM."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.books.selectors import AGE_BANDS, annual_statistics
from dangjian.orgs.models import Organization, OrgType, Position, PositionRole, Term
from dangjian.people.models import MEMBER_STATUSES, LeftReason, Person
from dangjian.web.testing import _org

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year - 1  # as in conftest.py: a finished year
END = datetime.date(YEAR, 12, 31)


@pytest.fixture
def world(tree):
    b1, b2 = tree.branch1, tree.branch2

    def person(ext: str, org: Organization, status: str = "full", **kw: object) -> Person:
        return Person.objects.create(ext_id=ext, name=ext, org=org, status=status, **kw)

    person(
        "S-prob",
        b1,
        "probationary",
        joined_on=datetime.date(YEAR, 4, 1),
        birth_date=datetime.date(YEAR - 28, 6, 1),
    )
    # 31 on the check day exactly (birthday 31 December): the 31—35 band.
    person(
        "S-31", b2, joined_on=datetime.date(2001, 1, 1), birth_date=datetime.date(YEAR - 31, 12, 31)
    )
    # 30 until 1 January: still in the youngest band on 31 December.
    person(
        "S-30", b2, joined_on=datetime.date(2001, 1, 1), birth_date=datetime.date(YEAR - 30, 1, 1)
    )
    person(
        "S-old",
        b1,
        leading_cadre=True,
        joined_on=datetime.date(1980, 1, 1),
        birth_date=datetime.date(YEAR - 70, 3, 3),
    )
    person(
        "S-dead",
        b2,
        joined_on=datetime.date(1990, 1, 1),
        left_on=datetime.date(YEAR, 9, 9),
        left_reason=LeftReason.DECEASED,
    )
    person(
        "S-out",
        b1,
        joined_on=datetime.date(1990, 1, 1),
        left_on=datetime.date(YEAR, 2, 2),
        left_reason=LeftReason.TRANSFERRED_OUT,
    )
    person(
        "S-gone",
        b1,
        joined_on=datetime.date(1990, 1, 1),
        left_on=datetime.date(YEAR - 1, 2, 2),
        left_reason=LeftReason.QUIT,
    )
    person("S-later", b1, "probationary", joined_on=datetime.date(YEAR + 1, 2, 1))
    person("S-activist", b1, "activist")
    # conftest.py gives branch1 a party cell (第一党小组).
    _org(
        "S-closed",
        "已撤销党支部",
        OrgType.BRANCH,
        tree.committee,
        dissolved=datetime.date(YEAR, 6, 1),
    )
    Term.objects.create(org=b2, elected_on=datetime.date(YEAR, 5, 10), years=3)
    Position.objects.create(
        person=tree.members2[0],
        org=b2,
        role=PositionRole.SECRETARY,
        start=datetime.date(YEAR - 1, 1, 1),
        end=datetime.date(YEAR, 8, 31),
    )
    return tree


def independent(root: Organization) -> dict[str, int]:
    """The same figures counted one record at a time."""
    orgs = [o for o in Organization.objects.all() if o.path.startswith(root.path)]
    pks = {o.pk for o in orgs}
    people = [p for p in Person.objects.all() if p.org_id in pks]
    members = [
        p
        for p in people
        if p.status in MEMBER_STATUSES
        and (p.joined_on is None or p.joined_on <= END)
        and (p.left_on is None or p.left_on > END)
    ]

    def age(p: Person) -> int:
        b = p.birth_date
        return END.year - b.year - ((END.month, END.day) < (b.month, b.day))

    out = {
        "members": len(members),
        "members_full": sum(p.status == "full" for p in members),
        "members_probationary": sum(p.status == "probationary" for p in members),
        "members_leading_cadre": sum(p.leading_cadre for p in members),
        "members_age_unknown": sum(p.birth_date is None for p in members),
        "admitted": sum(p.joined_on is not None and p.joined_on.year == YEAR for p in people),
        "left": sum(p.left_on is not None and p.left_on.year == YEAR for p in people),
    }
    for i, (_, low, high) in enumerate(AGE_BANDS):
        out[f"members_age_{i}"] = sum(
            p.birth_date is not None
            and (low is None or age(p) >= low)
            and (high is None or age(p) <= high)
            for p in members
        )
    for reason in LeftReason:
        out[f"left_{reason.value}"] = sum(
            p.left_on is not None and p.left_on.year == YEAR and p.left_reason == reason
            for p in people
        )
    existing = [o for o in orgs if o.dissolved is None or o.dissolved > END]
    for t in OrgType:
        out[f"orgs_{t.value}"] = sum(o.type == t for o in existing)
    out["orgs"] = len(existing)
    out["elections"] = sum(t.elected_on.year == YEAR for t in Term.objects.all() if t.org_id in pks)
    holders = {
        p.org_id
        for p in Position.objects.filter(role="secretary")
        if p.start <= END and (p.end is None or p.end >= END)
    }
    out["secretary_vacant"] = sum(
        o.type in ("organ_committee", "general_branch", "branch") and o.pk not in holders
        for o in existing
    )
    return out


@pytest.mark.parametrize("where", ["root", "committee", "branch1"])
def test_figures_match_independent_counts(world, where):
    tree = world
    org = getattr(tree, where)
    stats = annual_statistics(org, YEAR)
    want = independent(org)
    got = {k: stats.figures[k] for k in want}
    assert got == want
    assert stats.check_day == END


def test_the_fixture_exercises_every_figure(world):
    tree = world
    f = annual_statistics(tree.root, YEAR).figures
    assert f["members_probationary"] == 1  # S-later joins after the check day
    assert f["members_age_0"] == 2 and f["members_age_1"] == 1  # the 30/31 boundary
    assert f["left_deceased"] == 1 and f["left_transferred_out"] == 1 and f["left_quit"] == 0
    assert f["orgs_branch"] == 2 and f["orgs_party_cell"] == 1  # the dissolved one is gone
    assert f["secretary_vacant"] == 2  # the committee, and branch2 since 1 September
    assert f["elections"] == 1


def test_page_and_excel_export(world, login):
    tree = world
    tree.branch2.name = '=HYPERLINK("http://x","预算处")'
    tree.branch2.save()
    client = login("wc")
    page = client.get(reverse("web:org_statistics", args=[tree.committee.pk]), {"year": YEAR})
    assert page.status_code == 200
    html = page.content.decode()
    assert "党员总数" in html and "书记空缺" in html and "导出 Excel" in html
    text = re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1])
    assert not re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text)  # Chinese labels, never codes
    response = client.get(
        reverse("web:statistics_export", args=[tree.committee.pk]), {"year": YEAR}
    )
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    values = {}
    for row in ws.iter_rows():
        if row[0].value is not None and len(row) > 1:
            values.setdefault(row[0].value, row[1].value)
        for cell in row:
            assert cell.data_type != "f", cell.coordinate  # nothing is a formula
    want = independent(tree.committee)
    assert values["党员总数"] == want["members"]
    assert values["其中：正式党员"] == want["members_full"]
    assert values["机关党支部"] == want["orgs_branch"]
    assert values["本年减少：去世"] == want["left_deceased"]
    assert tree.branch2.name in values  # listed as vacant, as inert text


def test_statistics_query_count_is_constant(world, django_assert_max_num_queries):
    tree = world
    annual_statistics(tree.root, YEAR)  # first call may create the findings scopes
    with django_assert_max_num_queries(20):
        annual_statistics(tree.root, YEAR)
