"""henan-2015 (中共河南省委关于推进全面从严治党的若干意见): every rule at its boundaries."""

import pytest

from dangjian.policy.packs import load_pack
from policy.builders import (
    activity,
    assessment,
    filing,
    only,
    org,
    person,
    run,
    severities,
    transfer,
)

pytestmark = pytest.mark.django_db

PACK = "henan-2015"


def test_pack_shape():
    pack = load_pack(PACK)
    own = {r.id for r in pack.own_rules}
    assert own == {
        "leading-cadre-dual-org-life",
        "mobile-member-hosted",
        "member-star-rating",
        "leading-cadre-field-research",
        "party-group-duty-report",
        "review-unqualified-handled",
        "community-registered",
    }
    not_encoded = {c["clause"] for c in pack.coverage if "not_encoded" in c}
    assert {"(十三)", "(十七)", "(二十三)", "(三十二)"} <= not_encoded
    # nothing local replaces a national rule: all national rules apply
    assert {r.qualified_id for r in load_pack("national").rules} <= {
        r.qualified_id for r in pack.rules
    }


def test_leading_cadre_attends_own_branch_org_life_meeting():
    br = org("B1", "branch")
    other = org("B2", "branch")
    cadre = person(br, "L1", leading_cadre=True)
    plain = person(br, "M1")  # not a leading cadre: not checked by this rule
    activity(other, "org_life_meeting", "2022-11-01", attendees=[cadre])  # not their own branch
    activity(br, "org_life_meeting", "2022-11-02", attendees=[plain])
    found = only(run(PACK, 2022), "leading-cadre-dual-org-life")
    assert [(f.subject["id"], f.actual, f.severity) for f in found] == [("L1", 0, "violation")]
    # the rule reminds a quarter ahead, as org-life meetings fall in Q4
    assert severities(run(PACK, 2022, "2022-10-01"), "leading-cadre-dual-org-life", "L1") == [
        "warning"
    ]
    assert severities(run(PACK, 2022, "2022-09-29"), "leading-cadre-dual-org-life", "L1") == []
    activity(br, "org_life_meeting", "2022-12-31", attendees=[cadre])
    assert only(run(PACK, 2022), "leading-cadre-dual-org-life") == []


def test_dual_org_life_counts_the_branch_at_the_time():
    old = org("B1", "branch")
    new = org("B2", "branch")
    cadre = person(old, "L1", leading_cadre=True)
    activity(old, "org_life_meeting", "2022-03-01", attendees=[cadre])
    transfer(cadre, old, new, "2022-06-01")
    # attended in the branch they belonged to then: counts
    assert only(run(PACK, 2022), "leading-cadre-dual-org-life") == []


def test_mobile_member_names_receiving_organisation():
    home = org("B1", "branch")
    host = org("B2", "branch")
    person(home, "M1", mobile=True)  # no receiving organisation recorded
    person(home, "M2", mobile=True, hosted_by=host)
    person(home, "M3", mobile=True, hosted_by=home)  # "hosted" by its own organisation
    person(home, "M4")  # not mobile
    person(home, "M5", mobile=True, left_on="2021-05-01")  # no longer a member
    found = only(run(PACK, 2022), "mobile-member-hosted")
    assert [(f.subject["id"], f.actual, f.severity) for f in found] == [
        ("M1", "未注明", "violation"),
        ("M3", "与组织关系所在党组织相同", "violation"),
    ]
    assert found[0].org == {"id": "B1", "name": "B1党组织"}
    assert found[0].evidence == ["M1"]
    assert "流入地党组织" in found[0].message


def test_mobile_member_checked_only_in_subtree():
    d1 = org("D1", "party_group")
    d2 = org("D2", "party_group")
    person(org("B1", "branch", parent=d1), "M1", mobile=True)
    person(org("B2", "branch", parent=d2), "M2", mobile=True)
    found = only(run(PACK, 2022, org_ext_id="D2"), "mobile-member-hosted")
    assert [f.subject["id"] for f in found] == ["M2"]


