"""The annual assessment (党建工作考核) from stored findings, its adjustments, publishing it
as the Assessment records the grade rules read, star ratings and 述职评议."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry
from dangjian.orgs.models import Organization, OrgType, Term
from dangjian.oversight import assessment as asel
from dangjian.oversight.assessment_services import (
    assessment_adjust,
    assessment_publish,
    duty_review_record,
    stars_publish,
)
from dangjian.oversight.models import Assessment, DutyReview
from dangjian.people.models import Person
from dangjian.policy.engine import evaluate
from dangjian.policy.models import PackAssignment
from dangjian.policy.store import refresh_all, run_pending

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year
SYSTEM = Actor.system("test")


def ningxia(tree) -> None:
    PackAssignment.objects.create(org=tree.root, pack_id="ningxia-2018")


def second_department(tree) -> Organization:
    """Another department with one branch of three members, beside the tree's."""
    from dangjian.web.testing import _org

    dept = _org("TPG2", "教育厅党组", OrgType.PARTY_GROUP, tree.root)
    oc = _org("TOC2", "教育厅机关党委", OrgType.ORGAN_COMMITTEE, dept)
    branch = _org("TB3", "教育厅第一党支部", OrgType.BRANCH, oc)
    for i in range(3):
        Person.objects.create(
            ext_id=f"TP3{i}",
            name=f"教育{i}",
            org=branch,
            status="full",
            joined_on=datetime.date(2010, 1, 1),
        )
    return dept


def test_ranking_of_branches_adds_up_to_the_breakdown(tree):
    refresh_all(year=YEAR)
    result = asel.ranking(tree.committee, YEAR)
    assert result is not None
    assert {r.org.pk for r in result.rows} == {tree.branch1.pk, tree.branch2.pk}
    assert result.mean_members == Decimal("4.5")
    for row in result.rows:
        assert row.findings > 0
        b = asel.breakdown(tree.committee, row.org, YEAR)
        assert b is not None
        assert b.score == row.score == Decimal(100) - row.deduction
        assert sum(r.deduction for r in b.rules) == row.deduction
        assert sum(len(r.lines) for r in b.rules) == row.findings
        for rl in b.rules:
            assert rl.clause or rl.document  # every deduction cites its document
            assert rl.deduction == min(rl.raw, Decimal(5))
        # normalised per member: the deduction scaled by mean members / own members
        assert row.factor == (Decimal("4.5") / row.members).quantize(Decimal("0.0001"))
    ranks = sorted(r.rank for r in result.rows)
    assert ranks in ([1, 2], [1, 1])


def test_a_branch_has_no_ranking_and_a_pack_without_scheme_none(tree):
    assert asel.ranking(tree.branch1, YEAR) is None
    PackAssignment.objects.create(org=tree.root, pack_id="hubei-2022")
    assert asel.scheme_for(tree.committee) is None
    assert asel.ranking(tree.committee, YEAR) is None


def test_adjustment_needs_a_reason_and_the_assessor(tree, actor_for):
    refresh_all(year=YEAR)
    with pytest.raises(ValidationError) as err:
        assessment_adjust(
            assessor=tree.committee,
            subject=tree.branch1,
            year=YEAR,
            points=3,
            reason="  ",
            actor=actor_for("wc"),
        )
    assert "理由" in str(err.value.message_dict["reason"])
    # a branch's own administrator cannot change its score
    with pytest.raises(PermissionDenied):
        assessment_adjust(
            assessor=tree.committee,
            subject=tree.branch1,
            year=YEAR,
            points=3,
            reason="督查核实",
            actor=actor_for("b1"),
        )
    before = asel.ranking(tree.committee, YEAR).row(tree.branch1.pk)
    adj = assessment_adjust(
        assessor=tree.committee,
        subject=tree.branch1,
        year=YEAR,
        points="-2.5",
        reason="经督查核实，主题党日记录不实",
        actor=actor_for("wc"),
    )
    entry = AuditEntry.objects.get(object_type="assessment_adjustment", object_id=str(adj.pk))
    assert entry.actor_label == tree.users["wc"].get_username()
    assert entry.changes["after"]["reason"] == "经督查核实，主题党日记录不实"
    after = asel.ranking(tree.committee, YEAR).row(tree.branch1.pk)
    assert after.score == before.score - Decimal("2.5")
    b = asel.breakdown(tree.committee, tree.branch1, YEAR)
    assert b.score == after.score and [a.reason for a in b.adjustments] == [adj.reason]


