"""A small organisation tree with one user per role, for tests of pages and endpoints.

省直机关工委 (work_committee)            ← user "wc"     (work_committee_admin)
  └ 财政厅党组 (party_group)              ← user "dept"   (department_admin)
      └ 财政厅机关党委 (organ_committee)
          ├ 办公室党支部 (branch) 5 members  ← user "b1"  (branch_admin); user "member" = 张一
          └ 预算处党支部 (branch) 4 members  ← user "b2"  (branch_admin)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from dangjian.access.models import Grant, PersonAccount, Role
from dangjian.orgs.models import Organization, OrgType, Position, PositionRole, Term
from dangjian.people.models import Person, PersonStatus
from dangjian.records.models import Activity, ActivityKind, Attendance, Filing, Training

PASSWORD = "test-pass-2026"


@dataclass
class Tree:
    root: Organization
    dept: Organization
    committee: Organization
    branch1: Organization
    branch2: Organization
    members1: list[Person]
    members2: list[Person]
    users: dict[str, AbstractBaseUser] = field(default_factory=dict)
    activity: Activity | None = None
    training: Training | None = None
    filing: Filing | None = None

    @property
    def member(self) -> Person:
        return self.members1[0]


def _org(
    ext_id: str, name: str, type: str, parent: Organization | None, **kw: object
) -> Organization:
    org = Organization.objects.create(ext_id=ext_id, name=name, type=type, parent=parent, **kw)
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    org.depth = parent.depth + 1 if parent else 0
    org.save(update_fields=["path", "depth"])
    return org


def build_tree(prefix: str = "T", year: int | None = None) -> Tree:
    """Create the tree, users, posts, a term and one record of each kind."""
    year = year or datetime.date.today().year
    User = get_user_model()
    root = _org(f"{prefix}WC", "省直机关工委", OrgType.WORK_COMMITTEE, None)
    dept = _org(f"{prefix}PG", "财政厅党组", OrgType.PARTY_GROUP, root, staff_count=120)
    committee = _org(f"{prefix}OC", "财政厅机关党委", OrgType.ORGAN_COMMITTEE, dept)
    branch1 = _org(f"{prefix}B1", "办公室党支部", OrgType.BRANCH, committee)
    branch2 = _org(f"{prefix}B2", "预算处党支部", OrgType.BRANCH, committee)
    names1 = ["张一", "王二", "李三", "赵四", "钱五"]
    names2 = ["孙六", "周七", "吴八", "郑九"]
    joined = datetime.date(2010, 7, 1)
    members1 = [
        Person.objects.create(
            ext_id=f"{prefix}P1{i}",
            name=n,
            org=branch1,
            status=PersonStatus.FULL,
            joined_on=joined,
            full_on=datetime.date(2011, 7, 1),
        )
        for i, n in enumerate(names1)
    ]
    members2 = [
        Person.objects.create(
            ext_id=f"{prefix}P2{i}",
            name=n,
            org=branch2,
            status=PersonStatus.FULL,
            joined_on=joined,
            full_on=datetime.date(2011, 7, 1),
        )
        for i, n in enumerate(names2)
    ]
    Position.objects.create(
        person=members1[1],
        org=branch1,
        role=PositionRole.SECRETARY,
        start=datetime.date(year - 1, 3, 1),
    )
    Term.objects.create(org=branch1, elected_on=datetime.date(year - 2, 3, 1), years=3)
    tree = Tree(root, dept, committee, branch1, branch2, members1, members2)
    for username, role, org in [
        ("wc", Role.WORK_COMMITTEE_ADMIN, root),
        ("dept", Role.DEPARTMENT_ADMIN, dept),
        ("b1", Role.BRANCH_ADMIN, branch1),
        ("b2", Role.BRANCH_ADMIN, branch2),
    ]:
        user = User.objects.create_user(username=f"{prefix.lower()}{username}", password=PASSWORD)
        Grant.objects.create(user=user, org=org, role=role)
        tree.users[username] = user
    member_user = User.objects.create_user(username=f"{prefix.lower()}member", password=PASSWORD)
    PersonAccount.objects.create(user=member_user, person=members1[0])
    tree.users["member"] = member_user
    activity = Activity.objects.create(
        ext_id=f"{prefix}A1",
        org=branch1,
        kind=ActivityKind.BRANCH_ASSEMBLY,
        date=datetime.date(year, 1, 15),
        title="学习党章",
        hours=Decimal("2"),
    )
    Attendance.objects.bulk_create([Attendance(activity=activity, person=p) for p in members1])
    tree.activity = activity
    tree.training = Training.objects.create(
        ext_id=f"{prefix}T1",
        person=members1[0],
        date=datetime.date(year, 2, 10),
        hours=Decimal("8"),
        kind="general",
        title="党的二十大精神专题培训",
    )
    tree.filing = Filing.objects.create(
        ext_id=f"{prefix}F1",
        org=branch1,
        kind="work_report",
        date=datetime.date(year, 1, 20),
        period=str(year - 1),
    )
    return tree


def page_version(client: Any, url: str, form: str = "form", prefix: str = "") -> dict[str, str]:
    """The version field an edit page hands out, to post as a browser would (tests)."""
    context = client.get(url).context
    bound = context["forms"][form] if prefix else context[form]
    return {bound.add_prefix("version"): bound["version"].value()}


def position_version(client: Any, org_pk: int, position_pk: int) -> dict[str, str]:
    """The version the leadership page carries for ending one post (tests)."""
    context = client.get(f"/orgs/{org_pk}/leadership/").context
    return {"version": next(v for p, v in context["positions"] if p.pk == position_pk)}