def test_star_rating_every_member_where_used():
    rated_br = org("B1", "branch")
    unrated_br = org("B2", "branch")
    a = person(rated_br, "M1")
    person(rated_br, "M2")
    person(unrated_br, "M3")  # the branch does not use star ratings: nothing
    assessment(a, 2022, "star_rating", "4")
    found = only(run(PACK, 2022), "member-star-rating")
    assert [(f.subject["id"], f.severity, f.org["id"]) for f in found] == [
        ("M2", "violation", "B1")
    ]
    # within a month of the year's end: a warning; earlier: nothing (ratings come at year end)
    assert severities(run(PACK, 2022, "2022-12-01"), "member-star-rating") == ["warning"]
    assert severities(run(PACK, 2022, "2022-11-30"), "member-star-rating") == []


def test_star_rating_other_year_does_not_count():
    br = org("B1", "branch")
    a, b = person(br, "M1"), person(br, "M2")
    assessment(a, 2022, "star_rating", "5")
    assessment(b, 2021, "star_rating", "5")
    assert [f.subject["id"] for f in only(run(PACK, 2022), "member-star-rating")] == ["M2"]
    assessment(b, 2022, "star_rating", "3")
    assert only(run(PACK, 2022), "member-star-rating") == []


def test_leading_cadre_field_research_twice():
    br = org("B1", "branch")
    cadre = person(br, "L1", leading_cadre=True)
    person(br, "M1")  # not a leading cadre
    activity(br, "field_research", "2022-04-01", attendees=[cadre])
    found = only(run(PACK, 2022), "leading-cadre-field-research")
    assert [(f.subject["id"], f.required, f.actual) for f in found] == [("L1", 2, 1)]
    # a visit led by the cadre (speaker) counts as well
    activity(org("B9", "branch"), "field_research", "2022-12-31", speaker=cadre)
    assert only(run(PACK, 2022), "leading-cadre-field-research") == []


def test_field_research_behind_pace_warning():
    br = org("B1", "branch")
    person(br, "L1", leading_cadre=True)
    # 2022-07-01: floor(2 × 182/365) = 0, not behind; 2022-07-02: floor(2 × 183/365) = 1 > 0
    assert severities(run(PACK, 2022, "2022-07-01"), "leading-cadre-field-research") == []
    assert severities(run(PACK, 2022, "2022-07-02"), "leading-cadre-field-research") == ["warning"]


def test_party_group_duty_report_is_a_reminder():
    """(三十二) "落实下级党委(党组)向上一级党委(党组)报告党建工作制度" sets no frequency:
    "yearly" is the pack's inference, so a missing report is a warning, not a violation."""
    pg = org("D1", "party_group")
    filing(pg, "duty_report", "2023-02-15", "2022")  # after the 30-day window: late
    found = only(run(PACK, 2023), "party-group-duty-report", "D1")
    assert [(f.severity, f.source["clause"], f.period) for f in found] == [
        ("warning", "(三十二)", "2022")
    ]
    assert found[0].source["quote"] == "落实下级党委(党组)向上一级党委(党组)报告党建工作制度"
    assert "2023-02-15" in found[0].message and "逾期报送" in found[0].message
    rule = load_pack(PACK).rule("henan-2015/party-group-duty-report")
    assert rule is not None and rule.severity == "warning" and "推断" in rule.note
    filing(pg, "duty_report", "2023-01-15", "2022")  # within the window: on time
    assert only(run(PACK, 2023), "party-group-duty-report") == []


def test_queries_do_not_grow_with_data():
    from policy.test_query_count import build, count_queries

    def more(n):
        for _ in range(n):
            br = org(None, "branch")
            a = person(br, mobile=True)
            person(br, mobile=True, hosted_by=br)
            assessment(a, 2022, "star_rating", "3")
            person(br, leading_cadre=True)

    build(1, 3)
    more(1)
    small = count_queries(PACK)
    build(5, 10)
    more(6)
    large = count_queries(PACK)
    assert small == large
    assert large <= 4 * len(load_pack(PACK).rules)