def _secretary_performance(tree, grade: str) -> None:
    Assessment.objects.create(
        subject_person=tree.members1[1], year=YEAR, kind="performance", grade=grade
    )


def _cap_findings(tree) -> list:
    report = evaluate(pack="ningxia-2018", year=YEAR, org_ext_id=tree.root.ext_id)
    return [f for f in report.findings if f.rule == "ningxia-2018/secretary-grade-cap"]


@pytest.mark.parametrize(("points", "fires"), [(-100, True), (100, False)])
def test_published_grade_feeds_the_secretary_grade_cap(tree, actor_for, points, fires):
    """ningxia-2018: a branch not rated excellent → its secretary not excellent."""
    ningxia(tree)
    refresh_all(year=YEAR)
    assessment_adjust(
        assessor=tree.committee,
        subject=tree.branch1,
        year=YEAR,
        points=points,
        reason="测试用加减分",
        actor=actor_for("wc"),
    )
    _secretary_performance(tree, "excellent")
    published = assessment_publish(org=tree.committee, year=YEAR, actor=actor_for("wc"))
    mine = next(a for a in published if a.subject_org_id == tree.branch1.pk)
    assert (mine.grade == "excellent") is not fires
    assert mine.out_of == 2 and mine.extra["computed"] is True
    assert AuditEntry.objects.filter(object_type="assessment").count() == 2
    found = _cap_findings(tree)
    assert bool(found) is fires
    if fires:
        assert found[0].subject["id"] == tree.members1[1].ext_id
    # publishing marked the department stale: its stored findings follow
    from dangjian.policy import store

    run_pending(debounce=0)
    stored = store.stored(tree.root, "ningxia-2018", YEAR).filter(
        rule="ningxia-2018/secretary-grade-cap"
    )
    assert stored.exists() is fires


def test_overdue_election_bars_the_award_grade(tree, actor_for):
    """ningxia-2018: an organisation overdue for election is not graded excellent."""
    ningxia(tree)
    Term.objects.create(org=tree.branch2, elected_on=datetime.date(YEAR - 4, 1, 1), years=3)
    refresh_all(year=YEAR)
    for branch in (tree.branch1, tree.branch2):
        assessment_adjust(
            assessor=tree.committee,
            subject=branch,
            year=YEAR,
            points=100,
            reason="测试用加分",
            actor=actor_for("wc"),
        )
    result = asel.ranking(tree.committee, YEAR)
    one, two = result.row(tree.branch1.pk), result.row(tree.branch2.pk)
    assert one.award_eligible and one.grade == "excellent"
    assert not two.award_eligible and two.grade == "good"
    assert len(two.award_blocked) == 1 and "换届" in two.award_blocked[0]
    assessment_publish(org=tree.committee, year=YEAR, actor=actor_for("wc"))
    rule = "ningxia-2018/overdue-election-no-award"
    report = evaluate(pack="ningxia-2018", year=YEAR, org_ext_id=tree.root.ext_id)
    assert not [f for f in report.findings if f.rule == rule]
    # The same rule catches an excellent grade given anyway (imported or edited).
    Assessment.objects.filter(subject_org=tree.branch2, kind="party_building").update(
        grade="excellent"
    )
    report = evaluate(pack="ningxia-2018", year=YEAR, org_ext_id=tree.root.ext_id)
    assert [f.subject["id"] for f in report.findings if f.rule == rule] == [tree.branch2.ext_id]


