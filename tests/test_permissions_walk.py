"""Walk every URL pattern of the project as every role and check the status code.

Each pattern must have an expectation below: a new URL without one fails
`test_every_url_has_an_expectation`, so whoever adds a route declares who may see it.
Path parameters are filled with objects of the fixture tree (dangjian.web.testing),
all inside 办公室党支部 (branch1): "b1" administers it, "b2" administers the sibling
branch, "member" is 张一 of branch1, "wc" administers the whole tree.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dangjian.orgs.models import Position, Term
from dangjian.people.models import MemberReview, TransferRequest
from dangjian.records.models import Attachment
from dangjian.web import page_findings
from dangjian.web.testing import PASSWORD, Tree, build_tree

ROLES = ["anon", "member", "b1", "b2", "wc"]


def expect(anon: int, member: int, b1: int, b2: int, wc: int) -> dict[str, int]:
    return dict(zip(ROLES, (anon, member, b1, b2, wc), strict=True))


LOGIN = 302  # anonymous users are sent to the sign-in page
ALL_OK = expect(200, 200, 200, 200, 200)
SIGNED_IN = expect(LOGIN, 200, 200, 200, 200)
# Pages of branch1 for its administrators: a member sees the branch (403), b2 does not (404).
ADMIN_OF_BRANCH1 = expect(LOGIN, 403, 200, 404, 200)
# The branch schedule: members of the branch see it too.
SCHEDULE_OF_BRANCH1 = expect(LOGIN, 200, 200, 404, 200)

EXPECTED: dict[str, dict[str, int]] = {
    # --- web pages ---
    "web:login": ALL_OK,
    "web:logout": expect(405, 405, 405, 405, 405),  # sign-out is a POST
    "web:password_change": SIGNED_IN,
    "web:password_change_done": SIGNED_IN,
    "web:home": SIGNED_IN,
    "web:org_list": SIGNED_IN,
    "web:org": ADMIN_OF_BRANCH1,
    "web:org_pack": expect(LOGIN, 405, 405, 405, 405),  # POST only
    "web:org_ledger": ADMIN_OF_BRANCH1,
    "web:org_hours": ADMIN_OF_BRANCH1,
    "web:org_filings": ADMIN_OF_BRANCH1,
    "web:org_findings": ADMIN_OF_BRANCH1,
    "web:org_calendar": SCHEDULE_OF_BRANCH1,
    "web:org_calendar_ics": SCHEDULE_OF_BRANCH1,
    "web:org_compare": ADMIN_OF_BRANCH1,
    "web:org_calendar_feed": expect(LOGIN, 405, 405, 405, 405),  # POST to issue or revoke
    "web:calendar_feed": expect(404, 404, 404, 404, 404),  # an unknown secret link
    "web:activity_new": ADMIN_OF_BRANCH1,
    "web:training_new": ADMIN_OF_BRANCH1,
    "web:filing_new": ADMIN_OF_BRANCH1,
    "web:activity": ADMIN_OF_BRANCH1,
    "web:activity_edit": ADMIN_OF_BRANCH1,
    "web:activity_delete": expect(LOGIN, 405, 405, 405, 405),  # POST only
    "web:absence_makeup": expect(LOGIN, 405, 405, 405, 405),  # POST only
    "web:attachment": ADMIN_OF_BRANCH1,
    # 张一's own page: himself, his branch's admin and the work committee.
    "web:person": expect(LOGIN, 200, 200, 404, 200),
    # Only a login linked to a member has a "me" page.
    "web:me": expect(LOGIN, 302, 404, 404, 404),
    # A meeting 张一 attended, read-only for him; administrators have their own page for it.
    "web:my_activity": expect(LOGIN, 200, 404, 404, 404),
    # The findings list defaults to the user's own subtree; members have none.
    "web:findings": expect(LOGIN, 403, 200, 200, 200),
    "web:finding": ADMIN_OF_BRANCH1,
    "web:rules": SIGNED_IN,
    "web:rule_pack": SIGNED_IN,
    # The rectification loop of branch1 (list, open one, one rectification): its admins only.
    "web:rectifications": ADMIN_OF_BRANCH1,
    "web:rectification_new": ADMIN_OF_BRANCH1,
    "web:rectification": ADMIN_OF_BRANCH1,
    "web:rectification_send_back": expect(LOGIN, 405, 405, 405, 405),  # POST only
    # Inspections (督查): branch1's list and export for its admins; a branch does not
    # inspect, so its "new" page is refused even to the work committee. The inspection of
    # branch1 by the organ committee: seen by branch1's admins, recorded by the committee's.
    "web:inspections": ADMIN_OF_BRANCH1,
    "web:inspection_new": expect(LOGIN, 403, 403, 404, 403),
    "web:inspection_export": ADMIN_OF_BRANCH1,
    "web:inspection": expect(LOGIN, 404, 200, 404, 200),
    "web:inspection_record": expect(LOGIN, 404, 403, 404, 200),
    # branch1's responsibility list (责任清单) and its export.
    "web:responsibility": ADMIN_OF_BRANCH1,
    "web:responsibility_export": ADMIN_OF_BRANCH1,
    # Keeping records (members, posts, elections, transfers, organisations).
    "web:org_tree": SIGNED_IN,  # the tree of what the user administers (empty for a member)
    "web:org_manage": ADMIN_OF_BRANCH1,
    "web:members": ADMIN_OF_BRANCH1,
    "web:member_new": ADMIN_OF_BRANCH1,
    "web:person_edit": ADMIN_OF_BRANCH1,
    "web:person_leave": ADMIN_OF_BRANCH1,
    "web:leadership": ADMIN_OF_BRANCH1,
    "web:position_end": expect(LOGIN, 405, 405, 405, 405),  # POST only
    "web:election_new": ADMIN_OF_BRANCH1,
    "web:transfers": ADMIN_OF_BRANCH1,
    "web:transfer_accept": expect(LOGIN, 405, 405, 405, 405),
    "web:transfer_cancel": expect(LOGIN, 405, 405, 405, 405),
    # The audit log: the audit administrator (审计管理员) only; nobody in the tree is one.
    "web:audit_log": expect(LOGIN, 403, 403, 403, 403),
    # Members' lifecycle: branch1's dues ledger (and its recording form) and its export.
    "web:dues_ledger": ADMIN_OF_BRANCH1,
    "web:dues_export": ADMIN_OF_BRANCH1,
    "web:pipeline": ADMIN_OF_BRANCH1,  # the admission pipeline and its step form
    # Printable books (记录簿, 台账: Word and PDF) and the annual statistics of branch1.
    "web:org_books": ADMIN_OF_BRANCH1,
    "web:record_book_docx": ADMIN_OF_BRANCH1,
    "web:record_book_pdf": ADMIN_OF_BRANCH1,
    "web:ledger_book_docx": ADMIN_OF_BRANCH1,
    "web:ledger_book_pdf": ADMIN_OF_BRANCH1,
    "web:org_statistics": ADMIN_OF_BRANCH1,
    "web:statistics_export": ADMIN_OF_BRANCH1,
    # Notices: the organ committee's notice went to branch1 only (not branch2): its member,
    # its administrator and those above the publisher open it; b2 gets a 404.
    "web:notices": SIGNED_IN,  # each user's own inbox (and outbox for administrators)
    "web:notice_new": ADMIN_OF_BRANCH1,
    "web:notice": expect(LOGIN, 200, 200, 404, 200),
    "web:notice_attachment": expect(LOGIN, 200, 200, 404, 200),
    # per-member read receipts: the publishing committee's administrators (wc) only
    "web:notice_receipts_export": expect(LOGIN, 403, 403, 404, 200),
    # 党务公开 of branch1: its members read them, its administrators publish.
    "web:disclosures": SIGNED_IN,
    "web:org_disclosures": expect(LOGIN, 200, 200, 404, 200),
    "web:disclosure": expect(LOGIN, 200, 200, 404, 200),
    "web:disclosure_delete": expect(LOGIN, 405, 405, 405, 405),  # POST only
    # Assessment (branch1's pages: a branch ranks nothing, the page says so), stars and
    # 述职评议 of branch1; the export and a breakdown are the organ committee's (its ranking
    # of branch1): only the work committee administers it, the others do not see it.
    "web:assessment": ADMIN_OF_BRANCH1,
    "web:assessment_publish": expect(LOGIN, 405, 405, 405, 405),  # POST only
    "web:assessment_export": expect(LOGIN, 404, 404, 404, 200),
    "web:assessment_breakdown": expect(LOGIN, 404, 404, 404, 200),
    "web:stars": ADMIN_OF_BRANCH1,
    "web:stars_export": expect(LOGIN, 403, 404, 404, 404),  # branch1's pack has no stars
    "web:duty_reviews": ADMIN_OF_BRANCH1,
    "web:duty_reviews_export": ADMIN_OF_BRANCH1,
    # 民主评议党员 (the year's form, the export, a 不合格 member's handling) and
    # 到社区报到 (registrations, service hours, summary, export): branch1's admins only.
    "web:reviews": ADMIN_OF_BRANCH1,
    "web:reviews_export": ADMIN_OF_BRANCH1,
    "web:review_handling": expect(LOGIN, 404, 200, 404, 200),  # found via administered orgs
    "web:community": ADMIN_OF_BRANCH1,
    "web:community_export": ADMIN_OF_BRANCH1,
    "web:points": ADMIN_OF_BRANCH1,  # 党员积分 (says 未启用 unless switched on)
    # --- HTTP API (token or session; anonymous gets 401) ---
    "api:token": expect(405, 405, 405, 405, 405),  # POST username/password for a token
    "api:schema": ALL_OK,
    "api:docs": ALL_OK,
    "api:docs-asset": ALL_OK,
    # Lists are scoped (a member's list holds their own records), so 200 for everyone.
    "api:organization-list": expect(401, 200, 200, 200, 200),
    "api:person-list": expect(401, 200, 200, 200, 200),
    "api:position-list": expect(401, 200, 200, 200, 200),
    "api:term-list": expect(401, 200, 200, 200, 200),
    "api:activity-list": expect(401, 200, 200, 200, 200),
    "api:training-list": expect(401, 200, 200, 200, 200),
    "api:filing-list": expect(401, 200, 200, 200, 200),
    # Details of branch1's records: the member sees his branch, an activity he attended and
    # his own training, not the branch's filings; b2 sees none of them.
    "api:organization-detail": expect(401, 200, 200, 404, 200),
    "api:person-detail": expect(401, 200, 200, 404, 200),
    "api:activity-detail": expect(401, 200, 200, 404, 200),
    "api:training-detail": expect(401, 200, 200, 404, 200),
    "api:filing-detail": expect(401, 404, 200, 404, 200),
    "api:checks": expect(401, 405, 405, 405, 405),  # POST to run a check
    # Inspections and responsibility lists: scoped lists; branch1's records for its admins.
    "api:inspection-list": expect(401, 200, 200, 200, 200),
    "api:inspection-detail": expect(401, 404, 200, 404, 200),
    "api:inspection-record": expect(401, 405, 405, 405, 405),
    "api:responsibility-list-list": expect(401, 200, 200, 200, 200),
    "api:responsibility-list-detail": expect(401, 404, 200, 404, 200),
    "api:responsibility-list-file": expect(401, 405, 405, 405, 405),
    # Keeping records: POST-only actions; details of branch1's post and term; the pending
    # transfer from branch2 to branch1 is seen by both sides, not by the member.
    "api:organization-move": expect(401, 405, 405, 405, 405),
    "api:organization-dissolve": expect(401, 405, 405, 405, 405),
    "api:person-leave": expect(401, 405, 405, 405, 405),
    "api:position-detail": expect(401, 404, 200, 404, 200),
    "api:position-end": expect(401, 405, 405, 405, 405),
    "api:term-detail": expect(401, 200, 200, 404, 200),
    "api:transfer-list": expect(401, 200, 200, 200, 200),
    "api:transfer-detail": expect(401, 404, 200, 200, 200),
    "api:transfer-accept": expect(401, 405, 405, 405, 405),
    "api:transfer-cancel": expect(401, 405, 405, 405, 405),
    "api:transfer-outside": expect(401, 405, 405, 405, 405),
    "api:transfer-incoming": expect(401, 405, 405, 405, 405),
    # An organisation outside the caller's view is a 400 naming the `org` parameter.
    "api:findings": expect(401, 200, 200, 400, 200),
    "api:schedule": expect(401, 200, 200, 400, 200),
    # branch1's dues ledger: administrators only (the member sees the branch: 403).
    "api:dues": expect(401, 403, 200, 400, 200),
    # branch1's books and statistics: administrators only, like the dues ledger.
    "api:record-book": expect(401, 403, 200, 400, 200),
    "api:ledger-book": expect(401, 403, 200, 400, 200),
    "api:statistics": expect(401, 403, 200, 400, 200),
    # Notices: lists are the caller's own; the committee's notice to branch1 is opened by
    # branch1's member and administrator and by the work committee, not by b2 (404); its
    # receipts are for the publishing committee's administrators (wc) only.
    "api:notice-list": expect(401, 200, 200, 200, 200),
    "api:notice-detail": expect(401, 200, 200, 404, 200),
    "api:notice-receipts": expect(401, 403, 403, 404, 200),
    # 党务公开: each caller's readable items (their organisation's, above it, administered)
    "api:disclosure-list": expect(401, 200, 200, 200, 200),
    # Assessment over the API: administrators of the organisation (here branch1: it ranks
    # nothing, 404; the member sees the branch: 403; b2 does not: 400 naming `org`).
    "api:assessment": expect(401, 403, 404, 400, 404),
    "api:assessment-breakdown": expect(401, 403, 400, 400, 400),
    "api:assessment-adjust": expect(401, 405, 405, 405, 405),  # POST only
    "api:stars": expect(401, 403, 404, 400, 404),  # branch1's pack has no star criteria
    "api:duty-reviews": expect(401, 403, 200, 400, 200),
    # --- Excel import/export (administrators) ---
    # The same over the API (org in the query; b2 asking about branch1 gets 400 naming it).
    "api:reviews": expect(401, 403, 200, 400, 200),
    "api:community": expect(401, 403, 200, 400, 200),
    # p3's review of last year (found via administered organisations; ETag, PATCH If-Match).
    "api:review-detail": expect(401, 404, 200, 404, 200),
    "api:community-registrations": expect(401, 405, 405, 405, 405),  # POST only
    "api:community-services": expect(401, 405, 405, 405, 405),
    "spreadsheets:index": expect(LOGIN, 403, 200, 200, 200),
    "spreadsheets:template": expect(LOGIN, 403, 200, 200, 200),
    "spreadsheets:export": expect(LOGIN, 403, 200, 404, 200),
    "spreadsheets:upload": expect(405, 405, 405, 405, 405),  # POST only
    "spreadsheets:preview": expect(LOGIN, 403, 404, 404, 404),  # no such upload
    "spreadsheets:failed": expect(LOGIN, 403, 404, 404, 404),
    "spreadsheets:commit": expect(405, 405, 405, 405, 405),
    "spreadsheets:choose": expect(405, 405, 405, 405, 405),
    "spreadsheets:discard": expect(405, 405, 405, 405, 405),
}

# Django admin: nobody in the tree is staff, so every admin page sends to the admin login.
ADMIN_DEFAULT = expect(302, 302, 302, 302, 302)
ADMIN_SPECIAL = {
    "admin:login": ALL_OK,
    "admin:logout": expect(302, 302, 302, 302, 302),
}


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the full pattern for unnamed routes
    name: str | None
    params: tuple[str, ...]


def walk(patterns: list, ns: str = "", prefix: str = "") -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            child_ns = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from walk(p.url_patterns, child_ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            pattern = p.pattern
            converters = getattr(pattern, "converters", None)
            if converters:
                params = tuple(converters)
            else:
                regex = getattr(pattern, "regex", None)
                params = tuple(regex.groupindex) if regex is not None else ()
            name = f"{ns}{p.name}" if p.name else None
            yield Route(key=name or prefix + str(pattern), name=name, params=params)


def all_routes() -> list[Route]:
    return list(walk(get_resolver().url_patterns))


def expectation(route: Route) -> dict[str, int] | None:
    if route.key in EXPECTED:
        return EXPECTED[route.key]
    if route.key.startswith("admin:"):
        return ADMIN_SPECIAL.get(route.key, ADMIN_DEFAULT)
    if route.name is None and route.key.startswith("admin/"):
        return ADMIN_DEFAULT  # the admin's catch-all
    return None


def test_every_url_has_an_expectation():
    missing = sorted({r.key for r in all_routes() if expectation(r) is None})
    assert not missing, f"URL patterns without a declared expectation: {missing}"


def fill(route: Route, tree: Tree, attachment: Attachment, finding_key: str) -> str:
    values: dict[str, object] = {}
    for param in route.params:
        if param in ("org_pk", "subject_pk"):
            values[param] = tree.branch1.pk
        elif route.key == "api:review-detail":
            values[param] = (
                tree.members1[3].ext_id if param == "person" else datetime.date.today().year - 1
            )
        elif param in ("pk", "id", "ext_id") and route.key in API_DETAIL:
            values[param] = API_DETAIL[route.key](tree)
        elif param == "pk":
            values[param] = pk_for(route.key, tree, attachment)
        elif param == "year":
            values[param] = datetime.date.today().year
        elif (param == "key" and route.key == "spreadsheets:template") or (
            param == "kind" and route.key == "spreadsheets:export"
        ):
            values[param] = "ledger"
        elif param == "token":
            values[param] = "no-such-upload"
        elif param == "key":
            values[param] = finding_key
        elif param == "pack_id":
            values[param] = "national"
        elif param == "format":
            values[param] = "json"
        elif param in ("object_id",):
            values[param] = str(tree.root.pk)
        elif param == "content_type_id":
            values[param] = 1
        elif param == "app_label":
            values[param] = "orgs"
        elif param == "name":
            values[param] = "swagger-ui.css"
        else:
            values[param] = "1"
    if route.name is None:
        return "/admin/no-such-page/"
    return reverse(route.name, kwargs=values or None) + query_for(route.key, tree)


def query_for(key: str, tree: Tree) -> str:
    """Query parameters some routes need to reach their permission check."""
    year = datetime.date.today().year
    if key == "spreadsheets:export":
        return f"?org={tree.branch1.ext_id}&year={year}"
    if key in ("api:findings", "api:schedule"):
        return f"?org={tree.branch1.ext_id}&year={year}"
    if key in ("api:record-book", "api:ledger-book", "api:statistics"):
        return f"?org={tree.branch1.ext_id}&year={year}"
    if key in ("web:record_book_pdf", "web:ledger_book_pdf", "web:statistics_export"):
        return f"?year={year}"
    if key == "api:dues":
        return f"?org={tree.branch1.ext_id}&month={year}-01"
    if key in ("api:assessment", "api:stars", "api:duty-reviews"):
        return f"?org={tree.branch1.ext_id}&year={year}"
    if key == "api:assessment-breakdown":
        return f"?org={tree.branch1.ext_id}&subject={tree.branch1.ext_id}&year={year}"
    if key in ("api:reviews", "api:community"):
        return f"?org={tree.branch1.ext_id}&year={year}"
    return ""


# API detail routes look records up by external id.
API_DETAIL = {
    "api:organization-detail": lambda t: t.branch1.ext_id,
    "api:person-detail": lambda t: t.member.ext_id,
    "api:activity-detail": lambda t: t.activity.ext_id,
    "api:training-detail": lambda t: t.training.ext_id,
    "api:filing-detail": lambda t: t.filing.ext_id,
    "api:organization-move": lambda t: t.branch1.ext_id,
    "api:organization-dissolve": lambda t: t.branch1.ext_id,
    "api:person-leave": lambda t: t.member.ext_id,
    "api:position-detail": lambda t: _secretary(t).pk,
    "api:position-end": lambda t: _secretary(t).pk,
    "api:term-detail": lambda t: _term(t).pk,
    "api:transfer-detail": lambda t: _pending(t).pk,
    "api:transfer-accept": lambda t: _pending(t).pk,
    "api:transfer-cancel": lambda t: _pending(t).pk,
    "api:notice-detail": lambda t: _notice(t).pk,
    "api:notice-receipts": lambda t: _notice(t).pk,
    "api:inspection-detail": lambda t: _inspection(t).ext_id,
    "api:inspection-record": lambda t: _inspection(t).ext_id,
    "api:responsibility-list-detail": lambda t: _responsibility(t).pk,
    "api:responsibility-list-file": lambda t: _responsibility(t).pk,
}


def _notice(tree: Tree):  # type: ignore[no-untyped-def]
    from dangjian.notices.models import Notice

    return Notice.objects.get(org=tree.committee, title="关于开展主题党日的通知")


def _inspection(tree: Tree):
    from dangjian.oversight.models import Inspection

    return Inspection.objects.get(org=tree.committee)


def _responsibility(tree: Tree):
    from dangjian.oversight.models import ResponsibilityList

    return ResponsibilityList.objects.get(org=tree.branch1)


def _secretary(tree: Tree) -> Position:
    return Position.objects.get(org=tree.branch1, role="secretary")


def _term(tree: Tree) -> Term:
    return Term.objects.get(org=tree.branch1)


def _review(tree: Tree) -> MemberReview:
    return MemberReview.objects.get(person=tree.members1[3])


def _pending(tree: Tree) -> TransferRequest:
    return TransferRequest.objects.get(to_org=tree.branch1, letter="W-1")


def pk_for(key: str, tree: Tree, attachment: Attachment) -> int:
    name = key.split(":", 1)[1]
    if name in ("activity", "activity_edit", "activity_delete") or "activity" in name:
        assert tree.activity is not None
        return tree.activity.pk
    if name == "attachment":
        return attachment.pk
    if name == "position_end":
        return _secretary(tree).pk
    if name in ("assessment_export", "assessment_breakdown"):
        return tree.committee.pk
    if name == "review_handling":
        return _review(tree).pk
    if name.startswith("transfer_"):
        return _pending(tree).pk
    if name in ("notice", "notice_attachment", "notice_receipts_export"):
        return _notice(tree).pk
    if name in ("disclosure", "disclosure_delete"):
        from dangjian.notices.models import Disclosure

        return Disclosure.objects.get(org=tree.branch1).pk
    if name in ("inspection", "inspection_record"):
        return _inspection(tree).pk
    if name in ("rectification", "rectification_send_back"):
        from dangjian.oversight.models import Rectification

        return Rectification.objects.get(org=tree.branch1).pk
    if name == "person" or name.startswith("person"):
        return tree.member.pk
    if name.startswith("training"):
        assert tree.training is not None
        return tree.training.pk
    if name.startswith("filing"):
        assert tree.filing is not None
        return tree.filing.pk
    return tree.branch1.pk


@pytest.fixture
def world(db, tmp_path, settings):
    from django.core.cache import cache

    cache.clear()  # cached findings are keyed by primary keys a rolled-back test may reuse
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = build_tree()
    attachment = Attachment(
        activity=tree.activity, name="记录.pdf", content_type="application/pdf", size=9
    )
    attachment.file.save("scan.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    from dangjian.oversight.models import Rectification

    Rectification.objects.create(
        org=tree.branch1, title="未按期召开支部委员会", found_on=datetime.date.today()
    )
    # The organ committee's notice to branch1 only (with an attachment), and a 党务公开
    # item of branch1.
    from dangjian.notices.models import Disclosure, Notice, NoticeTarget

    notice = Notice(
        org=tree.committee,
        title="关于开展主题党日的通知",
        body="请各支部按时开展。",
        published_on=datetime.date.today(),
        whole_subtree=False,
        attachment_name="通知.pdf",
        attachment_type="application/pdf",
        attachment_size=9,
    )
    notice.attachment.save("notice.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    NoticeTarget.objects.create(notice=notice, org=tree.branch1)
    Disclosure.objects.create(
        org=tree.branch1,
        category="dues",
        title="上半年党费收缴情况",
        content="应交与实交一致。",
        published_on=datetime.date.today(),
    )
    from dangjian.oversight.models import Inspection, ResponsibilityList

    # A planned inspection of branch1 by the organ committee, and branch1's list.
    inspection = Inspection.objects.create(
        org=tree.committee, year=datetime.date.today().year, quarter=1, title="季度督查"
    )
    inspection.targets.set([tree.branch1])
    ResponsibilityList.objects.create(org=tree.branch1, year=datetime.date.today().year)
    # A pending transfer from branch2 into branch1: both sides see it, the member does not.
    TransferRequest.objects.create(
        person=tree.members2[0],
        from_org=tree.branch2,
        to_org=tree.branch1,
        date=datetime.date.today(),
        letter="W-1",
    )
    # p3 of branch1 was found 不合格 last year: its handling is branch1's to record.
    today = datetime.date.today()
    MemberReview.objects.create(
        person=tree.members1[3],
        year=today.year - 1,
        outcome="unqualified",
        reviewed_on=datetime.date(today.year - 1, 12, 1),
    )
    keys = [f.key for f in page_findings.findings(tree.branch1, datetime.date.today().year)]
    return tree, attachment, (keys[0] if keys else "0" * 16)


@pytest.mark.parametrize("role", ROLES)
def test_status_codes_per_role(world, role):
    tree, attachment, finding_key = world
    client = Client()
    if role != "anon":
        assert client.login(username=tree.users[role].get_username(), password=PASSWORD)
    wrong = []
    checked = 0
    for route in all_routes():
        want = expectation(route)
        if want is None:
            continue  # reported by test_every_url_has_an_expectation
        url = fill(route, tree, attachment, finding_key)
        got = client.get(url).status_code
        checked += 1
        if got != want[role]:
            wrong.append(f"{route.key} {url}: expected {want[role]}, got {got}")
    assert checked > 20
    assert not wrong, "\n".join(wrong)


def test_finding_key_is_real(world):
    """The walk reaches a real finding's page (branch1 held no theme day this year)."""
    _, _, key = world
    assert key != "0" * 16


