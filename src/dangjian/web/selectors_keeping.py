"""Reads behind the record-keeping pages; each a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from dangjian.access.selectors import orgs_administered
from dangjian.orgs.models import Organization, Position
from dangjian.people.models import MEMBER_STATUSES, Person, TransferRequest, TransferStatus

LEFT_FILTERS = {"current": "在册", "left": "已离开", "all": "全部"}


def roster(
    org: Organization,
    *,
    q: str = "",
    status: str = "",
    flag: str = "",
    left: str = "current",
) -> QuerySet[Person]:
    """People of the subtree for the roster, filtered; one query per page."""
    qs = Person.objects.filter(org__path__startswith=org.path).select_related("org")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(ext_id__icontains=q))
    if status:
        qs = qs.filter(status=status)
    if flag == "leading_cadre":
        qs = qs.filter(leading_cadre=True)
    elif flag == "party_worker":
        qs = qs.filter(party_worker__isnull=False)
    elif flag == "mobile":
        qs = qs.filter(mobile=True)
    if left == "current":
        qs = qs.filter(left_on__isnull=True)
    elif left == "left":
        qs = qs.filter(left_on__isnull=False)
    return qs.order_by("org__path", "name", "pk")


def appointable(org: Organization) -> QuerySet[Person]:
    """Members of the subtree who have not left (who may hold a post in `org`)."""
    return Person.objects.filter(
        org__path__startswith=org.path, status__in=MEMBER_STATUSES, left_on__isnull=True
    ).order_by("name", "pk")


def leadership(org: Organization, on: datetime.date) -> list[Position]:
    return list(
        Position.objects.filter(org=org, start__lte=on)
        .filter(Q(end__isnull=True) | Q(end__gte=on))
        .select_related("person")
        .order_by("role", "start")
    )


def past_posts(org: Organization, on: datetime.date) -> list[Position]:
    return list(
        Position.objects.filter(org=org, end__lt=on).select_related("person").order_by("-end")[:30]
    )


def transfer_requests(user: Any) -> QuerySet[TransferRequest]:
    """Transfers issued from or to organisations the user administers."""
    administered = orgs_administered(user)
    return TransferRequest.objects.filter(
        Q(from_org__in=administered) | Q(to_org__in=administered)
    ).select_related("person", "from_org", "to_org")


def org_transfers(org: Organization) -> dict[str, list[TransferRequest]]:
    """Pending transfers out of and into the subtree, and the recently decided ones."""
    rows = list(
        TransferRequest.objects.filter(
            Q(from_org__path__startswith=org.path) | Q(to_org__path__startswith=org.path)
        )
        .select_related("person", "from_org", "to_org")
        .order_by("-issued_at", "-pk")[:200]
    )
    out: dict[str, list[TransferRequest]] = {"outgoing": [], "incoming": [], "done": []}
    for r in rows:
        if r.status != TransferStatus.PENDING:
            out["done"].append(r)
        elif r.to_org.path.startswith(org.path):
            out["incoming"].append(r)
        else:
            out["outgoing"].append(r)
    return out


def transfer_targets(org: Organization, on: datetime.date) -> QuerySet[Organization]:
    """Open organisations that hold members (a transfer may go anywhere in the system)."""
    return (
        Organization.objects.filter(type__in=["branch", "general_branch", "organ_committee"])
        .filter(Q(dissolved__isnull=True) | Q(dissolved__gt=on))
        .exclude(pk=org.pk)
        .order_by("path")
    )


@dataclass
class TreeNode:
    org: Organization
    own: int = 0
    total: int = 0
    children: list[TreeNode] = field(default_factory=list)


def org_tree(user: Any, q: str = "") -> list[TreeNode]:
    """The administered organisations as a tree, each with its members (own and in its
    subtree): two queries. With `q`, only the branches of the tree leading to a match."""
    orgs = list(orgs_administered(user).order_by("path"))
    counts = dict(
        Person.objects.filter(
            org__in=[o.pk for o in orgs], status__in=MEMBER_STATUSES, left_on__isnull=True
        )
        .values("org_id")
        .annotate(n=Count("id"))
        .values_list("org_id", "n")
    )
    nodes = {o.pk: TreeNode(org=o, own=counts.get(o.pk, 0)) for o in orgs}
    roots: list[TreeNode] = []
    for o in orgs:  # ordered by path: parents come first
        node = nodes[o.pk]
        parent = nodes.get(o.parent_id) if o.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)

    def total(node: TreeNode) -> int:
        node.total = node.own + sum(total(c) for c in node.children)
        return node.total

    for r in roots:
        total(r)
    if q:

        def keep(node: TreeNode) -> bool:
            node.children = [c for c in node.children if keep(c)]
            return q in node.org.name or bool(node.children)

        roots = [r for r in roots if keep(r)]
    return roots


SOURCE_LABELS = {
    "web": "网页",
    "api": "接口",
    "admin": "后台管理",
    "import": "导入",
    "cli": "命令行",
    "system": "系统",
    "test": "测试",
}
ACTION_LABELS = {
    "create": "新建",
    "update": "修改",
    "delete": "删除",
    "leave": "登记离开",
    "move": "调整隶属关系",
    "dissolve": "撤销",
    "election": "换届",
    "transfer_issue": "开具组织关系转接",
    "transfer": "组织关系转入（已接收）",
    "transfer_cancelled": "撤回转接",
    "transfer_refused": "退回转接",
    "transfer_out": "转出本系统",
    "transfer_in": "从系统外转入",
}


def _shown(model: Any, name: str, value: Any) -> Any:
    try:
        f = model._meta.get_field(name)
    except Exception:
        return value
    choices = dict(getattr(f, "choices", None) or [])
    if value in choices:
        return choices[value]
    if value is True:
        return "是"
    if value is False:
        return "否"
    return "—" if value in (None, "") else value


def history_rows(object_type: str, object_id: Any, model: Any) -> list[dict[str, Any]]:
    """A record's audit entries, whatever wrote them (web, API, admin), in Chinese."""
    from dangjian.core.models import AuditEntry

    entries = AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id))
    rows = []
    for e in entries.order_by("-at", "-id")[:100]:
        before = e.changes.get("before") or {}
        after = e.changes.get("after") or {}
        changes = []
        if e.action != "create":
            for key in dict.fromkeys([*after, *before]):
                try:
                    label = str(model._meta.get_field(key).verbose_name)
                except Exception:
                    continue
                changes.append(
                    (label, _shown(model, key, before.get(key)), _shown(model, key, after.get(key)))
                )
        rows.append(
            {
                "entry": e,
                "action": ACTION_LABELS.get(e.action, "修改"),
                "source": SOURCE_LABELS.get(e.source, "其他"),
                "changes": changes,
            }
        )
    return rows


