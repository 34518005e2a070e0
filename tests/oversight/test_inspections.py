"""Inspections (督查): who may inspect whom, the problems' rectification loop, and the
quarterly inspection rules counting recorded inspections."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.oversight import selectors as osel
from dangjian.oversight.inspections import (
    ProblemInput,
    inspection_create,
    inspection_plan,
    inspection_record,
)
from dangjian.oversight.models import Inspection, Rectification
from dangjian.oversight.services import rectification_advance, rectification_send_back
from dangjian.policy import store
from dangjian.policy.engine import evaluate
from dangjian.policy.models import PackAssignment
from dangjian.records.models import Activity

pytestmark = pytest.mark.django_db
PACK = "ningxia-2018"


def recorded(tree, actor, on, *, org=None, targets=None, problems=()):
    org = org or tree.committee
    return inspection_create(
        org=org,
        year=on.year,
        quarter=(on.month - 1) // 3 + 1,
        title="党支部标准化建设督查",
        targets=targets or [tree.branch1],
        held_on=on,
        inspector_names="张督查",
        problems=problems,
        actor=actor,
    )


def test_an_admin_inspects_only_organisations_under_the_inspecting_one(tree, actor_for):
    dept = actor_for("dept")
    with pytest.raises(ValidationError) as e:  # the committee's parent is not under it
        inspection_plan(
            org=tree.committee, year=2026, quarter=1, title="督查", targets=[tree.dept], actor=dept
        )
    assert "不是财政厅机关党委的下级组织" in str(e.value)
    with pytest.raises(PermissionDenied):  # the work committee is above the dept's grant
        inspection_plan(
            org=tree.root, year=2026, quarter=1, title="督查", targets=[tree.dept], actor=dept
        )
    with pytest.raises(ValidationError):  # a branch does not inspect
        inspection_plan(
            org=tree.branch1,
            year=2026,
            quarter=1,
            title="督查",
            targets=[tree.branch1],
            actor=actor_for("b1"),
        )
    with pytest.raises(PermissionDenied):  # nor may a branch admin inspect for the committee
        inspection_plan(
            org=tree.committee,
            year=2026,
            quarter=1,
            title="督查",
            targets=[tree.branch1],
            actor=actor_for("b1"),
        )
    plan = inspection_plan(
        org=tree.committee,
        year=2026,
        quarter=2,
        title="督查",
        targets=[tree.branch1, tree.branch2],
        actor=dept,
    )
    assert set(plan.targets.all()) == {tree.branch1, tree.branch2}
    assert plan.activity is None


def test_recording_creates_the_one_inspection_activity_and_a_rectification_per_problem(
    tree, actor_for
):
    dept = actor_for("dept")
    plan = inspection_plan(
        org=tree.committee,
        year=2026,
        quarter=2,
        title="组织生活督查",
        targets=[tree.branch1, tree.branch2],
        actor=dept,
    )
    with pytest.raises(ValidationError) as e:
        inspection_record(
            inspection=plan,
            held_on=date(2026, 5, 10),
            problems=[ProblemInput(tree.root, "未按期换届", None)],
            actor=dept,
        )
    assert "问题1" in str(e.value)
    assert not Activity.objects.filter(kind="inspection").exists()  # nothing half-written
    inspection_record(
        inspection=plan,
        held_on=date(2026, 5, 10),
        inspectors=[tree.members1[1]],
        problems=[
            ProblemInput(tree.branch1, "支部委员会会议记录不全", date(2026, 6, 30)),
            ProblemInput(tree.branch2, "党费收缴台账未及时登记", None),
        ],
        actor=dept,
    )
    plan.refresh_from_db()
    activity = plan.activity
    assert activity is not None
    assert (activity.kind, activity.org, activity.date) == (
        "inspection",
        tree.committee,
        date(2026, 5, 10),
    )
    problems = list(osel.inspection_problems(plan))
    assert [(r.org, r.status, r.due_on) for r in problems] == [
        (tree.branch1, "verified", date(2026, 6, 30)),
        (tree.branch2, "verified", None),
    ]
    assert all(r.source_activity == activity and r.source_period == "2026-Q2" for r in problems)
    with pytest.raises(ValidationError):  # recorded once
        inspection_record(inspection=plan, held_on=date(2026, 5, 11), actor=dept)
    assert osel.plan_statuses([plan])[plan.pk].status == "done"


def test_branch_rectifies_with_evidence_and_only_the_inspector_closes(tree, actor_for):
    dept, b1 = actor_for("dept"), actor_for("b1")
    recorded(
        tree,
        dept,
        date(2026, 4, 8),
        problems=[ProblemInput(tree.branch1, "三会一课记录不全", None)],
    )
    rect = Rectification.objects.get(org=tree.branch1)
    with pytest.raises(ValidationError) as e:
        rectification_advance(rectification=rect, step="rectify", on=date(2026, 5, 1), actor=b1)
    assert "整改情况及佐证" in str(e.value)
    rectification_advance(
        rectification=rect,
        step="rectify",
        on=date(2026, 5, 1),
        evidence="已补齐记录并建立月度检查制度",
        actor=b1,
    )
    for step in ("revisit", "close"):
        with pytest.raises(PermissionDenied):  # a branch never closes its own item
            rectification_advance(rectification=rect, step=step, on=date(2026, 5, 2), actor=b1)
    with pytest.raises(PermissionDenied):
        rectification_send_back(rectification=rect, on=date(2026, 5, 2), reason="不全", actor=b1)
    rectification_send_back(
        rectification=rect, on=date(2026, 5, 3), reason="制度未印发", actor=dept
    )
    rect.refresh_from_db()
    assert rect.status == "verified" and rect.rectified_on is None
    rectification_advance(
        rectification=rect, step="rectify", on=date(2026, 5, 9), evidence="制度已印发", actor=b1
    )
    rectification_advance(rectification=rect, step="revisit", on=date(2026, 5, 10), actor=dept)
    rectification_advance(rectification=rect, step="close", on=date(2026, 5, 10), actor=dept)
    rect.refresh_from_db()
    assert rect.status == "closed" and rect.evidence == "制度已印发"
    history = [h.what for h in osel.rectification_history(rect)]
    assert history == [
        "发现问题",
        "交办",
        "核实",
        "整改完成",
        "退回重新整改",
        "整改完成",
        "回访反馈",
        "销号",
    ]


def test_a_branch_still_closes_problems_it_found_itself(tree, actor_for):
    from dangjian.oversight.services import rectification_open

    b1 = actor_for("b1")
    rect = rectification_open(
        org=tree.branch1, title="学习记录不全", found_on=date(2026, 3, 1), actor=b1
    )
    for step in ("assign", "verify", "rectify", "revisit", "close"):
        rect = rectification_advance(rectification=rect, step=step, on=date(2026, 3, 2), actor=b1)
    assert rect.status == "closed"


def _findings(tree, rule, subject, on):
    report = evaluate(pack=PACK, year=2025, as_of=on, org_ext_id=tree.root.ext_id)
    return [
        (f.period, f.severity)
        for f in report.findings
        if f.rule.endswith("/" + rule) and f.subject["id"] == subject
    ]


def test_work_committee_quarterly_rule_counts_recorded_inspections(tree, actor_for):
    wc = actor_for("wc")
    for day in (date(2025, 3, 31), date(2025, 6, 30), date(2025, 12, 31)):
        recorded(tree, wc, day, org=tree.root, targets=[tree.dept])
    rule = "work-committee-quarterly-inspection"
    assert _findings(tree, rule, tree.root.ext_id, date(2025, 12, 31)) == [("2025-Q3", "violation")]
    # within Q3's reminder window: a warning; once its due date is reached: a violation
    assert _findings(tree, rule, tree.root.ext_id, date(2025, 9, 29)) == [("2025-Q3", "warning")]
    assert _findings(tree, rule, tree.root.ext_id, date(2025, 9, 30)) == [("2025-Q3", "violation")]
    recorded(tree, wc, date(2025, 7, 1), org=tree.root, targets=[tree.dept])  # Q3's first day
    assert _findings(tree, rule, tree.root.ext_id, date(2025, 12, 31)) == []


def test_party_group_quarterly_rule_counts_its_organ_committees_inspections(tree, actor_for):
    dept = actor_for("dept")
    recorded(tree, dept, date(2025, 1, 1), org=tree.dept, targets=[tree.committee])
    recorded(tree, dept, date(2025, 6, 30))  # by its organ committee: counts for Q2
    recorded(tree, dept, date(2025, 10, 1))
    rule = "party-group-quarterly-inspection"
    assert _findings(tree, rule, tree.dept.ext_id, date(2025, 12, 31)) == [("2025-Q3", "violation")]
    # the organ committee's own half-year rule: 06-30 and 10-01 cover both halves
    half = "organ-committee-inspection-half"
    assert _findings(tree, half, tree.committee.ext_id, date(2025, 12, 31)) == []
    recorded(tree, dept, date(2025, 9, 30))
    assert _findings(tree, rule, tree.dept.ext_id, date(2025, 12, 31)) == []


def test_a_planned_inspection_not_carried_out_shows_late_from_the_stored_findings(tree, actor_for):
    PackAssignment.objects.create(org=tree.root, pack_id=PACK)
    plan = inspection_plan(
        org=tree.root,
        year=2025,
        quarter=3,
        title="季度督查",
        targets=[tree.dept],
        actor=actor_for("wc"),
    )
    store.refresh_all(year=2025, today=date(2026, 3, 1))
    status = osel.plan_statuses([plan])[plan.pk]
    assert (status.status, status.label, status.due) == ("overdue", "逾期", date(2025, 9, 30))
    assert Inspection.objects.count() == 1
