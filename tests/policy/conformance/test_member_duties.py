"""Member review handling (yunnan-2019 10, henan-2015 (十六)) and community registration
(yunnan-2019 12, henan-2015 (二十一), hubei-2022 16): each rule at its boundaries."""

from datetime import date

import pytest

from dangjian.people.models import CommunityRegistration, MemberReview
from dangjian.policy.packs import load_pack
from dangjian.policy.schedule import build_schedule
from policy.builders import only, org, person, run, severities

pytestmark = pytest.mark.django_db

RULE = "review-unqualified-handled"
COMMUNITY = "community-registered"


def review(p, year, outcome="unqualified", on="2022-01-10", **kw):
    return MemberReview.objects.create(
        person=p, year=year, outcome=outcome, reviewed_on=date.fromisoformat(on), **kw
    )


def register(p, on, ended=None, community="幸福社区"):
    return CommunityRegistration.objects.create(
        person=p,
        community=community,
        registered_on=date.fromisoformat(on),
        ended_on=date.fromisoformat(ended) if ended else None,
    )


@pytest.mark.parametrize(
    ("pack", "clause", "quote"),
    [
        ("yunnan-2019", "10", "稳妥处置不合格党员"),
        ("henan-2015", "(十六)", "稳妥有序地做好处置不合格党员工作"),
    ],
)
def test_review_handling_cites_clause_and_quote(pack, clause, quote):
    rule = next(r for r in load_pack(pack).own_rules if r.id == RULE)
    assert rule.citation["clause"] == clause
    assert quote in rule.citation["quote"]


@pytest.mark.parametrize("pack", ["yunnan-2019", "henan-2015"])
def test_review_handling_at_the_correction_deadline(pack):
    br = org("B1", "branch")
    m = person(br, "M1")
    r = review(m, 2021, on="2022-01-10", correction_due=date(2022, 7, 10))
    # before the reminder window (30 days): nothing; inside it: a warning
    assert severities(run(pack, 2022, "2022-06-09"), RULE, "M1") == []
    assert severities(run(pack, 2022, "2022-06-10"), RULE, "M1") == ["warning"]
    # the deadline day itself is still open; the day after: a violation
    assert severities(run(pack, 2022, "2022-07-10"), RULE, "M1") == ["warning"]
    found = only(run(pack, 2022, "2022-07-11"), RULE, "M1")
    assert [f.severity for f in found] == ["violation"]
    f = found[0]
    assert f.due == "2022-07-10"
    assert f.org == {"id": "B1", "name": "B1党组织"}
    assert f.source["clause"] in ("10", "(十六)")
    assert "不合格" in f.source["quote"]
    assert "2021年度民主评议为不合格" in f.message
    # a decision on the deadline day: met
    r.decision, r.decided_on = "corrected", date(2022, 7, 10)
    r.save()
    assert only(run(pack, 2022, "2022-12-31"), RULE) == []
    # one day late: a violation even though decided
    r.decided_on = date(2022, 7, 11)
    r.save()
    assert severities(run(pack, 2022, "2022-12-31"), RULE, "M1") == ["violation"]


def test_review_handling_without_deadline_uses_twelve_months():
    br = org("B1", "branch")
    m = person(br, "M1")
    review(m, 2021, on="2021-12-20")
    assert severities(run("henan-2015", 2022, "2022-11-19"), RULE) == []
    assert severities(run("henan-2015", 2022, "2022-11-20"), RULE) == ["warning"]
    assert severities(run("henan-2015", 2022, "2022-12-20"), RULE) == ["warning"]
    assert severities(run("henan-2015", 2022, "2022-12-21"), RULE) == ["violation"]


def test_review_handling_ignores_other_outcomes_and_other_packs():
    br = org("B1", "branch")
    for i, outcome in enumerate(["excellent", "qualified", "basically_qualified"]):
        review(person(br, f"M{i}"), 2021, outcome=outcome, on="2021-12-20")
    assert only(run("henan-2015", 2022, "2022-12-31"), RULE) == []
    review(person(br, "U1"), 2021, on="2021-12-20")
    # only the packs whose documents require it
    assert only(run("national", 2022, "2022-12-31"), RULE) == []
    assert only(run("hubei-2022", 2022, "2022-12-31"), RULE) == []


def test_review_handling_deadline_is_in_the_schedule():
    br = org("B1", "branch")
    review(person(br, "M1"), 2021, on="2022-01-10", correction_due=date(2022, 7, 10))
    schedule = build_schedule(pack="yunnan-2019", year=2022, as_of=date(2022, 6, 20))
    items = [i for i in schedule.items if i.rule.id == RULE]
    assert [(i.subject_id, i.due, i.status) for i in items] == [("M1", date(2022, 7, 10), "due")]


@pytest.mark.parametrize(
    ("pack", "clause", "quote"),
    [
        ("yunnan-2019", "12", "在职党员到社区报到志愿为民服务活动"),
        ("henan-2015", "(二十一)", "在职党员到社区报到服务群众"),
        ("hubei-2022", "16", "常态化下沉社区工作"),
    ],
)
def test_community_registration_at_the_check_day(pack, clause, quote):
    rule = next(r for r in load_pack(pack).own_rules if r.id == COMMUNITY)
    assert rule.citation["clause"] == clause
    assert quote in rule.citation["quote"]
    br = org("B1", "branch")
    on_day = person(br, "M1")
    day_after = person(br, "M2")
    ended_on_day = person(br, "M3")
    ended_after = person(br, "M4")
    person(br, "R1", employment="retired")  # not 在职: not asked
    register(on_day, "2022-06-30")
    register(day_after, "2022-07-01")
    register(ended_on_day, "2021-01-01", ended="2022-06-30")
    register(ended_after, "2021-01-01", ended="2022-07-01")
    found = only(run(pack, 2022, "2022-06-30"), COMMUNITY)
    assert sorted(f.subject["id"] for f in found) == ["M2", "M3"]
    # the documents set no deadline: the pack reads it as a warning to check
    assert {f.severity for f in found} == {"warning"}
    assert found[0].source["clause"] == clause
    assert "未登记到社区报到" in found[0].message


def test_community_registration_not_in_national_or_other_packs():
    person(org("B1", "branch"), "M1")
    assert only(run("national", 2022, "2022-06-30"), COMMUNITY) == []
    assert only(run("ningxia-2018", 2022, "2022-06-30"), COMMUNITY) == []
    assert only(run("danyang-2020", 2022, "2022-06-30"), COMMUNITY) == []
    assert len(only(run("yunnan-2019", 2022, "2022-06-30"), COMMUNITY)) == 1
