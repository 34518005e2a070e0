"""Record-keeping services: what they write, what they refuse (and then change nothing)."""

import ast
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry
from dangjian.orgs import services as orgs
from dangjian.orgs.models import Organization, Position, Term
from dangjian.people import services as people
from dangjian.people.models import Person, Transfer, TransferRequest
from dangjian.records.models import Activity, Attendance, Training
from dangjian.web.selectors_keeping import hours_per_member

D = datetime.date


def web(tree, role):
    return Actor(user=tree.users[role], source="web", ip="127.0.0.1")


def test_orgs_imports_no_upper_app():
    root = Path(__file__).resolve().parents[2] / "src" / "dangjian" / "orgs"
    bad = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.split(".")[:2] in (
                    ["dangjian", "people"],
                    ["dangjian", "access"],
                    ["dangjian", "policy"],
                    ["dangjian", "interchange"],
                ):
                    bad.append(f"{path.name}: {name}")
    assert not bad


def test_person_create_checks_milestones_and_left_reason(tree):
    actor = web(tree, "b1")
    count = Person.objects.count()
    with pytest.raises(ValidationError) as err:
        people.person_create(
            name="甲",
            org=tree.branch1,
            status="full",
            joined_on=D(2020, 1, 1),
            full_on=D(2019, 1, 1),
            actor=actor,
        )
    assert "full_on" in err.value.message_dict
    assert "转正日期不能早于入党日期" in err.value.message_dict["full_on"][0]
    with pytest.raises(ValidationError) as err:
        people.person_create(
            name="乙",
            org=tree.branch1,
            status="activist",
            applied_on=D(2024, 1, 1),
            left_on=D(2025, 1, 1),
            actor=actor,
        )
    assert "left_reason" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        people.person_create(name="丙", org=tree.branch2, status="applicant", actor=actor)
    assert Person.objects.count() == count
    made = people.person_create(
        name="丁",
        org=tree.branch1,
        status="probationary",
        joined_on=D(2025, 7, 1),
        employment="retired",
        monthly_income=Decimal("4200"),
        mobile=True,
        hosted_by=tree.branch2,
        actor=actor,
    )
    assert made.hosted_by == tree.branch2 and made.employment == "retired"


def test_mark_left_keeps_the_person_and_ends_posts(tree):
    actor = web(tree, "b1")
    secretary = tree.members1[1]
    people.person_mark_left(person=secretary, on=D(2026, 5, 3), reason="deceased", actor=actor)
    secretary.refresh_from_db()
    assert (secretary.left_on, secretary.left_reason) == (D(2026, 5, 3), "deceased")
    assert Position.objects.get(person=secretary).end == D(2026, 5, 3)
    with pytest.raises(ValidationError):
        people.person_mark_left(person=secretary, on=D(2026, 6, 1), reason="other", actor=actor)
    entry = AuditEntry.objects.get(object_type="person", action="leave")
    assert entry.changes["after"]["left_reason"] == "deceased"


def test_post_rules(tree):
    actor = web(tree, "b1")
    with pytest.raises(ValidationError) as err:
        people.position_appoint(
            person=tree.members2[0],
            org=tree.branch1,
            role="committee_member",
            start=D(2026, 1, 1),
            actor=actor,
        )
    assert "person" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        people.position_appoint(
            person=tree.members1[2],
            org=tree.branch1,
            role="secretary",
            start=D(2026, 1, 1),
            actor=actor,
        )
    assert "王二" in err.value.message_dict["role"][0]  # the current secretary is named
    post = people.position_appoint(
        person=tree.members1[2],
        org=tree.branch1,
        role="discipline_member",
        start=D(2026, 1, 1),
        actor=actor,
    )
    with pytest.raises(ValidationError) as err:
        people.position_end(position=post, end=D(2025, 12, 31), actor=actor)
    assert err.value.message_dict["end"] == ["离任日期不能早于任职日期"]
    post.refresh_from_db()
    assert post.end is None
    people.position_end(position=post, end=D(2026, 1, 1), actor=actor)  # the same day is fine
    with pytest.raises(PermissionDenied):
        people.position_appoint(
            person=tree.members1[3],
            org=tree.branch1,
            role="committee_member",
            start=D(2026, 1, 1),
            actor=web(tree, "b2"),
        )


def test_election_ends_old_posts_and_opens_new_ones(tree):
    actor = web(tree, "b1")
    old = Position.objects.get(org=tree.branch1, role="secretary")
    term = people.election_record(
        org=tree.branch1,
        elected_on=D(2026, 4, 1),
        years=5,
        committee=[(tree.members1[1], "secretary"), (tree.members1[2], "discipline_member")],
        actor=actor,
    )
    old.refresh_from_db()
    assert old.end == D(2026, 4, 1)
    new = Position.objects.filter(org=tree.branch1, start=D(2026, 4, 1))
    assert sorted(new.values_list("role", flat=True)) == ["discipline_member", "secretary"]
    assert orgs.next_election(term) == D(2031, 4, 1)
    with pytest.raises(ValidationError) as err:
        people.election_record(
            org=tree.branch1,
            elected_on=D(2026, 3, 1),
            years=5,
            committee=[(tree.members1[3], "secretary")],
            actor=actor,
        )
    assert "elected_on" in err.value.message_dict
    assert Term.objects.filter(org=tree.branch1).count() == 2