# ---------------------------------------------------------------- writes of kept records
# Every write URL of record keeping, POSTed by every role with a body that would do the
# write in branch1. A member and the other branch's administrator get 403 or 404;
# anonymous users are sent to sign in (pages) or get 401 (API). "ok" = the request
# reached the service (saved, or a form/400 naming what is wrong): not 401/403/404/405/5xx.
DENIED = {403, 404}
WRITE_WALK: list[tuple[str, str, object, dict[str, object]]] = []


def _w(key: str, url: str, body: object, **roles: object) -> None:
    want: dict[str, object] = {"member": DENIED, "b2": DENIED, "b1": "ok", "wc": "ok"}
    want.update(roles)
    WRITE_WALK.append((key, url, body, want))


_w(
    "web:org_manage",
    "/orgs/{b1}/manage/",
    {"kind": "create", "create-name": "新党小组", "create-type": "party_cell"},
)
# Renaming, moving, dissolving a branch is for its parent's administrators: b1's own
# grant does not reach the parent, so the form says so (200, nothing changed).
_w("web:org_manage", "/orgs/{b1}/manage/", {"kind": "rename", "rename-name": "改名"})
_w("web:members", "/orgs/{b1}/members/", {})
_w(
    "web:member_new",
    "/orgs/{b1}/members/new/",
    {
        "name": "新人",
        "status": "full",
        "employment": "in_service",
        "joined_on": "2020-01-01",
        "full_on": "2021-01-01",
    },
)
_w(
    "web:person_edit",
    "/people/{member}/edit/",
    {
        "name": "张一",
        "status": "full",
        "employment": "in_service",
        "joined_on": "2010-07-01",
        "full_on": "2011-07-01",
    },
)
_w("web:person_leave", "/people/{p3}/leave/", {"date": "2026-01-01", "reason": "other"})
_w(
    "web:leadership",
    "/orgs/{b1}/leadership/",
    {"person": "{p3}", "role": "committee_member", "start": "2026-01-01"},
)
_w("web:position_end", "/positions/{sec}/end/", {"end": "2099-01-01"})
_w(
    "web:election_new",
    "/orgs/{b1}/election/",
    {"elected_on": "2099-01-01", "years": "3", "person_0": "{p3}", "role_0": "secretary"},
)
_w(
    "web:transfers",
    "/orgs/{b1}/transfers/",
    {"kind": "out", "out-person": "{p3}", "out-date": "2099-01-01", "out-letter": "L"},
)
# The pending transfer comes from branch2: b2 is its sending side and may withdraw it,
# but only the receiving side (b1) may accept it.
_w("web:transfer_accept", "/transfers/{pending}/accept/", {}, b2=DENIED)
_w("web:transfer_cancel", "/transfers/{pending}/cancel/", {}, b2="ok")
# Taking an admission step in branch1 (its people are all full members: the form says so).
_w(
    "web:pipeline",
    "/orgs/{b1}/pipeline/",
    {"person": "{p3}", "step": "talked", "date": "2026-01-01", "evidence": "谈话记录"},
)
# The year's review of branch1 in one form; p3's handling; a registration and a service.
_w(
    "web:reviews",
    "/orgs/{b1}/reviews/",
    {"reviewed_on": "2026-01-01", "outcome_{p3}": "qualified"},
)
_w(
    "web:review_handling",
    "/reviews/{review}/handling/",
    {"correction_due": "2099-01-01", "decision": "", "decided_on": "", "version": ""},
)
_w(
    "web:community",
    "/orgs/{b1}/community/",
    {"reg-person": "{p3}", "reg-community": "幸福社区", "reg-registered_on": "2026-01-01"},
)
_w(
    "web:community",
    "/orgs/{b1}/community/",
    {"svc-person": "{p3}", "svc-date": "2026-01-01", "svc-hours": "2"},
)
# Recording a month's dues for branch1 (the export is read-only: GET only, walked above).
_w(
    "web:dues_ledger",
    "/orgs/{b1}/dues/",
    {"paid_on": "2026-01-01", "pay_{p3}": "on", "amount_{p3}": "15", "months_{p3}": "1"},
)

