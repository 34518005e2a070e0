"""Record-keeping pages: forms keep what was typed and name fields in Chinese; refused
edits change nothing; a record's history shows web, API and admin edits alike; list
pages take a fixed number of queries."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dangjian.orgs.models import Organization, Position
from dangjian.people.models import Person, Transfer, TransferRequest
from dangjian.web.testing import PASSWORD, page_version, position_version

pytestmark = pytest.mark.django_db


def signed_in(tree, role) -> Client:
    client = Client()
    assert client.login(username=tree.users[role].get_username(), password=PASSWORD)
    return client


def test_add_member_keeps_typed_values_and_names_fields(tree):
    client = signed_in(tree, "b1")
    url = f"/orgs/{tree.branch1.pk}/members/new/"
    form = {
        "name": "蒋新",
        "status": "full",
        "employment": "in_service",
        "joined_on": "2020-05-01",
        "full_on": "2019-05-01",
        "monthly_income": "-5",
    }
    count = Person.objects.count()
    response = client.post(url, form)
    body = response.content.decode()
    assert response.status_code == 200
    assert "月收入（元，税后）：" in body  # the field is named in Chinese
    assert 'value="蒋新"' in body and 'value="2019-05-01"' in body
    form["monthly_income"] = "5600"
    response = client.post(url, form)
    assert "转正日期：转正日期不能早于入党日期" in response.content.decode()
    assert Person.objects.count() == count
    form["full_on"] = "2021-05-01"
    response = client.post(url, form)
    assert response.status_code == 302
    person = Person.objects.get(name="蒋新")
    assert person.org == tree.branch1 and str(person.monthly_income) == "5600.00"


def test_post_ending_before_start_is_refused_and_nothing_changes(tree):
    client = signed_in(tree, "b1")
    post = Position.objects.get(org=tree.branch1, role="secretary")
    version = position_version(client, tree.branch1.pk, post.pk)
    response = client.post(
        f"/positions/{post.pk}/end/", {"end": "2000-01-01", **version}, follow=True
    )
    assert "离任日期：离任日期不能早于任职日期" in response.content.decode()
    post.refresh_from_db()
    assert post.end is None


def test_transfer_to_dissolved_org_is_refused_on_the_page(tree, system_actor):
    from dangjian.orgs import services as orgs

    closed = orgs.org_create(
        name="已撤销支部", type="branch", parent=tree.committee, actor=system_actor
    )
    orgs.org_dissolve(org=closed, on=datetime.date(2026, 1, 31), actor=system_actor)
    client = signed_in(tree, "dept")
    data = {
        "kind": "issue",
        "issue-person": tree.members1[3].pk,
        "issue-to_org": closed.pk,
        "issue-date": "2026-03-01",
        "issue-letter": "L-9",
    }
    response = client.post(f"/orgs/{tree.branch1.pk}/transfers/", data)
    assert response.status_code == 200
    assert 'value="L-9"' in response.content.decode()  # typed values kept
    assert "转入党组织" in response.content.decode()
    assert not TransferRequest.objects.exists() and not Transfer.objects.exists()


def test_leadership_election_and_tree_pages(tree):
    client = signed_in(tree, "b1")
    response = client.post(
        f"/orgs/{tree.branch1.pk}/leadership/",
        {"person": tree.members1[3].pk, "role": "discipline_member", "start": "2026-02-01"},
    )
    assert response.status_code == 302
    url = f"/orgs/{tree.branch1.pk}/election/"
    response = client.post(
        url,
        {
            **page_version(client, url),
            "elected_on": "2026-03-01",
            "years": "5",
            "person_0": tree.members1[1].pk,
            "role_0": "secretary",
            "person_1": tree.members1[3].pk,
            "role_1": "discipline_member",
        },
        follow=True,
    )
    assert "下次换届：2031-03-01" in response.content.decode()
    tree_page = signed_in(tree, "dept").get("/orgs/tree/?q=预算").content.decode()
    assert "预算处党支部" in tree_page and "办公室党支部" not in tree_page
    assert "财政厅党组" in tree_page  # the way down to the match is shown


def test_history_shows_web_api_and_admin_edits(tree):
    person = tree.members1[3]
    web = signed_in(tree, "b1")
    form = {
        "name": person.name,
        "status": "full",
        "employment": "in_service",
        "joined_on": "2010-07-01",
        "full_on": "2011-07-01",
        "leading_cadre": "on",
    }
    url = f"/people/{person.pk}/edit/"
    assert web.post(url, {**form, **page_version(web, url)}).status_code == 302
    api = APIClient()
    api.force_authenticate(tree.users["b1"])
    response = api.patch(
        f"/api/v1/people/{person.ext_id}/", {"party_worker": "part_time"}, format="json"
    )
    assert response.status_code == 200
    staff = get_user_model().objects.create_superuser("root1", "r@example.com", PASSWORD)
    admin = Client()
    admin.force_login(staff)
    admin_form = {
        "name": person.name,
        "status": "full",
        "joined_on": "2010-07-01",
        "full_on": "2011-07-01",
        "leading_cadre": "on",
        "party_worker": "part_time",
        "employment": "retired",
        "left_reason": "",
    }
    response = admin.post(f"/admin/people/person/{person.pk}/change/", admin_form)
    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert person.employment == "retired" and person.org == tree.branch1
    page = web.get(f"/people/{person.pk}/").content.decode()
    for source in ("网页", "接口", "后台管理"):
        assert f"（{source}）" in page
    assert "党员领导干部" in page and "离退休" in page


def test_admin_cannot_move_or_delete_a_person(tree):
    staff = get_user_model().objects.create_superuser("root2", "r2@example.com", PASSWORD)
    admin = Client()
    admin.force_login(staff)
    person = tree.members1[2]
    page = admin.get(f"/admin/people/person/{person.pk}/change/").content.decode()
    assert 'name="org"' not in page  # moving is a transfer, not an edit
    response = admin.post(f"/admin/people/person/{person.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Person.objects.filter(pk=person.pk).exists()
    assert admin.get("/admin/people/transfer/add/").status_code == 403


def _roster_queries(client, org) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/orgs/{org.pk}/members/?q=党员&status=full")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_roster_and_tree_query_counts_do_not_grow(tree):
    client = signed_in(tree, "dept")

    def grow(n, tag):
        branch = Organization.objects.create(
            ext_id=f"G{tag}", name=f"新增{tag}支部", type="branch", parent=tree.committee
        )
        branch.path, branch.depth = f"{tree.committee.path}{branch.pk}/", 4
        branch.save()
        Person.objects.bulk_create(
            Person(ext_id=f"G{tag}{i}", name=f"党员{tag}{i}", org=branch, status="full")
            for i in range(n)
        )

    grow(5, "a")
    small = _roster_queries(client, tree.committee)
    with CaptureQueriesContext(connection) as ctx:
        client.get("/orgs/tree/")
    tree_small = len(ctx.captured_queries)
    grow(60, "b")
    assert _roster_queries(client, tree.committee) == small
    with CaptureQueriesContext(connection) as ctx:
        client.get("/orgs/tree/")
    assert len(ctx.captured_queries) == tree_small
    assert small <= 12


def test_admin_add_refused_by_the_service_changes_nothing(tree):
    staff = get_user_model().objects.create_superuser("root3", "r3@example.com", PASSWORD)
    admin = Client()
    admin.force_login(staff)
    count = Person.objects.count()
    form = {
        "ext_id": "ADM1",
        "name": "后台新人",
        "org": tree.branch1.pk,
        "status": "full",
        "joined_on": "2020-01-01",
        "full_on": "2019-01-01",
        "employment": "in_service",
        "left_reason": "",
    }
    response = admin.post("/admin/people/person/add/", form)
    assert response.status_code == 200
    assert "转正日期不能早于入党日期" in response.content.decode()
    assert 'value="后台新人"' in response.content.decode()
    assert Person.objects.count() == count
    form["full_on"] = "2021-01-01"
    response = admin.post("/admin/people/person/add/", form)
    assert response.status_code == 302
    created = Person.objects.get(ext_id="ADM1")
    from dangjian.core.models import AuditEntry

    entry = AuditEntry.objects.get(object_type="person", object_id=str(created.pk))
    assert (entry.action, entry.source) == ("create", "admin")


def test_findings_about_posts_and_terms_link_to_the_leadership_pages(tree):
    from dangjian.web import page_findings

    year = datetime.date.today().year
    links = {
        f.rule_kind: page_findings.record_link(f)
        for f in page_findings.findings(tree.committee, year)
        if f.rule_kind in ("post_required", "committee_required", "term_due")
        and f.subject_type == "organization"
    }
    assert links, "the fixture tree has findings about posts or terms"
    for kind, link in links.items():
        assert link is not None
        assert ("/election/" if kind == "term_due" else "/leadership/") in link