def test_transfer_waits_for_acceptance_and_splits_the_year(tree):
    person = tree.members1[4]  # the fixture's own records are in the current year
    b1, b2 = web(tree, "b1"), web(tree, "b2")
    for month, hours in ((3, "4"), (9, "6")):
        Training.objects.create(
            ext_id=f"TR{month}",
            person=person,
            date=D(2025, month, 10),
            hours=Decimal(hours),
            kind="general",
        )
    for org, month in ((tree.branch1, 2), (tree.branch2, 10)):
        activity = Activity.objects.create(
            ext_id=f"AC{month}", org=org, kind="branch_assembly", date=D(2025, month, 5)
        )
        Attendance.objects.create(activity=activity, person=person)
    request = people.transfer_issue(
        person=person, to_org=tree.branch2, date=D(2025, 7, 1), letter="转001", actor=b1
    )
    person.refresh_from_db()
    assert person.org == tree.branch1 and not Transfer.objects.exists()
    with pytest.raises(ValidationError):  # one organisation at a time
        people.transfer_issue(person=person, to_org=tree.committee, date=D(2025, 8, 1), actor=b1)
    with pytest.raises(PermissionDenied):  # only the receiving side accepts
        people.transfer_accept(request=request, actor=b1)
    people.transfer_accept(request=request, actor=b2)
    person.refresh_from_db()
    assert person.org == tree.branch2
    assert TransferRequest.objects.get().status == "accepted"
    first = {p.pk: p for p in hours_per_member(tree.branch1, 2025)}
    second = {p.pk: p for p in hours_per_member(tree.branch2, 2025)}
    assert (first[person.pk].hours, first[person.pk].attended) == (Decimal("4"), 1)
    assert (second[person.pk].hours, second[person.pk].attended) == (Decimal("6"), 1)
    with pytest.raises(ValidationError):  # not before the transfer already made
        people.transfer_issue(person=person, to_org=tree.branch1, date=D(2025, 6, 1), actor=b2)


def test_no_transfer_into_a_dissolved_organisation(tree):
    dept = web(tree, "dept")
    empty = orgs.org_create(name="撤销支部", type="branch", parent=tree.committee, actor=dept)
    pending = people.transfer_issue(
        person=tree.members1[2], to_org=empty, date=D(2026, 6, 1), actor=dept
    )
    orgs.org_dissolve(org=empty, on=D(2026, 5, 31), actor=dept)
    with pytest.raises(ValidationError) as err:
        people.transfer_accept(request=pending, actor=dept)
    assert "to_org" in err.value.message_dict
    with pytest.raises(ValidationError):
        people.transfer_issue(person=tree.members1[3], to_org=empty, date=D(2026, 6, 1), actor=dept)
    tree.members1[2].refresh_from_db()
    assert tree.members1[2].org == tree.branch1 and not Transfer.objects.exists()


def test_transfers_outside_the_system_carry_the_letter(tree):
    actor = web(tree, "b1")
    with pytest.raises(ValidationError):
        people.transfer_out_external(
            person=tree.members1[3], date=D(2026, 5, 1), letter=" ", actor=actor
        )
    out = people.transfer_out_external(
        person=tree.members1[3], date=D(2026, 5, 1), letter="外001", to_name="某省", actor=actor
    )
    assert out.to_org is None and out.letter == "外001"
    tree.members1[3].refresh_from_db()
    assert tree.members1[3].left_reason == "transferred_out"
    came = people.transfer_in_external(
        to_org=tree.branch1,
        date=D(2026, 6, 1),
        letter="外002",
        name="新来",
        status="full",
        joined_on=D(2015, 1, 1),
        full_on=D(2016, 1, 1),
        actor=actor,
    )
    assert came.from_org is None and came.person.org == tree.branch1


def test_organisation_tree_writes(tree):
    dept, b1 = web(tree, "dept"), web(tree, "b1")
    new = orgs.org_create(name="新机关党委", type="organ_committee", parent=tree.dept, actor=dept)
    orgs.org_move(org=tree.committee, parent=new, actor=dept)
    tree.branch1.refresh_from_db()
    assert tree.branch1.path == f"{new.path}{tree.committee.pk}/{tree.branch1.pk}/"
    assert tree.branch1.depth == 4
    with pytest.raises(ValidationError):
        orgs.org_move(org=new, parent=tree.branch1, actor=dept)
    with pytest.raises(PermissionDenied):
        orgs.org_rename(org=tree.branch1, name="自己改名", actor=b1)
    orgs.org_rename(org=tree.branch1, name="综合处党支部", actor=dept)
    with pytest.raises(ValidationError) as err:
        orgs.org_dissolve(org=tree.branch1, on=D(2026, 6, 30), actor=dept)
    assert "5 名人员" in err.value.message_dict["dissolved"][0]
    tree.branch1.refresh_from_db()
    assert tree.branch1.name == "综合处党支部" and tree.branch1.dissolved is None
    assert Organization.objects.filter(path__startswith=new.path).count() == 4


def test_pack_is_chosen_only_for_a_work_committee(tree):
    from dangjian.policy.services import pack_choose

    with pytest.raises(ValidationError):
        pack_choose(org=tree.dept, pack_id="national", actor=web(tree, "wc"))
    assignment = pack_choose(org=tree.root, pack_id="national", actor=web(tree, "wc"))
    assert assignment.pack_id == "national"