# Publishing a notice from branch1 (to its whole subtree) and a 党务公开 item of branch1.
_w(
    "web:notice_new",
    "/orgs/{b1}/notices/new/",
    {"title": "通知", "body": "正文", "published_on": "2026-01-05", "scope": "all"},
)
_w(
    "web:org_disclosures",
    "/orgs/{b1}/disclosures/",
    {"category": "dues", "title": "党费公开", "content": "内容", "published_on": "2026-01-05"},
)
_w(
    "api:notice-list",
    "/api/v1/notices/",
    {"org": "TB1", "title": "通知", "body": "正文"},
    b2={400},
)

_w(
    "api:disclosure-list",
    "/api/v1/disclosures/",
    {"org": "TB1", "category": "dues", "title": "党费公开", "content": "内容"},
    b2={400},
)

_API_PERSON = {
    "name": "新人",
    "org": "TB1",
    "status": "full",
    "joined_on": "2020-01-01",
    "full_on": "2021-01-01",
}
_w("api:person-list", "/api/v1/people/", _API_PERSON)
_w(
    "api:dues",
    "/api/v1/dues/",
    {
        "org": "TB1",
        "month": "2026-01",
        "paid_on": "2026-01-31",
        "payments": [{"person": "{p3_ext}", "amount": "15.00", "months": 1}],
    },
    b2={400},
)
_w(
    "api:reviews",
    "/api/v1/reviews/",
    {
        "org": "TB1",
        "year": 2025,
        "reviewed_on": "2026-01-05",
        "outcomes": [{"person": "{p3_ext}", "outcome": "excellent"}],
    },
    b2={400},
)
_w("api:review-detail", "/api/v1/reviews/{p3_ext}/{last_year}/", {"correction_due": "2099-01-01"})
_w(
    "api:community-registrations",
    "/api/v1/community/registrations/?org=TB1",
    {"person": "{p3_ext}", "community": "幸福社区", "registered_on": "2026-01-01"},
    b2={400},
)
_w(
    "api:community-services",
    "/api/v1/community/services/?org=TB1",
    {"person": "{p3_ext}", "date": "2026-01-01", "hours": "2.0"},
    b2={400},
)
_w("api:person-detail", "/api/v1/people/{member_ext}/", {"name": "张一"})
_w("api:person-leave", "/api/v1/people/{p3_ext}/leave/", {"date": "2026-01-01", "reason": "other"})
_w(
    "api:position-list",
    "/api/v1/positions/",
    {"person": "{p3_ext}", "org": "TB1", "role": "committee_member", "start": "2026-01-01"},
)
_w("api:position-end", "/api/v1/positions/{sec}/end/", {"end": "2099-01-01"})
_w(
    "api:term-list",
    "/api/v1/terms/",
    {
        "org": "TB1",
        "elected_on": "2099-01-01",
        "years": 3,
        "committee": [{"person": "{p3_ext}", "role": "secretary"}],
    },
)
_w(
    "api:transfer-list",
    "/api/v1/transfers/",
    {"person": "{p3_ext}", "to_org": "TB2", "date": "2099-01-01"},
)
_w("api:transfer-accept", "/api/v1/transfers/{pending}/accept/", {}, b2=DENIED)
_w("api:transfer-cancel", "/api/v1/transfers/{pending}/cancel/", {}, b2="ok")
_w(
    "api:transfer-outside",
    "/api/v1/transfers/outside/",
    {"person": "{p3_ext}", "date": "2099-01-01", "letter": "L"},
)
_w(
    "api:transfer-incoming",
    "/api/v1/transfers/incoming/",
    {"to_org": "TB1", "date": "2099-01-01", "letter": "L", "person": _API_PERSON},
)
_w(
    "api:organization-list",
    "/api/v1/organizations/",
    {"name": "新党小组", "type": "party_cell", "parent": "TB1"},
)
# Renaming, moving and dissolving branch1 is for its parent's administrators only.
_w("api:organization-detail", "/api/v1/organizations/TB1/", {"name": "改名"}, b1=DENIED)
_w("api:organization-move", "/api/v1/organizations/TB1/move/", {"parent": "TPG"}, b1=DENIED)
_w(
    "api:organization-dissolve",
    "/api/v1/organizations/TB1/dissolve/",
    {"date": "2099-01-01"},
    b1=DENIED,
)
# Assessment: an adjustment of branch2's score (branch1 has been moved by now) and
# publishing are the organ committee's (neither branch administrator sees it); 述职评议
# recorded by branch1 itself reaches the form.
_w(
    "web:assessment_breakdown",
    "/orgs/{oc}/assessment/{b2}/",
    {"year": "2026", "points": "1", "reason": "测试"},
    b1=DENIED,
)
_w("web:assessment_publish", "/orgs/{oc}/assessment/publish/", {"year": "2026"}, b1=DENIED)
_w("web:stars", "/orgs/{oc}/stars/", {"year": "2026"}, b1=DENIED)
_w("web:duty_reviews", "/orgs/{b1}/duty-reviews/", {"year": "2025"})
_w(
    "api:assessment-adjust",
    "/api/v1/assessment/adjustments/",
    {"org": "TOC", "subject": "TB2", "year": 2026, "points": "1", "reason": "测试"},
    b1={400, 403},
    b2={400, 403},
    member={400, 403},
)
_w(
    "api:duty-reviews",
    "/api/v1/duty-reviews/?org=TOC",
    {
        "org": "TB1",
        "reporter": "{sec_ext}",
        "role": "branch_secretary",
        "year": 2025,
        "held_on": "2026-01-10",
        "grade": "good",
    },
    b1={400, 403},
    b2={400, 403},
    member={400, 403},
)


