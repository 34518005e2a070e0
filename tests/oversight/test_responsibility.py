"""三级责任清单: drafting, filing (the year's responsibility_list filing) and item status."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.oversight import selectors as osel
from dangjian.oversight.responsibility import (
    ItemInput,
    responsibility_list_file,
    responsibility_list_save,
)
from dangjian.policy import store
from dangjian.policy.engine import evaluate
from dangjian.policy.models import PackAssignment
from dangjian.records.models import Filing

pytestmark = pytest.mark.django_db
PACK = "danyang-2020"
RULE = "responsibility-list"


def _rule_findings(tree, on):
    report = evaluate(pack=PACK, year=2025, as_of=on, org_ext_id=tree.root.ext_id)
    return sorted(
        (f.subject["id"], f.severity) for f in report.findings if f.rule.endswith("/" + RULE)
    )


def test_filing_the_list_satisfies_the_filing_rule(tree, actor_for):
    dept = actor_for("dept")
    before = _rule_findings(tree, date(2025, 4, 1))
    assert (tree.dept.ext_id, "violation") in before
    lst = responsibility_list_save(
        org=tree.dept,
        year=2025,
        items=[ItemInput(task="每季度听取机关党建工作汇报", responsible_name="党组书记")],
        actor=dept,
    )
    assert _rule_findings(tree, date(2025, 4, 1)) == before  # a draft is not filed
    responsibility_list_file(responsibility_list=lst, on=date(2025, 3, 20), actor=dept)
    filing = Filing.objects.get(org=tree.dept, kind="responsibility_list")
    assert (filing.period, filing.date) == ("2025", date(2025, 3, 20))
    lst.refresh_from_db()
    assert lst.filing == filing
    after = _rule_findings(tree, date(2025, 4, 1))
    assert (tree.dept.ext_id, "violation") not in after
    assert set(after) < set(before)
    with pytest.raises(ValidationError):  # filed once
        responsibility_list_file(responsibility_list=lst, on=date(2025, 3, 21), actor=dept)


def test_who_may_draft_and_what_is_refused(tree, actor_for):
    with pytest.raises(PermissionDenied):
        responsibility_list_save(
            org=tree.branch1,
            year=2025,
            items=[ItemInput(task="x", responsible_name="书记")],
            actor=actor_for("b2"),
        )
    with pytest.raises(ValidationError) as e:
        responsibility_list_save(
            org=tree.branch1,
            year=2025,
            items=[ItemInput(task="按月开展主题党日", responsible_name="")],
            actor=actor_for("b1"),
        )
    assert "第1项" in str(e.value)
    with pytest.raises(ValidationError):  # the work committee has no such list
        responsibility_list_save(
            org=tree.root,
            year=2025,
            items=[ItemInput(task="x", responsible_name="y")],
            actor=actor_for("wc"),
        )
    with pytest.raises(ValidationError) as e:
        responsibility_list_save(
            org=tree.branch1,
            year=2025,
            items=[ItemInput(task="x", responsible_name="y", rules=("no-such-rule",))],
            known_rules={"theme-day-monthly"},
            actor=actor_for("b1"),
        )
    assert "未知规则" in str(e.value)
    empty = responsibility_list_save(org=tree.branch1, year=2025, items=[], actor=actor_for("b1"))
    with pytest.raises(ValidationError):  # nothing to file
        responsibility_list_file(
            responsibility_list=empty, on=date(2025, 1, 5), actor=actor_for("b1")
        )


def test_item_status_is_read_from_the_stored_findings(tree, actor_for):
    PackAssignment.objects.create(org=tree.root, pack_id=PACK)
    b1 = actor_for("b1")
    lst = responsibility_list_save(
        org=tree.branch1,
        year=2025,
        items=[
            ItemInput(task="按期报送责任清单", responsible=tree.members1[1], rules=(RULE,)),
            ItemInput(task="开展谈心谈话", responsible_name="支部书记"),
        ],
        actor=b1,
    )
    store.refresh_all(year=2025, today=date(2026, 2, 1))
    first, second = lst.items.all()
    statuses = osel.responsibility_item_statuses(lst)
    assert statuses[first.pk].status == "overdue"  # the branch's list was never filed
    assert statuses[second.pk].status == "none"
    responsibility_list_file(responsibility_list=lst, on=date(2025, 3, 1), actor=b1)
    store.refresh_all(year=2025, today=date(2026, 2, 1))
    assert osel.responsibility_item_statuses(lst)[first.pk].status == "met"