Span = tuple[int | None, datetime.date | None, datetime.date | None]


def _spans(transfers: list[Any]) -> dict[int, list[Span]]:
    """Membership spans (org, start, end exclusive) of people with transfers, as the
    engine reads them: `to` from each transfer's date, the first `from` before it."""
    out: dict[int, list[Span]] = {}
    by_person: dict[int, list[Any]] = {}
    for t in transfers:
        by_person.setdefault(t.person_id, []).append(t)
    for pid, ts in by_person.items():
        ts.sort(key=lambda t: t.date)
        spans: list[Span] = [(ts[0].from_org_id, None, ts[0].date)]
        for i, t in enumerate(ts):
            spans.append((t.to_org_id, t.date, ts[i + 1].date if i + 1 < len(ts) else None))
        out[pid] = spans
    return out


def hours_per_member(org: Organization, year: int) -> list[Person]:
    """Members who belonged to the subtree in `year`, each with `hours` (training hours
    while they belonged to it) and `attended` (its activities they attended), fewest
    hours first (`MemberHours`, every member read)."""
    members = MemberHours(org, year)
    return members[0 : len(members)]


class MemberHours:
    """The members of `hours_per_member` in its order, as a sequence for the paginator:
    everyone's hours, organisation path and name are read as plain values and sorted;
    only the members of a page become objects, with their attended counts.

    A member transferred on 1 July counts January–June in the first organisation and
    July–December in the second, as in the engine. A few queries whatever the size.
    """

    def __init__(self, org: Organization, year: int) -> None:
        from decimal import Decimal

        from django.db.models import DecimalField, Sum, Value
        from django.db.models.functions import Coalesce

        from dangjian.people.models import Transfer
        from dangjian.records.models import Training

        start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
        self.start, self.end = start, end
        self.subtree = Organization.objects.filter(path__startswith=org.path)
        in_tree = set(self.subtree.values_list("pk", flat=True))
        moved = Transfer.objects.filter(
            Q(from_org__in=self.subtree)
            | Q(to_org__in=self.subtree)
            | Q(person__org__in=self.subtree)
        ).values("person_id")
        spans = _spans(list(Transfer.objects.filter(person_id__in=moved)))

        def overlaps(s: tuple[Any, Any, Any]) -> bool:
            return (
                s[0] in in_tree and (s[1] is None or s[1] < end) and (s[2] is None or s[2] > start)
            )

        moved_here = [pid for pid, ss in spans.items() if any(overlaps(s) for s in ss)]
        in_year = Q(trainings__date__gte=start, trainings__date__lt=end)
        zero = Value(Decimal("0"), output_field=DecimalField(max_digits=8, decimal_places=2))
        rows = (
            Person.objects.filter(status__in=MEMBER_STATUSES)
            .filter(Q(left_on__isnull=True) | Q(left_on__gt=start))
            .filter(
                Q(org__path__startswith=org.path, left_on__isnull=True) & ~Q(pk__in=list(spans))
                | Q(pk__in=moved_here)
            )
            .values_list("pk", "org__path", "name")
            .annotate(hours=Coalesce(Sum("trainings__hours", filter=in_year), zero))
            .order_by()
        )
        here: dict[int, Decimal] = {}
        trainings = Training.objects.filter(person_id__in=moved_here, date__gte=start, date__lt=end)
        for pid, day, hours in trainings.values_list("person_id", "date", "hours"):
            if any(
                s[0] in in_tree and (s[1] is None or s[1] <= day) and (s[2] is None or day < s[2])
                for s in spans[pid]
            ):
                here[pid] = here.get(pid, Decimal("0")) + hours
        self.keys: list[tuple[Decimal, str, str, int]] = sorted(
            (here.get(pk, Decimal("0")) if pk in spans else Decimal(hours), path, name, pk)
            for pk, path, name, hours in rows
        )

    def __len__(self) -> int:
        return len(self.keys)

    def count(self) -> int:
        return len(self.keys)

    def __getitem__(self, index: slice) -> list[Person]:
        from dangjian.records.models import Attendance

        picked = self.keys[index]
        people = Person.objects.select_related("org").in_bulk([k[3] for k in picked])
        attended = dict(
            Attendance.objects.filter(
                activity__org__in=self.subtree,
                activity__date__gte=self.start,
                activity__date__lt=self.end,
                person_id__in=[k[3] for k in picked],
            )
            .values("person_id")
            .annotate(n=Count("id"))
            .values_list("person_id", "n")
        )
        out: list[Person] = []
        for hours, _, _, pk in picked:
            p = people[pk]
            p.hours = hours  # type: ignore[attr-defined]
            p.attended = attended.get(pk, 0)  # type: ignore[attr-defined]
            out.append(p)
        return out
