"""Writes on the organisation tree and its terms.

`orgs` is the bottom domain app: it imports none of people, access, policy,
interchange. Posts and elections (which name people) live in `people.services`;
choosing a policy pack in `policy.services`.

Every service runs in one transaction with its audit entry. Callers from the web
or the API pass `actor`; the service refuses a logged-in actor who may not
administer the organisation concerned (views check first, this is the backstop).
Renaming, moving and dissolving an organisation are for whoever administers its
parent (a department or work committee), not the organisation's own administrator.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.writes import (
    UNSET,
    apply_changes,
    audited_delete,
    audited_save,
    ensure_can_administer,
    new_ext_id,
    snapshot,
)
from dangjian.orgs.models import Organization, Term

ORG_FIELDS = ["ext_id", "name", "type", "parent", "staff_count", "established", "dissolved"]


def add_years(d: datetime.date, years: int) -> datetime.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def next_election(term: Term) -> datetime.date:
    """The day the next election falls due: the election date plus the term length."""
    return add_years(term.elected_on, term.years)


def ensure_open(org: Organization, on: datetime.date | None, field: str) -> None:
    """Refuse a write into an organisation dissolved on or before `on` (or at all)."""
    if org.dissolved is not None and (on is None or org.dissolved <= on):
        raise ValidationError({field: f"党组织「{org.name}」已于 {org.dissolved} 撤销"})


def _ensure_can_administer_parent(actor: Actor, org: Organization) -> None:
    if org.parent_id is not None:
        ensure_can_administer(actor, org.parent)  # type: ignore[arg-type]
    elif actor.user is not None and not getattr(actor.user, "is_superuser", False):
        raise PermissionDenied("只有超级管理员可以修改顶层党组织")


@transaction.atomic
def org_create(
    *,
    name: str,
    type: str,
    parent: Organization | None,
    ext_id: str | None = None,
    staff_count: int | None = None,
    established: datetime.date | None = None,
    dissolved: datetime.date | None = None,
    actor: Actor,
) -> Organization:
    """Create an organisation under `parent` (a root when None) and set its path."""
    if parent is not None:
        ensure_can_administer(actor, parent)
        ensure_open(parent, None, "parent")
    elif actor.user is not None and not getattr(actor.user, "is_superuser", False):
        raise PermissionDenied("只有超级管理员可以创建顶层党组织")
    org = Organization(
        ext_id=ext_id or new_ext_id("org"),
        name=name.strip(),
        type=type,
        parent=parent,
        staff_count=staff_count,
        established=established,
        dissolved=dissolved,
    )
    org.full_clean(exclude=["path", "depth"])
    org.save()
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    org.depth = parent.depth + 1 if parent else 0
    org.save(update_fields=["path", "depth"])
    audit_record(
        actor=actor,
        action="create",
        object_type="organization",
        object_id=str(org.pk),
        changes={"after": snapshot(org, ORG_FIELDS)},
    )
    return org


@transaction.atomic
def org_update(
    *,
    org: Organization,
    name: str = UNSET,
    type: str = UNSET,
    staff_count: int | None = UNSET,
    established: datetime.date | None = UNSET,
    actor: Actor,
) -> Organization:
    """Change an organisation's details (moving: org_move; dissolving: org_dissolve)."""
    ensure_can_administer(actor, org)
    if name is not UNSET or type is not UNSET:
        _ensure_can_administer_parent(actor, org)
    before = snapshot(org, ORG_FIELDS)
    apply_changes(
        org,
        {
            "name": name.strip() if isinstance(name, str) else name,
            "type": type,
            "staff_count": staff_count,
            "established": established,
        },
    )
    org.full_clean(exclude=["path", "depth"])
    audited_save(obj=org, before=before, fields=ORG_FIELDS, object_type="organization", actor=actor)
    return org


def org_rename(*, org: Organization, name: str, actor: Actor) -> Organization:
    """Give an organisation a new name (its records and history stay)."""
    if not name.strip():
        raise ValidationError({"name": "名称不能为空"})
    return org_update(org=org, name=name, actor=actor)


