"""List pages and home pages: the number of queries does not grow with the data."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.orgs.models import Organization, Term
from dangjian.people.models import Person
from dangjian.policy.store import refresh_all
from dangjian.records.models import Activity, Attendance, Training

# Upper bounds per page, the same at both sizes. Pages read stored findings: counts,
# rankings and lists are grouped queries whose number does not depend on the data.
# Kept whole (`page_cache.page`): a cold load also reads and writes the shared cache
# (generation, a branch's changed mark, lock, page, latest), a constant number of queries
# on the database cache.
KEEPING = 27
KEPT_WHOLE = {"home_branch", "home_committee", "org", "hours", "findings"}
# A later load of a kept page: session, user, grants, pack, freshness, (a branch: its
# changed mark), the page with its generation; a few more for some pages' own lookups.
KEPT_AGAIN = 9

BOUNDS = {
    # The branch and member homes also read the year's schedule: the stored lines of the
    # department's scope (two queries), never an evaluation once the scope is computed.
    "home_branch": 35 + KEEPING,
    "home_committee": 36 + KEEPING,  # one to tell a lone tree (no filter on its records)
    "home_member": 35,
    "org": 20 + KEEPING,
    "ledger": 10,
    "hours": 75 + KEEPING,
    "findings": 70 + KEEPING,
    "person": 65,
    # The schedule: the stored lines, with the scopes' freshness (constant).
    "calendar": 20,
    "activity": 15,
    # Printable books and statistics: a fixed set of grouped queries (the ledger reads
    # three per month of dues); documents are built in memory from those rows.
    "record_book": 12,
    "ledger_book": 55,
    "statistics": 25,
    # Notices: the inbox (an EXISTS per row in the one list query), the outbox with read
    # counts, and a notice's receipts grouped by organisation (unread names capped).
    "notices_in": 15,
    "notices_out": 15,
    "notice_receipts": 25,
    "disclosures": 15,
    # Assessment: grouped queries over the stored findings, members and adjustments.
    "assessment": 40,
    "assessment_breakdown": 45,
    "stars": 40,
    "duty_reviews": 40,
    # Inspections (one paged list with problem counts as subqueries), one inspection, a
    # problem's page with its history, and a responsibility list (one member list for all rows).
    "inspections": 15,
    "inspection": 15,
    "rectification": 15,
    "responsibility": 20,
    # Exports: the receipts one query over the audience with its first read as a subquery;
    # 述职评议 one list query (the tree's pack has no star criteria: no stars export here).
    "notice_receipts_export": 15,
    "duty_reviews_export": 20,
}


def grow(tree, n: int, tag: str) -> None:
    """Add n members to each branch, n/3 more branches, and a year of records for them."""
    year = datetime.date.today().year
    branches = [tree.branch1, tree.branch2]
    for i in range(n // 3):
        org = Organization.objects.create(
            ext_id=f"GB{tag}{i}", name=f"新增{tag}第{i}党支部", type="branch", parent=tree.committee
        )
        org.path = f"{tree.committee.path}{org.pk}/"
        org.depth = tree.committee.depth + 1
        org.save()
        Term.objects.create(org=org, elected_on=datetime.date(year - 3, 1, 1), years=3)
        branches.append(org)
    grow_oversight(tree, [tree.branch1, *branches[2:]], tag)
    people = Person.objects.bulk_create(
        Person(
            ext_id=f"GP{tag}{b.pk}-{i}",
            name=f"党员{b.pk}-{i}",
            org=b,
            status="full",
            joined_on=datetime.date(2015, 1, 1),
        )
        for b in branches
        for i in range(n)
    )
    acts = Activity.objects.bulk_create(
        Activity(
            ext_id=f"GA{tag}{b.pk}-{m}",
            org=b,
            kind="theme_day",
            date=datetime.date(year, m, 10),
            hours=Decimal("2"),
        )
        for b in branches
        for m in range(1, 13)
    )
    Attendance.objects.bulk_create(
        Attendance(activity=a, person=p) for a in acts for p in people if p.org_id == a.org_id
    )
    Attendance.objects.bulk_create(Attendance(activity=a, person=tree.member) for a in acts[:12])
    from dangjian.notices.models import Notice, NoticeTarget

    notices = Notice.objects.bulk_create(
        Notice(
            org=tree.committee,
            title=f"通知{tag}{i}",
            body="正文",
            published_on=datetime.date(year, 1, 1),
            whole_subtree=i % 2 == 0,
        )
        for i in range(n // 3 + 2)
    )
    NoticeTarget.objects.bulk_create(
        NoticeTarget(notice=x, org=b) for x in notices if not x.whole_subtree for b in branches[:3]
    )
    Training.objects.bulk_create(
        Training(
            ext_id=f"GT{tag}{p.pk}-{k}",
            person=p,
            date=datetime.date(year, 3, k + 1),
            hours=Decimal("4"),
            kind="general",
        )
        for p in people
        for k in range(3)
    )


def _notice(tree):
    """A work-committee notice to the whole tree, read by 张一, and a 党务公开 item."""
    from dangjian.core.actor import Actor
    from dangjian.notices import services
    from dangjian.notices.models import Disclosure, Notice

    notice = Notice.objects.filter(org=tree.root).first()
    if notice is None:
        wc = Actor(user=tree.users["wc"], source="web")
        notice = services.notice_publish(
            org=tree.root,
            title="通知",
            body="正文",
            published_on=datetime.date.today(),
            actor=wc,
        )
        services.notice_mark_read(
            notice=notice, actor=Actor(user=tree.users["member"], source="web")
        )
        Disclosure.objects.create(
            org=tree.branch1,
            category="dues",
            title="党费公开",
            content="内容",
            published_on=datetime.date.today(),
        )
    return notice


def grow_oversight(tree, branches: list, tag: str) -> None:
    """An inspection of each new branch (and branch1) with a problem, and a
    responsibility-list item of branch1 per new branch."""
    from dangjian.oversight.models import (
        Inspection,
        Rectification,
        ResponsibilityItem,
        ResponsibilityList,
    )

    year = datetime.date.today().year
    lst, _ = ResponsibilityList.objects.get_or_create(org=tree.branch1, year=year)
    for b in branches:
        act = Activity.objects.create(
            ext_id=f"GI{tag}{b.pk}",
            org=tree.committee,
            kind="inspection",
            date=datetime.date(year, 1, 5),
        )
        inspection = Inspection.objects.create(
            org=tree.committee, year=year, quarter=1, title=f"督查{b.pk}", activity=act
        )
        inspection.targets.set([b, tree.branch1])
        inspection.inspectors.set([tree.members1[1]])
        for org in (b, tree.branch1):
            Rectification.objects.create(
                org=org, title="记录不全", found_on=act.date, source_activity=act
            )
        ResponsibilityItem.objects.create(
            checklist=lst, task=f"事项{b.pk}", responsible=tree.members1[1], rules=["x"]
        )


def pages(tree):
    b1 = tree.branch1
    notice = _notice(tree)
    return {
        "home_branch": ("b1", reverse("web:home")),
        "home_committee": ("wc", reverse("web:home")),
        "home_member": ("member", reverse("web:home")),
        "org": ("wc", reverse("web:org", args=[tree.committee.pk])),
        "ledger": ("wc", reverse("web:org_ledger", args=[tree.root.pk])),
        "hours": ("wc", reverse("web:org_hours", args=[tree.root.pk])),
        "findings": ("wc", reverse("web:org_findings", args=[tree.root.pk])),
        "person": ("b1", reverse("web:person", args=[tree.member.pk])),
        "calendar": ("b1", reverse("web:org_calendar", args=[b1.pk])),
        "activity": ("b1", reverse("web:activity", args=[tree.activity.pk])),
        "record_book": ("b1", reverse("web:record_book_docx", args=[b1.pk])),
        "ledger_book": ("b1", reverse("web:ledger_book_docx", args=[b1.pk])),
        "statistics": ("wc", reverse("web:org_statistics", args=[tree.root.pk])),
        "notices_in": ("member", reverse("web:notices")),
        "notices_out": ("wc", reverse("web:notices") + "?box=out"),
        "notice_receipts": ("wc", reverse("web:notice", args=[notice.pk])),
        "disclosures": ("member", reverse("web:disclosures")),
        "assessment": ("wc", reverse("web:assessment", args=[tree.committee.pk])),
        "assessment_breakdown": (
            "wc",
            reverse("web:assessment_breakdown", args=[tree.committee.pk, b1.pk]),
        ),
        "stars": ("wc", reverse("web:stars", args=[tree.committee.pk])),
        "duty_reviews": ("wc", reverse("web:duty_reviews", args=[tree.committee.pk])),
        "inspections": ("wc", reverse("web:inspections", args=[tree.root.pk])),
        "inspection": ("b1", reverse("web:inspection", args=[_first_inspection(tree)])),
        "rectification": ("b1", reverse("web:rectification", args=[_first_problem(tree)])),
        "responsibility": ("b1", reverse("web:responsibility", args=[b1.pk])),
        "notice_receipts_export": ("wc", reverse("web:notice_receipts_export", args=[notice.pk])),
        "duty_reviews_export": ("wc", reverse("web:duty_reviews_export", args=[tree.committee.pk])),
    }


def _first_inspection(tree) -> int:
    from dangjian.oversight.models import Inspection

    return Inspection.objects.order_by("pk").values_list("pk", flat=True)[0]


def _first_problem(tree) -> int:
    from dangjian.oversight.models import Rectification

    first = Rectification.objects.filter(org=tree.branch1).order_by("pk")
    return first.values_list("pk", flat=True)[0]


def _tokenless(response) -> str:
    """The page without its form token (masked anew for every request)."""
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode())


def measure(tree, login) -> dict[str, int]:
    """Pages read the stored findings (here refreshed first, as the worker would)."""
    refresh_all()
    counts = {}
    for name, (role, url) in pages(tree).items():
        client = login(role)
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name] = len(ctx.captured_queries)
        if name in KEPT_WHOLE:
            with CaptureQueriesContext(connection) as ctx:
                again = client.get(url)
            assert _tokenless(again) == _tokenless(response), name
            counts[f"{name} again"] = len(ctx.captured_queries)
    return counts


@pytest.mark.slow
def test_query_counts_do_not_grow_with_data(tree, login):
    grow(tree, 3, "s")
    small = measure(tree, login)
    grow_more = 60
    grow(tree, grow_more, "b")
    assert Person.objects.count() > 1000
    big = measure(tree, login)
    report = {k: (small[k], big[k]) for k in small}
    for name, bound in BOUNDS.items():
        assert small[name] <= bound, f"{name}: {report}"
        assert big[name] <= bound, (name, report)
        assert big[name] <= small[name], (name, report)
    for name in KEPT_WHOLE:
        assert big[f"{name} again"] <= KEPT_AGAIN, f"{name}: {report}"
