"""The one permission policy: a grant on an organisation covers its subtree.

Views and API endpoints look objects up only through these querysets.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from dangjian.access.models import Grant, PersonAccount
from dangjian.orgs.models import Organization
from dangjian.people.models import Person


def _grant_paths(user: Any) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return []
    cache = getattr(user, "_dangjian_grant_paths", None)
    if cache is None:
        cache = list(Grant.objects.filter(user=user).values_list("org__path", flat=True))
        user._dangjian_grant_paths = cache
    return cache


def _paths_q(paths: list[str], field: str = "path") -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def is_admin(user: Any) -> bool:
    return bool(_grant_paths(user)) or bool(getattr(user, "is_superuser", False))


def person_of(user: Any) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    account = PersonAccount.objects.filter(user=user).select_related("person").first()
    return account.person if account else None


def orgs_administered(user: Any) -> QuerySet[Organization]:
    """Organisations the user may edit: the subtrees of their grants."""
    if getattr(user, "is_superuser", False):
        return Organization.objects.all()
    return Organization.objects.filter(_paths_q(_grant_paths(user)))


def orgs_visible(user: Any) -> QuerySet[Organization]:
    """Organisations the user may see: administered subtrees, plus a member's own branch."""
    if getattr(user, "is_superuser", False):
        return Organization.objects.all()
    q = _paths_q(_grant_paths(user))
    person = person_of(user)
    if person is not None:
        q |= Q(pk=person.org_id)
    return Organization.objects.filter(q)


def people_visible(user: Any) -> QuerySet[Person]:
    """People whose records the user may see: in administered subtrees, or themselves."""
    if getattr(user, "is_superuser", False):
        return Person.objects.all()
    q = _paths_q(_grant_paths(user), "org__path")
    person = person_of(user)
    if person is not None:
        q |= Q(pk=person.pk)
    return Person.objects.filter(q)


def can_administer(user: Any, org: Organization) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return any(org.path.startswith(p) for p in _grant_paths(user))
