"""民主评议党员 and 到社区报到: services, pages, API, exports, fixed query counts."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from dangjian.core.actor import Actor
from dangjian.core.audit import AuditEntry
from dangjian.people.models import (
    CommunityRegistration,
    CommunityService,
    MemberReview,
    Person,
)
from dangjian.people.review_services import (
    community_register,
    community_service_record,
    review_handling_save,
    reviews_record_year,
)
from dangjian.web.testing import PASSWORD

TODAY = datetime.date.today()
YEAR = TODAY.year - 1
ON = datetime.date(TODAY.year, 1, 5) if TODAY.month > 1 or TODAY.day >= 5 else TODAY


def actor(tree, role="b1"):
    return Actor(user=tree.users[role], source="test")


def web(tree, role="b1"):
    c = Client()
    assert c.login(username=tree.users[role].get_username(), password=PASSWORD)
    return c


def test_whole_branch_in_one_write_and_a_correction(tree):
    people = list(Person.objects.filter(org=tree.branch1, status__in=["full", "probationary"]))
    outcomes = {p: "qualified" for p in people}
    outcomes[people[0]] = "unqualified"
    saved = reviews_record_year(
        org=tree.branch1, year=YEAR, reviewed_on=ON, outcomes=outcomes, actor=actor(tree)
    )
    assert len(saved) == len(people)
    assert MemberReview.objects.filter(outcome="unqualified").count() == 1
    assert AuditEntry.objects.filter(object_type="member_review_batch").count() == 1
    r = MemberReview.objects.get(person=people[0])
    review_handling_save(
        review=r,
        correction_due=ON + datetime.timedelta(days=90),
        decision="",
        decided_on=None,
        actor=actor(tree),
    )
    # changing the outcome away from 不合格 drops its handling (the constraint holds)
    again = reviews_record_year(
        org=tree.branch1,
        year=YEAR,
        reviewed_on=ON,
        outcomes={people[0]: "basically_qualified", people[1]: "qualified"},
        actor=actor(tree),
    )
    assert [x.person_id for x in again] == [people[0].pk]  # the unchanged one is not rewritten
    r.refresh_from_db()
    assert (r.outcome, r.correction_due) == ("basically_qualified", None)


def test_refusals_change_nothing(tree):
    outsider = tree.members2[0]
    with pytest.raises(ValidationError) as e:
        reviews_record_year(
            org=tree.branch1,
            year=YEAR,
            reviewed_on=ON,
            outcomes={tree.member: "excellent", outsider: "qualified"},
            actor=actor(tree),
        )
    assert f"{outsider.name} 不是办公室党支部的党员" in str(e.value)
    assert not MemberReview.objects.exists()
    with pytest.raises(PermissionDenied):
        reviews_record_year(
            org=tree.branch1,
            year=YEAR,
            reviewed_on=ON,
            outcomes={tree.member: "qualified"},
            actor=actor(tree, "b2"),
        )
    r = MemberReview.objects.create(
        person=tree.member, year=YEAR, outcome="qualified", reviewed_on=ON
    )
    with pytest.raises(ValidationError, match="无需处置"):
        review_handling_save(
            review=r, correction_due=ON, decision="", decided_on=None, actor=actor(tree)
        )
    r.outcome = "unqualified"
    r.save()
    with pytest.raises(ValidationError, match="处置结果和处置日期须同时填写"):
        review_handling_save(
            review=r, correction_due=None, decision="removed", decided_on=None, actor=actor(tree)
        )
    with pytest.raises(ValidationError, match="限期改正期限不能早于评议日期"):
        review_handling_save(
            review=r,
            correction_due=ON - datetime.timedelta(days=1),
            decision="",
            decided_on=None,
            actor=actor(tree),
        )


def test_registration_ends_the_previous_one_and_service_hours(tree):
    me = tree.member
    community_register(
        person=me, community="幸福社区", registered_on=datetime.date(2024, 3, 1), actor=actor(tree)
    )
    community_register(
        person=me, community="和平社区", registered_on=datetime.date(2025, 3, 1), actor=actor(tree)
    )
    old = CommunityRegistration.objects.get(community="幸福社区")
    assert old.ended_on == datetime.date(2025, 3, 1)
    community_service_record(
        person=me, date=datetime.date(2025, 4, 1), hours=Decimal("2.5"), actor=actor(tree)
    )
    with pytest.raises(ValidationError, match="已有服务记录"):
        community_service_record(
            person=me, date=datetime.date(2025, 4, 1), hours=Decimal("1"), actor=actor(tree)
        )
    with pytest.raises(ValidationError, match="不超过 24 小时"):
        community_service_record(
            person=me, date=datetime.date(2025, 4, 2), hours=Decimal("25"), actor=actor(tree)
        )
    assert CommunityService.objects.count() == 1


def test_review_page_defaults_to_qualified_and_keeps_typed_values_on_error(tree):
    c = web(tree)
    url = f"/orgs/{tree.branch1.pk}/reviews/?year={YEAR}"
    page = c.get(url).content.decode()
    assert f'name="outcome_{tree.member.pk}"' in page
    assert '<option value="qualified" selected>合格</option>' in page
    data = {f"outcome_{r.person.pk}": "qualified" for r, _ in c.get(url).context["form"].lines}
    data.update({"reviewed_on": "2999-01-01", f"outcome_{tree.member.pk}": "excellent"})
    got = c.post(url, data)
    body = got.content.decode()
    assert got.status_code == 200 and "评议日期不能晚于今天" in body
    assert '<option value="excellent" selected>优秀</option>' in body
    assert not MemberReview.objects.exists()


def test_handling_form_refuses_a_stale_version(tree):
    r = MemberReview.objects.create(
        person=tree.member, year=YEAR, outcome="unqualified", reviewed_on=ON
    )
    c = web(tree)
    url = f"/reviews/{r.pk}/handling/"
    page = c.get(url).content.decode()
    import re

    version = re.search(r'name="version" value="([^"]*)"', page).group(1)
    MemberReview.objects.filter(pk=r.pk).update(correction_due=ON + datetime.timedelta(days=30))
    got = c.post(url, {"version": version, "correction_due": "", "decision": "", "decided_on": ""})
    assert got.status_code == 200
    assert "已被他人修改" in got.content.decode()
    r.refresh_from_db()
    assert r.correction_due == ON + datetime.timedelta(days=30)
    version = re.search(r'name="version" value="([^"]*)"', got.content.decode()).group(1)
    got = c.post(
        url,
        {
            "version": version,
            "correction_due": (ON + datetime.timedelta(days=30)).isoformat(),
            "decision": "corrected",
            "decided_on": ON.isoformat(),
        },
    )
    assert got.status_code == 302
    r.refresh_from_db()
    assert r.decision == "corrected"


def test_exports_neutralise_formulas(tree):
    tree.member.name = "=HYPERLINK(1)"
    tree.member.save(update_fields=["name"])
    MemberReview.objects.create(person=tree.member, year=YEAR, outcome="excellent", reviewed_on=ON)
    c = web(tree)
    for url in (
        f"/orgs/{tree.branch1.pk}/reviews.xlsx?year={YEAR}",
        f"/orgs/{tree.branch1.pk}/community.xlsx?year={YEAR}",
    ):
        got = c.get(url)
        assert got.status_code == 200
        ws = load_workbook(io.BytesIO(got.content)).active
        cells = [c for row in ws.iter_rows() for c in row if c.value == "=HYPERLINK(1)"]
        assert cells and all(c.data_type == "s" for c in cells)
    ws = load_workbook(
        io.BytesIO(c.get(f"/orgs/{tree.branch1.pk}/reviews.xlsx?year={YEAR}").content)
    ).active
    assert "优秀" in [c.value for row in ws.iter_rows() for c in row]


def test_community_summary_per_department(tree):
    community_register(
        person=tree.member, community="幸福社区", registered_on=ON, actor=actor(tree)
    )
    community_service_record(person=tree.member, date=ON, hours=Decimal("3"), actor=actor(tree))
    page = web(tree, "wc").get(f"/orgs/{tree.committee.pk}/community/?year={ON.year}")
    summaries = {s.org.pk: s for s in page.context["summaries"]}
    s1 = summaries[tree.branch1.pk]
    assert s1.registered == 1 and s1.hours == Decimal("3")
    assert s1.unregistered == s1.members - 1
    assert summaries[tree.branch2.pk].registered == 0


def test_api_reviews_and_community(tree):
    c = APIClient()
    c.force_authenticate(tree.users["b1"])
    body = {
        "org": tree.branch1.ext_id,
        "year": YEAR,
        "reviewed_on": ON.isoformat(),
        "outcomes": [{"person": tree.member.ext_id, "outcome": "unqualified"}],
    }
    got = c.post("/api/v1/reviews/", body, format="json")
    assert got.status_code == 201, got.json()
    row = next(r for r in got.json()["rows"] if r["person"] == tree.member.ext_id)
    assert row["outcome"] == "unqualified"
    body["outcomes"] = [{"person": tree.members2[0].ext_id, "outcome": "qualified"}]
    got = c.post("/api/v1/reviews/", body, format="json")
    assert got.status_code == 400 and "不是该党组织当年的党员" in got.json()["outcomes"][0]
    url = f"/api/v1/community/registrations/?org={tree.branch1.ext_id}"
    got = c.post(
        url,
        {"person": tree.member.ext_id, "community": "幸福社区", "registered_on": ON.isoformat()},
        format="json",
    )
    assert got.status_code == 201, got.json()
    got = c.get(f"/api/v1/community/?org={tree.branch1.ext_id}&year={ON.year}")
    row = next(r for r in got.json()["rows"] if r["person"] == tree.member.ext_id)
    assert row["community"] == "幸福社区"
    member = APIClient()
    member.force_authenticate(tree.users["member"])
    assert member.get(f"/api/v1/reviews/?org={tree.branch1.ext_id}").status_code == 403


def _grow(tree, n):
    people = Person.objects.bulk_create(
        [
            Person(
                ext_id=f"R{Person.objects.count()}-{i}",
                name=f"党员{i}",
                org=tree.branch1,
                status="full",
                joined_on=datetime.date(2015, 1, 1),
            )
            for i in range(n)
        ]
    )
    MemberReview.objects.bulk_create(
        [MemberReview(person=p, year=YEAR, outcome="unqualified", reviewed_on=ON) for p in people]
    )
    CommunityRegistration.objects.bulk_create(
        [CommunityRegistration(person=p, community="社区", registered_on=ON) for p in people]
    )
    CommunityService.objects.bulk_create(
        [CommunityService(person=p, date=ON, hours=Decimal("1")) for p in people]
    )


def _count(client, url):
    client.get(url)  # the person page caches the engine's run: count a warm page
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_fixed_query_counts(tree):
    c = web(tree, "wc")
    urls = [
        f"/orgs/{tree.branch1.pk}/reviews/?year={YEAR}",
        f"/orgs/{tree.branch1.pk}/community/?year={ON.year}",
        f"/orgs/{tree.committee.pk}/community/?year={ON.year}",
        f"/people/{tree.member.pk}/",
    ]
    _grow(tree, 4)
    small = [_count(c, u) for u in urls]
    _grow(tree, 40)
    large = [_count(c, u) for u in urls]
    assert large == small


def test_member_sees_own_review_and_community_not_another(tree):
    me, other = tree.member, tree.members1[3]
    MemberReview.objects.create(person=me, year=YEAR, outcome="basically_qualified", reviewed_on=ON)
    MemberReview.objects.create(person=other, year=YEAR, outcome="unqualified", reviewed_on=ON)
    CommunityRegistration.objects.create(person=me, community="幸福社区", registered_on=ON)
    CommunityService.objects.create(person=me, date=ON, hours=Decimal("1.5"))
    c = web(tree, "member")
    page = c.get(f"/people/{me.pk}/?year={ON.year}").content.decode()
    assert "基本合格" in page and "幸福社区" in page and "1.5 小时" in page
    assert c.get(f"/people/{other.pk}/").status_code == 404


def test_api_handling_needs_the_current_version(tree):
    MemberReview.objects.create(
        person=tree.member, year=YEAR, outcome="unqualified", reviewed_on=ON
    )
    c = APIClient()
    c.force_authenticate(tree.users["b1"])
    url = f"/api/v1/reviews/{tree.member.ext_id}/{YEAR}/"
    got = c.get(url)
    assert got.status_code == 200 and got.json()["outcome"] == "unqualified"
    etag = got["ETag"]
    due = (ON + datetime.timedelta(days=60)).isoformat()
    got = c.patch(url, {"correction_due": due}, format="json", HTTP_IF_MATCH=etag)
    assert got.status_code == 200 and got.json()["correction_due"] == due
    # the old version is stale now: refused, nothing changed
    got = c.patch(
        url, {"decision": "removed", "decided_on": due}, format="json", HTTP_IF_MATCH=etag
    )
    assert got.status_code == 412
    assert MemberReview.objects.get(person=tree.member).decision == ""
    got = c.patch(url, {"decision": "removed"}, format="json", HTTP_IF_MATCH=c.get(url)["ETag"])
    assert got.status_code == 400 and "同时填写" in str(got.json())
    other = APIClient()
    other.force_authenticate(tree.users["b2"])
    assert other.get(url).status_code == 404