# Inspections, responsibility lists, sending a rectification back.
_w(
    "web:inspection_new",
    "/orgs/{oc}/inspections/new/",
    {"year": "2026", "quarter": "1", "title": "督查", "targets": ["{b1}"]},
    b1=DENIED,
)
_w(
    "api:inspection-list",
    "/api/v1/inspections/",
    {"org": "TOC", "year": 2026, "quarter": 1, "title": "督查", "targets": ["TB1"]},
    b1=DENIED,
)
_w("web:responsibility", "/orgs/{b1}/responsibility/", {"action": "save", "rows": "0"})
_w(
    "api:responsibility-list-list",
    "/api/v1/responsibility-lists/",
    {"org": "TB1", "year": 2026, "items": [{"task": "主题党日", "responsible_name": "书记"}]},
)
_w("web:rectification_send_back", "/rectifications/{rect}/send-back/", {"on": "2026-01-01"})


def _fill_write(text: str, tree: Tree) -> str:
    values = {
        "b1": tree.branch1.pk,
        "member": tree.member.pk,
        "member_ext": tree.member.ext_id,
        "p3": tree.members1[3].pk,
        "p3_ext": tree.members1[3].ext_id,
        "sec": _secretary(tree).pk,
        "sec_ext": _secretary(tree).person.ext_id,
        "oc": tree.committee.pk,
        "b2": tree.branch2.pk,
        "pending": _pending(tree).pk,
        "rect": _rect_pk(tree),
        "review": _review(tree).pk,
        "last_year": datetime.date.today().year - 1,
    }
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def _rect_pk(tree: Tree) -> int:
    from dangjian.oversight.models import Rectification

    return Rectification.objects.get(org=tree.branch1).pk