def test_bottom_two_years_running_calls_for_accountability(tree, actor_for):
    ningxia(tree)
    second_department(tree)
    rule = "ningxia-2018/party-group-ranking-accountability"
    for year in (YEAR - 1, YEAR):
        refresh_all(year=year)
        assessment_adjust(
            assessor=tree.root,
            subject=tree.dept,
            year=year,
            points=-100,
            reason="测试：排名靠后",
            actor=actor_for("wc"),
        )
        published = assessment_publish(org=tree.root, year=year, actor=actor_for("wc"))
        assert {a.subject_org.ext_id: a.rank for a in published}["TPG"] == 2
        report = evaluate(pack="ningxia-2018", year=year, org_ext_id=tree.root.ext_id)
        found = [f.subject["id"] for f in report.findings if f.rule == rule]
        # one year at the bottom is not yet a streak; the second is
        assert found == ([] if year == YEAR - 1 else ["TPG"])
        # and the published record is the year's assessment (全年考核)
        yearly = "ningxia-2018/work-committee-yearly-assessment"
        assert not [f for f in report.findings if f.rule == yearly]


def test_publishing_needs_computed_findings_and_the_assessor(tree, actor_for):
    with pytest.raises(ValidationError):
        assessment_publish(org=tree.committee, year=YEAR, actor=actor_for("wc"))
    refresh_all(year=YEAR)
    with pytest.raises(PermissionDenied):
        assessment_publish(org=tree.committee, year=YEAR, actor=actor_for("b1"))


def test_star_ratings_give_a_star_per_criterion_with_reasons(tree, actor_for):
    ningxia(tree)
    refresh_all(year=YEAR)
    result = asel.star_ratings(tree.committee, YEAR)
    assert result is not None and len(result.scheme.criteria) == 5
    row = next(r for r in result.rows if r.org.pk == tree.branch1.pk)
    assert row.stars == max(1, row.met)
    theme = next(s for s in row.reasons if s.criterion.id == "theme-day")
    assert not theme.met and theme.violations[0][1] > 0  # no theme day held this year
    dues = next(s for s in row.reasons if s.criterion.id == "election")
    assert dues.met  # elected two years ago for three
    stars_publish(org=tree.committee, year=YEAR, actor=actor_for("wc"))
    rec = Assessment.objects.get(subject_org=tree.branch1, kind="star_rating", year=YEAR)
    assert rec.grade == str(row.stars)
    # yunnan-2019 has no star criteria
    PackAssignment.objects.filter(org=tree.root).update(pack_id="yunnan-2019")
    assert asel.star_ratings(tree.committee, YEAR) is None


def test_duty_review_records_who_reported_and_the_rating(tree, actor_for):
    kw = {
        "org": tree.branch1,
        "role": "branch_secretary",
        "year": YEAR - 1,
        "held_on": datetime.date(YEAR, 1, 10),
        "reviewed_by": tree.committee,
        "grade": "good",
    }
    with pytest.raises(ValidationError) as err:
        duty_review_record(reporter=tree.members1[0], actor=actor_for("wc"), **kw)
    assert "没有担任" in str(err.value.message_dict["reporter"])
    with pytest.raises(PermissionDenied):
        duty_review_record(reporter=tree.members1[1], actor=actor_for("b1"), **kw)
    review = duty_review_record(reporter=tree.members1[1], actor=actor_for("wc"), **kw)
    assert AuditEntry.objects.filter(object_type="duty_review", object_id=str(review.pk)).exists()
    with pytest.raises(ValidationError):
        duty_review_record(reporter=tree.members1[1], actor=actor_for("wc"), **kw)
    assert DutyReview.objects.count() == 1
    assert list(asel.duty_reviews(tree.committee, YEAR - 1)) == [review]