@transaction.atomic
def org_move(*, org: Organization, parent: Organization, actor: Actor) -> Organization:
    """Put an organisation under another parent; its whole subtree's paths are
    rewritten in one UPDATE."""
    _ensure_can_administer_parent(actor, org)
    ensure_can_administer(actor, parent)
    ensure_open(parent, None, "parent")
    if parent.path.startswith(org.path):
        raise ValidationError({"parent": "不能把党组织移到它自己或它的下级组织之下"})
    before = snapshot(org, ORG_FIELDS)
    old_path, old_depth = org.path, org.depth
    new_path, new_depth = f"{parent.path}{org.pk}/", parent.depth + 1
    org.parent = parent
    org.full_clean(exclude=["path", "depth"])
    if new_path != old_path:
        Organization.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + (new_depth - old_depth),
        )
        org.path, org.depth = new_path, new_depth
    audited_save(
        obj=org,
        before=before,
        fields=ORG_FIELDS,
        object_type="organization",
        actor=actor,
        action="move",
    )
    return org


@transaction.atomic
def org_dissolve(*, org: Organization, on: datetime.date, actor: Actor) -> Organization:
    """Dissolve an organisation on a date. It must hold no members and no open
    sub-organisation by then; its posts still held end that day."""
    _ensure_can_administer_parent(actor, org)
    if org.dissolved is not None:
        raise ValidationError({"dissolved": f"该党组织已于 {org.dissolved} 撤销"})
    if org.established is not None and on < org.established:
        raise ValidationError({"dissolved": "撤销日期不能早于成立日期"})
    open_children = Organization.objects.filter(parent=org).filter(
        Q(dissolved__isnull=True) | Q(dissolved__gt=on)
    )
    if open_children.exists():
        raise ValidationError({"dissolved": "请先撤销或移走其下级党组织"})
    remaining = org.people.filter(Q(left_on__isnull=True) | Q(left_on__gt=on)).count()  # type: ignore[attr-defined]
    if remaining:
        raise ValidationError(
            {"dissolved": f"该党组织还有 {remaining} 名人员，请先办理组织关系转出"}
        )
    org.positions.filter(Q(end__isnull=True) | Q(end__gt=on), start__lte=on).update(end=on)  # type: ignore[attr-defined]
    before = snapshot(org, ORG_FIELDS)
    org.dissolved = on
    audited_save(
        obj=org,
        before=before,
        fields=ORG_FIELDS,
        object_type="organization",
        actor=actor,
        action="dissolve",
    )
    return org


# ---------------------------------------------------------------- terms

TERM_FIELDS = ["org", "elected_on", "years"]


@transaction.atomic
def term_create(*, org: Organization, elected_on: datetime.date, years: int, actor: Actor) -> Term:
    """Record an election opening a term of `years` years (with no committee:
    see people.services.election_record)."""
    ensure_can_administer(actor, org)
    ensure_open(org, elected_on, "org")
    term = Term(org=org, elected_on=elected_on, years=years)
    term.full_clean()
    term.save()
    audit_record(
        actor=actor,
        action="create",
        object_type="term",
        object_id=str(term.pk),
        changes={"after": snapshot(term, TERM_FIELDS)},
    )
    return term


@transaction.atomic
def term_update(
    *,
    term: Term,
    elected_on: datetime.date = UNSET,
    years: int = UNSET,
    actor: Actor,
) -> Term:
    ensure_can_administer(actor, term.org)
    before = snapshot(term, TERM_FIELDS)
    apply_changes(term, {"elected_on": elected_on, "years": years})
    audited_save(obj=term, before=before, fields=TERM_FIELDS, object_type="term", actor=actor)
    return term


@transaction.atomic
def term_delete(*, term: Term, actor: Actor) -> None:
    ensure_can_administer(actor, term.org)
    audited_delete(obj=term, fields=TERM_FIELDS, object_type="term", actor=actor)