def _fill_body(body: object, tree: Tree) -> object:
    if isinstance(body, dict):
        return {_fill_write(k, tree): _fill_body(v, tree) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill_body(v, tree) for v in body]
    return _fill_write(body, tree) if isinstance(body, str) else body


def test_every_write_url_of_record_keeping_is_walked():
    walked = {key for key, *_ in WRITE_WALK}
    keeping = {
        k
        for k in EXPECTED
        if k.startswith(("api:transfer", "api:position", "api:term", "api:person"))
        or k.startswith(("api:organization", "web:org_manage", "web:member", "web:person_"))
        or k in ("web:leadership", "web:position_end", "web:election_new", "web:transfers")
        or k.startswith("web:transfer_")
        or k in ("web:dues_ledger", "web:pipeline", "web:reviews", "web:review_handling")
        or k in ("web:community", "api:reviews", "api:community-registrations")
        or k in ("api:community-services", "api:review-detail")
    }
    keeping -= {"api:position-detail", "api:term-detail", "api:transfer-detail"}  # read-only
    assert keeping <= walked, sorted(keeping - walked)


@pytest.mark.parametrize("role", ROLES)
def test_writes_per_role(world, role):
    import json

    from rest_framework.test import APIClient

    tree, _, _ = world
    web, api = Client(), APIClient()
    if role != "anon":
        assert web.login(username=tree.users[role].get_username(), password=PASSWORD)
        api.force_authenticate(tree.users[role])
    wrong = []
    for key, url, body, want in WRITE_WALK:
        url = _fill_write(url, tree)
        data = _fill_body(body, tree)
        if key.startswith("api:"):
            patched = ("api:person-detail", "api:organization-detail", "api:review-detail")
            method = "patch" if key in patched else "post"
            got = getattr(api, method)(url, json.dumps(data), content_type="application/json")
            expected: object = 401 if role == "anon" else want[role]
        else:
            got = web.post(url, data)
            expected = LOGIN if role == "anon" else want[role]
        code = got.status_code
        if expected == "ok":
            ok = code not in (401, 403, 404, 405) and code < 500
        elif isinstance(expected, set):
            ok = code in expected
        else:
            ok = code == expected
        if not ok:
            wrong.append(f"{key} POST {url}: expected {expected}, got {code}")
    assert not wrong, "\n".join(wrong)
