"""Writes to accounts and grants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from dangjian.access.models import CalendarFeed, Grant, PersonAccount, Role
from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.duties import AUDIT_ADMIN, SECURITY_ADMIN
from dangjian.orgs.models import Organization, OrgType
from dangjian.people.models import MEMBER_STATUSES, Person

DEMO_PASSWORD = "dangjian2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    label: str  # who this login is, for people reading the list
    role: str
    org_name: str
    created: bool


class DemoDataMissing(Exception):
    """The database lacks the organisations the demo accounts are attached to."""


def _ensure_user(
    username: str, *, password: str, actor: Actor, superuser: bool = False, duty: str = ""
) -> tuple[Any, bool]:
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is not None:
        return user, False
    if superuser:
        user = user_model.objects.create_superuser(username=username, email="", password=password)
    else:
        user = user_model.objects.create_user(
            username=username, password=password, is_staff=bool(duty)
        )
    if duty:
        group, _ = Group.objects.get_or_create(name=duty)
        user.groups.add(group)
    audit_record(
        actor=actor,
        action="create",
        object_type="user",
        object_id=str(user.pk),
        changes={"username": username, "superuser": superuser, "duty": duty, "demo": True},
    )
    return user, True


def _ensure_grant(user: Any, org: Organization, role: str, actor: Actor) -> None:
    grant, created = Grant.objects.get_or_create(user=user, org=org, role=role)
    if created:
        audit_record(
            actor=actor,
            action="create",
            object_type="grant",
            object_id=str(grant.pk),
            changes={"user": user.get_username(), "org": org.ext_id, "role": role},
        )


def _departments_with_branches(
    root: Organization,
) -> list[tuple[Organization, list[Organization]]]:
    """Departments under `root` with their branches that have members, in tree order.

    Departments with an organ committee or general branch come first.
    """
    departments = {
        d.path: d for d in Organization.objects.filter(parent=root, type=OrgType.PARTY_GROUP)
    }
    layered = set(
        Organization.objects.filter(
            parent__in=list(departments.values()),
            type__in=(OrgType.ORGAN_COMMITTEE, OrgType.GENERAL_BRANCH),
        ).values_list("parent_id", flat=True)
    )
    with_members = Person.objects.filter(status__in=MEMBER_STATUSES, left_on__isnull=True).values(
        "org_id"
    )
    branches = Organization.objects.filter(
        path__startswith=root.path, type=OrgType.BRANCH, pk__in=with_members
    ).order_by("path")
    grouped: dict[str, list[Organization]] = {}
    for branch in branches:
        dept_path = "/" + "/".join(branch.path.split("/")[1 : root.depth + 3]) + "/"
        if dept_path in departments:
            grouped.setdefault(dept_path, []).append(branch)
    ordered = sorted(grouped, key=lambda p: (departments[p].pk not in layered, departments[p].pk))
    return [(departments[p], grouped[p]) for p in ordered]


def demo_accounts_ensure(
    *, root: Organization, actor: Actor, password: str = DEMO_PASSWORD, link_member: bool = True
) -> list[DemoAccount]:
    """Create the demo logins that are missing; leaves existing ones as they are.

    admin (superuser, system administrator), anquan (security administrator), shenji
    (audit administrator), gongwei (work committee), bumen (one department), zhibu and
    zhibu2 (branches of two departments), dangyuan (a member of zhibu's branch — only when
    `link_member`, i.e. the members are demo data: a real member is never linked).
    """
    picked = _departments_with_branches(root)[:2]
    if len(picked) < 2:
        raise DemoDataMissing("演示账号需要至少两个含党支部的部门")
    (dept, branches), (_other_dept, other_branches) = picked
    branch, other_branch = branches[0], other_branches[0]
    member = (
        Person.objects.filter(org=branch, status="full", left_on__isnull=True, account__isnull=True)
        .order_by("pk")
        .first()
    )
    accounts: list[DemoAccount] = []
    with transaction.atomic():
        user, created = _ensure_user("admin", password=password, actor=actor, superuser=True)
        accounts.append(DemoAccount("admin", "系统管理员", "超级用户", "全部", created))
        for username, duty in (("anquan", SECURITY_ADMIN), ("shenji", AUDIT_ADMIN)):
            user, created = _ensure_user(username, password=password, actor=actor, duty=duty)
            accounts.append(DemoAccount(username, duty, duty, "管理后台", created))
        plan = (
            ("gongwei", "机关工委管理员", Role.WORK_COMMITTEE_ADMIN, root),
            ("bumen", "部门党组管理员", Role.DEPARTMENT_ADMIN, dept),
            ("zhibu", "党支部管理员", Role.BRANCH_ADMIN, branch),
            ("zhibu2", "另一部门党支部管理员", Role.BRANCH_ADMIN, other_branch),
        )
        for username, label, role, org in plan:
            user, created = _ensure_user(username, password=password, actor=actor)
            _ensure_grant(user, org, role, actor)
            accounts.append(DemoAccount(username, label, role.label, org.name, created))
        user, created = _ensure_user("dangyuan", password=password, actor=actor)
        linked = PersonAccount.objects.filter(user=user).select_related("person").first()
        if linked is None and member is not None and link_member:
            linked = PersonAccount.objects.create(user=user, person=member)
            audit_record(
                actor=actor,
                action="create",
                object_type="person_account",
                object_id=str(linked.pk),
                changes={"user": "dangyuan", "person": member.ext_id},
            )
        who = f"{linked.person.name}（{branch.name}）" if linked else branch.name
        accounts.append(DemoAccount("dangyuan", "普通党员", "党员本人", who, created))
    return accounts


def calendar_feed_issue(*, user: Any, org: Organization, actor: Actor) -> CalendarFeed:
    """A new secret calendar link for `user` to `org` (the old one stops working)."""
    import secrets

    with transaction.atomic():
        feed, created = CalendarFeed.objects.update_or_create(
            user=user, defaults={"org": org, "token": secrets.token_urlsafe(32)}
        )
        audit_record(
            actor=actor,
            action="create" if created else "update",
            object_type="calendar_feed",
            object_id=str(feed.pk),
            changes={"org": org.ext_id},
        )
    return feed


def calendar_feed_revoke(*, user: Any, actor: Actor) -> None:
    """Revoke `user`'s calendar link, if any."""
    with transaction.atomic():
        feed = CalendarFeed.objects.filter(user=user).first()
        if feed is None:
            return
        pk = feed.pk
        feed.delete()
        audit_record(actor=actor, action="delete", object_type="calendar_feed", object_id=str(pk))
