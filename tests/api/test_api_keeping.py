"""Writes of kept records through the API: people, posts, elections, transfers, organisations.

Every write goes through the services (audited, source "api"); refused edits change
nothing; a member and the other branch's administrator get 403 or 404 on each write.
"""

import datetime

import pytest

from dangjian.core.models import AuditEntry
from dangjian.orgs.models import Organization, Position, Term
from dangjian.people.models import Person, Transfer, TransferRequest

pytestmark = pytest.mark.django_db


def _person(**over):
    body = {
        "name": "新党员",
        "org": "TB1",
        "status": "probationary",
        "joined_on": "2025-07-01",
        "birth_date": "1995-03-02",
        "employment": "in_service",
        "monthly_income": 6500,
    }
    body.update(over)
    return body


def test_person_create_update_and_leave(clients, tree):
    created = clients["b1"].post("/api/v1/people/", _person(id="API-P1"), format="json")
    assert created.status_code == 201, created.content
    person = Person.objects.get(ext_id="API-P1")
    assert person.org == tree.branch1 and created.json()["monthly_income"] == 6500
    changed = clients["b1"].patch(
        "/api/v1/people/API-P1/",
        {"leading_cadre": True, "party_worker": "part_time"},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["leading_cadre"] is True
    moved = clients["b1"].patch("/api/v1/people/API-P1/", {"org": "TB2"}, format="json")
    assert moved.status_code in (400, 403)
    left = clients["b1"].post(
        "/api/v1/people/API-P1/leave/", {"date": "2026-01-10", "reason": "deceased"}, format="json"
    )
    assert left.status_code == 200, left.content
    person.refresh_from_db()
    assert (person.left_on, person.left_reason) == (datetime.date(2026, 1, 10), "deceased")
    assert Person.objects.filter(pk=person.pk).exists()
    actions = list(
        AuditEntry.objects.filter(object_type="person", object_id=str(person.pk)).values_list(
            "action", "source"
        )
    )
    assert ("create", "api") in actions and ("update", "api") in actions
    assert ("leave", "api") in actions


def test_person_bad_input_names_fields(clients, tree):
    before = Person.objects.count()
    response = clients["b1"].post(
        "/api/v1/people/",
        _person(status="boss", joined_on="2025-02-30", monthly_income=-1),
        format="json",
    )
    assert response.status_code == 400
    assert {"status", "joined_on", "monthly_income"} <= set(response.json())
    bad_dates = clients["b1"].post(
        "/api/v1/people/", _person(full_on="2020-01-01", status="full"), format="json"
    )
    assert bad_dates.status_code == 400 and "full_on" in bad_dates.json()
    assert Person.objects.count() == before


def test_appoint_and_end_post_refuses_end_before_start(clients, tree):
    body = {
        "person": tree.members1[3].ext_id,
        "org": "TB1",
        "role": "discipline_member",
        "start": "2026-01-05",
    }
    response = clients["b1"].post("/api/v1/positions/", body, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    early = clients["b1"].post(f"/api/v1/positions/{pk}/end/", {"end": "2025-12-31"}, format="json")
    assert early.status_code == 400 and "end" in early.json()
    assert Position.objects.get(pk=pk).end is None
    ended = clients["b1"].post(f"/api/v1/positions/{pk}/end/", {"end": "2026-06-30"}, format="json")
    assert ended.status_code == 200 and ended.json()["end"] == "2026-06-30"


def test_election_ends_old_posts_and_starts_new(clients, tree):
    old_secretary = Position.objects.get(org=tree.branch1, role="secretary")
    body = {
        "org": "TB1",
        "elected_on": "2026-03-01",
        "years": 3,
        "committee": [
            {"person": tree.members1[2].ext_id, "role": "secretary"},
            {"person": tree.members1[3].ext_id, "role": "discipline_member"},
            {"person": tree.members1[1].ext_id, "role": "committee_member"},
        ],
    }
    response = clients["b1"].post("/api/v1/terms/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["next_election"] == "2029-03-01"
    old_secretary.refresh_from_db()
    assert old_secretary.end == datetime.date(2026, 3, 1)
    new = Position.objects.filter(org=tree.branch1, start=datetime.date(2026, 3, 1))
    assert sorted(new.values_list("role", flat=True)) == [
        "committee_member",
        "discipline_member",
        "secretary",
    ]
    twice = dict(
        body, committee=[body["committee"][0], {**body["committee"][1], "role": "secretary"}]
    )
    twice["elected_on"] = "2026-09-01"
    refused = clients["b1"].post("/api/v1/terms/", twice, format="json")
    assert refused.status_code == 400 and "committee" in refused.json()
    assert Term.objects.filter(org=tree.branch1).count() == 2


def test_transfer_pending_both_sides_then_accepted(clients, tree):
    person = tree.members1[4]
    issued = clients["b1"].post(
        "/api/v1/transfers/",
        {"person": person.ext_id, "to_org": "TB2", "date": "2026-07-01", "letter": "转字001"},
        format="json",
    )
    assert issued.status_code == 201, issued.content
    pk = issued.json()["id"]
    person.refresh_from_db()
    assert person.org == tree.branch1 and not Transfer.objects.exists()
    for role in ("b1", "b2"):
        listed = clients[role].get("/api/v1/transfers/?status=pending").json()["results"]
        assert [t["id"] for t in listed] == [pk]
    assert clients["b1"].post(f"/api/v1/transfers/{pk}/accept/").status_code == 403
    assert clients["member"].post(f"/api/v1/transfers/{pk}/accept/").status_code in (403, 404)
    second = clients["b1"].post(
        "/api/v1/transfers/",
        {"person": person.ext_id, "to_org": "TB2", "date": "2026-08-01"},
        format="json",
    )
    assert second.status_code == 400
    accepted = clients["b2"].post(f"/api/v1/transfers/{pk}/accept/")
    assert accepted.status_code == 200, accepted.content
    person.refresh_from_db()
    transfer = Transfer.objects.get()
    assert person.org == tree.branch2
    assert (transfer.from_org, transfer.to_org, transfer.letter) == (
        tree.branch1,
        tree.branch2,
        "转字001",
    )
    assert TransferRequest.objects.get().status == "accepted"


def test_transfer_outside_needs_letter_and_marks_left(clients, tree):
    person = tree.members1[3]
    missing = clients["b1"].post(
        "/api/v1/transfers/outside/",
        {"person": person.ext_id, "date": "2026-05-01", "letter": ""},
        format="json",
    )
    assert missing.status_code == 400 and "letter" in missing.json()
    sent = clients["b1"].post(
        "/api/v1/transfers/outside/",
        {"person": person.ext_id, "date": "2026-05-01", "letter": "外转002", "to_name": "某市"},
        format="json",
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["to_org"] is None
    person.refresh_from_db()
    assert person.left_reason == "transferred_out"
    came = clients["b1"].post(
        "/api/v1/transfers/incoming/",
        {
            "to_org": "TB1",
            "date": "2026-06-01",
            "letter": "外转003",
            "person": _person(id="API-IN", org="TB1"),
        },
        format="json",
    )
    assert came.status_code == 201, came.content
    assert Transfer.objects.get(person__ext_id="API-IN").from_org is None


def test_organisations_create_rename_move_dissolve(clients, tree):
    created = clients["dept"].post(
        "/api/v1/organizations/",
        {"id": "API-O1", "name": "新支部", "type": "branch", "parent": "TOC"},
        format="json",
    )
    assert created.status_code == 201, created.content
    org = Organization.objects.get(ext_id="API-O1")
    assert org.path == f"{tree.committee.path}{org.pk}/"
    renamed = clients["dept"].patch(
        "/api/v1/organizations/API-O1/", {"name": "综合处党支部"}, format="json"
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "综合处党支部"
    moved = clients["dept"].post(
        "/api/v1/organizations/API-O1/move/", {"parent": "TPG"}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["parent"] == "TPG"
    dissolved = clients["dept"].post(
        "/api/v1/organizations/API-O1/dissolve/", {"date": "2026-04-30"}, format="json"
    )
    assert dissolved.status_code == 200 and dissolved.json()["dissolved"] == "2026-04-30"
    into_dissolved = clients["b1"].post(
        "/api/v1/transfers/",
        {"person": tree.members1[2].ext_id, "to_org": "API-O1", "date": "2026-05-01"},
        format="json",
    )
    assert into_dissolved.status_code == 400 and "to_org" in into_dissolved.json()
    assert not TransferRequest.objects.exists()
    # A branch administrator may not rename or dissolve their own branch.
    own = clients["b1"].patch("/api/v1/organizations/TB1/", {"name": "改名"}, format="json")
    assert own.status_code == 403
    busy = clients["dept"].post(
        "/api/v1/organizations/TB1/dissolve/", {"date": "2026-04-30"}, format="json"
    )
    assert busy.status_code == 400
    tree.branch1.refresh_from_db()
    assert tree.branch1.name == "办公室党支部" and tree.branch1.dissolved is None


WRITES = [
    ("post", "/api/v1/people/", lambda t: _person()),
    ("patch", "/api/v1/people/{p}/", lambda t: {"name": "改"}),
    ("post", "/api/v1/people/{p}/leave/", lambda t: {"date": "2026-01-01", "reason": "other"}),
    (
        "post",
        "/api/v1/positions/",
        lambda t: {
            "person": "TP12",
            "org": "TB1",
            "role": "committee_member",
            "start": "2026-01-01",
        },
    ),
    ("post", "/api/v1/positions/{pos}/end/", lambda t: {"end": "2026-12-31"}),
    (
        "post",
        "/api/v1/terms/",
        lambda t: {
            "org": "TB1",
            "elected_on": "2026-03-01",
            "years": 3,
            "committee": [{"person": "TP12", "role": "secretary"}],
        },
    ),
    (
        "post",
        "/api/v1/transfers/",
        lambda t: {"person": "TP12", "to_org": "TB2", "date": "2026-07-01"},
    ),
    (
        "post",
        "/api/v1/transfers/outside/",
        lambda t: {"person": "TP12", "date": "2026-07-01", "letter": "X"},
    ),
    (
        "post",
        "/api/v1/transfers/incoming/",
        lambda t: {"to_org": "TB1", "date": "2026-07-01", "letter": "X", "person": _person()},
    ),
    (
        "post",
        "/api/v1/organizations/",
        lambda t: {"name": "新", "type": "party_cell", "parent": "TB1"},
    ),
    ("patch", "/api/v1/organizations/TB1/", lambda t: {"name": "改"}),
    ("post", "/api/v1/organizations/TB1/move/", lambda t: {"parent": "TPG"}),
    ("post", "/api/v1/organizations/TB1/dissolve/", lambda t: {"date": "2026-07-01"}),
]


@pytest.mark.parametrize("role", ["member", "b2"])
def test_member_and_other_branch_admin_cannot_write(clients, tree, role):
    position = Position.objects.get(org=tree.branch1, role="secretary")
    counts = (Person.objects.count(), Position.objects.count(), Term.objects.count())
    audit = AuditEntry.objects.count()
    for method, url, body in WRITES:
        url = url.format(p=tree.members1[2].ext_id, pos=position.pk)
        response = getattr(clients[role], method)(url, body(tree), format="json")
        assert response.status_code in (403, 404), (url, response.status_code, response.content)
    assert (Person.objects.count(), Position.objects.count(), Term.objects.count()) == counts
    assert AuditEntry.objects.count() == audit and not TransferRequest.objects.exists()
