"""Reads for notices and 党务公开, scoped through the one permission policy.

A notice reaches an organisation when the organisation lies in the notice's scope: the
publishing organisation's whole subtree, or the subtrees of its chosen targets. A user
receives it when their own place lies in the scope (a member's branch, or the node of one
of their grants); the publishing organisation's administrators (grants over it) see it as
senders. Nobody else sees it: a lookup outside these querysets is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from dangjian.access import selectors as access
from dangjian.access.models import Grant
from dangjian.notices.models import Disclosure, Notice, NoticeRead, NoticeTarget
from dangjian.orgs.models import Organization
from dangjian.people.models import MEMBER_STATUSES, Person


def ancestor_paths(path: str) -> list[str]:
    """ "/1/7/42/" → ["/1/", "/1/7/", "/1/7/42/"]: the paths whose subtree holds `path`."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _own_paths(user: Any) -> list[str]:
    """Where the user stands: their grants' nodes and, for a member, their branch."""
    if not getattr(user, "is_authenticated", False):
        return []
    paths = list(access._grant_paths(user))
    person = access.person_of(user)
    if person is not None and person.left_on is None:
        paths.append(person.org.path)
    return paths


def _reaching(paths: list[str]) -> Q:
    """Notices whose scope holds one of `paths` (set-based: paths of their ancestors)."""
    above = sorted({a for p in paths for a in ancestor_paths(p)})
    if not above:
        return Q(pk__in=[])
    targeted = NoticeTarget.objects.filter(notice=OuterRef("pk"), org__path__in=above)
    return Q(whole_subtree=True, org__path__in=above) | Q(Exists(targeted))


def notices_received(user: Any) -> QuerySet[Notice]:
    """Notices addressed to where the user stands (their inbox)."""
    return Notice.objects.filter(_reaching(_own_paths(user)))


def notices_sent(user: Any) -> QuerySet[Notice]:
    """Notices of organisations the user administers (their outbox)."""
    if getattr(user, "is_superuser", False):
        return Notice.objects.all()
    return Notice.objects.filter(org__in=access.orgs_administered(user))


def notices_visible(user: Any) -> QuerySet[Notice]:
    """Every notice the user may open: received or sent."""
    if getattr(user, "is_superuser", False):
        return Notice.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Notice.objects.none()
    q = _reaching(_own_paths(user)) | Q(org__in=access.orgs_administered(user))
    return Notice.objects.filter(q)


def with_read_flag(qs: QuerySet[Notice], user: Any) -> QuerySet[Notice]:
    """Annotate `is_read` for `user` (one EXISTS per row, in the same query)."""
    return qs.annotate(
        is_read=Exists(NoticeRead.objects.filter(notice=OuterRef("pk"), user_id=user.pk or 0))
    )


def unread_count(user: Any) -> int:
    """Notices received and not yet opened by the user (one query)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return (
        notices_received(user)
        .exclude(Exists(NoticeRead.objects.filter(notice=OuterRef("pk"), user_id=user.pk)))
        .count()
    )


def can_see_receipts(user: Any, notice: Notice) -> bool:
    """The publishing organisation's administrators see who read it."""
    return access.can_administer(user, notice.org)


def scope_paths(notice: Notice) -> list[str]:
    """The subtree roots the notice was sent to."""
    if notice.whole_subtree:
        return [notice.org.path]
    return list(notice.targets.values_list("org__path", flat=True))


def _paths_q(paths: list[str], field: str) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def audience(notice: Notice) -> QuerySet[Person]:
    """Members (in the roll today) of the organisations the notice reached."""
    return Person.objects.filter(
        _paths_q(scope_paths(notice), "org__path"),
        status__in=MEMBER_STATUSES,
        left_on__isnull=True,
    )


@dataclass
class OrgReceipt:
    org: Organization
    total: int
    read: int

    @property
    def unread(self) -> int:
        return self.total - self.read


@dataclass
class Receipts:
    total: int
    read: int
    per_org: list[OrgReceipt]
    unread_people: list[Person]
    readers: list[NoticeRead]

    @property
    def unread(self) -> int:
        return self.total - self.read


def receipts(notice: Notice, *, unread_limit: int = 500) -> Receipts:
    """Read counts per organisation and overall, who has not read it yet and who did
    (grouped queries; their number does not depend on the size of the audience)."""
    people = audience(notice)
    read_q = Exists(NoticeRead.objects.filter(notice=notice, person_id=OuterRef("pk")))
    rows = list(
        people.values("org_id")
        .annotate(total=Count("pk"), read=Count("pk", filter=Q(read_q)))
        .order_by()
    )
    orgs = Organization.objects.in_bulk([r["org_id"] for r in rows])
    per_org = sorted(
        (OrgReceipt(orgs[r["org_id"]], r["total"], r["read"]) for r in rows),
        key=lambda r: r.org.path,
    )
    unread_people = list(
        people.exclude(read_q)
        .select_related("org")
        .order_by("org__path", "name", "pk")[:unread_limit]
    )
    readers = list(
        NoticeRead.objects.filter(notice=notice)
        .select_related("user", "person", "person__org")
        .order_by("read_at", "pk")
    )
    return Receipts(
        total=sum(r.total for r in per_org),
        read=sum(r.read for r in per_org),
        per_org=per_org,
        unread_people=unread_people,
        readers=readers,
    )


# ---------------------------------------------------------------- 党务公开


def disclosures_visible(user: Any) -> QuerySet[Disclosure]:
    """党务公开 items the user may read: those of their own organisation and the ones
    above it (members and administrators inside), and of the subtrees they administer."""
    if getattr(user, "is_superuser", False):
        return Disclosure.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Disclosure.objects.none()
    above = sorted({a for p in _own_paths(user) for a in ancestor_paths(p)})
    return Disclosure.objects.filter(
        Q(org__path__in=above) | Q(org__in=access.orgs_administered(user))
    )


def disclosures_of(user: Any, org: Organization) -> QuerySet[Disclosure]:
    """The items `org` published, as far as the user may read them."""
    return disclosures_visible(user).filter(org=org).select_related("org")


def grant_orgs(user: Any) -> list[Organization]:
    """The organisations of the user's grants (where they may publish from)."""
    return [
        g.org
        for g in Grant.objects.filter(user_id=user.pk or 0)
        .select_related("org")
        .order_by("org__depth", "org__path")
    ]


def receipt_rows(notice: Notice) -> QuerySet[Person]:
    """Every member the notice reached, with `read_at` (None: not read), by organisation
    and name (one query)."""
    first_read = (
        NoticeRead.objects.filter(notice=notice, person_id=OuterRef("pk"))
        .order_by("read_at")
        .values("read_at")[:1]
    )
    return (
        audience(notice)
        .select_related("org")
        .annotate(read_at=Subquery(first_read))
        .order_by("org__path", "name", "pk")
    )
