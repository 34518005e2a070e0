import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Organization
from dangjian.people import services as people_services
from dangjian.records import services
from dangjian.records.models import Activity, Attachment, Training

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def web_actor(user):
    return Actor(user=user, source="web", ip="127.0.0.1")


def test_activity_record_writes_attendance_minutes_and_audit(tree):
    actor = web_actor(tree.users["b1"])
    activity = services.activity_record(
        org=tree.branch1,
        kind="theme_day",
        date=datetime.date(2026, 3, 5),
        title="学习新党章",
        hours=Decimal("2"),
        speaker=tree.members1[1],
        attendees=tree.members1[:4],
        minutes="会议由王二主持。",
        attachments=[SimpleUploadedFile("记录.pdf", PDF, content_type="text/plain")],
        actor=actor,
    )
    assert set(activity.attendees.values_list("name", flat=True)) == {
        "张一",
        "王二",
        "李三",
        "赵四",
    }
    assert activity.minutes.text == "会议由王二主持。"
    att = Attachment.objects.get(activity=activity)
    # The type comes from the content, not from what the browser claimed.
    assert att.content_type == "application/pdf"
    assert att.file.read() == PDF
    entry = AuditEntry.objects.get(object_type="activity", object_id=str(activity.pk))
    assert entry.action == "create" and entry.source == "web"
    assert entry.changes["after"]["attendees"] == sorted(p.ext_id for p in tree.members1[:4])


def test_activity_update_keeps_before_and_after(tree):
    actor = web_actor(tree.users["b1"])
    activity = tree.activity
    services.activity_update(
        activity=activity, title="学习党章（修订）", attendees=tree.members1[:3], actor=actor
    )
    entry = AuditEntry.objects.get(object_type="activity", action="update")
    assert entry.changes["before"]["title"] == "学习党章"
    assert entry.changes["after"]["title"] == "学习党章（修订）"
    assert len(entry.changes["before"]["attendees"]) == 5
    assert len(entry.changes["after"]["attendees"]) == 3
    # Unchanged fields are not in the diff.
    assert "date" not in entry.changes["after"]


def test_writes_refused_outside_the_grant(tree):
    with pytest.raises(PermissionDenied):
        services.activity_record(
            org=tree.branch1,
            kind="theme_day",
            date=datetime.date(2026, 3, 5),
            actor=web_actor(tree.users["b2"]),
        )
    with pytest.raises(PermissionDenied):
        services.training_record_many(
            people=tree.members1,
            date=datetime.date(2026, 3, 5),
            hours=Decimal("4"),
            kind="general",
            actor=web_actor(tree.users["member"]),
        )
    assert not Activity.objects.filter(date=datetime.date(2026, 3, 5)).exists()


def test_attachment_type_and_size_checked(tree):
    actor = web_actor(tree.users["b1"])
    with pytest.raises(ValidationError) as err:
        services.activity_record(
            org=tree.branch1,
            kind="theme_day",
            date=datetime.date(2026, 4, 1),
            attachments=[
                SimpleUploadedFile("scan.pdf", b"just text", content_type="application/pdf")
            ],
            actor=actor,
        )
    assert "attachments" in err.value.message_dict
    big = SimpleUploadedFile(
        "big.png", PNG + b"\x00" * (10 * 1024 * 1024), content_type="image/png"
    )
    with pytest.raises(ValidationError) as err:
        services.activity_record(
            org=tree.branch1,
            kind="theme_day",
            date=datetime.date(2026, 4, 1),
            attachments=[big],
            actor=actor,
        )
    assert "10 MB" in str(err.value.message_dict["attachments"])
    # Nothing was written by the refused calls.
    assert not Activity.objects.filter(date=datetime.date(2026, 4, 1)).exists()
    ok = services.activity_record(
        org=tree.branch1,
        kind="theme_day",
        date=datetime.date(2026, 4, 1),
        attachments=[SimpleUploadedFile("scan.png", PNG)],
        actor=actor,
    )
    assert ok.attachments.get().content_type == "image/png"


def test_training_record_many_queries_do_not_grow(tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def record(people, title):
        with CaptureQueriesContext(connection) as ctx:
            created = services.training_record_many(
                people=people,
                date=datetime.date(2026, 5, 1),
                hours=Decimal("4.5"),
                kind="general",
                title=title,
                actor=web_actor(tree.users["dept"]),
            )
        return created, len(ctx.captured_queries)

    few, few_queries = record(tree.members1[:2], "小范围培训")
    many, many_queries = record(tree.members1 + tree.members2, "专题培训")
    assert (len(few), len(many)) == (2, 9)
    assert many_queries <= few_queries
    assert Training.objects.filter(title="专题培训").count() == 9
    assert AuditEntry.objects.filter(object_type="training", action="create_many").count() == 2


def test_filing_period_validated(tree):
    actor = web_actor(tree.users["b1"])
    with pytest.raises(ValidationError) as err:
        services.filing_record(
            org=tree.branch1,
            kind="work_report",
            date=datetime.date(2026, 4, 2),
            period="2026Q1",
            actor=actor,
        )
    assert "period" in err.value.message_dict
    filing = services.filing_record(
        org=tree.branch1,
        kind="work_report",
        date=datetime.date(2026, 4, 2),
        period="2026-Q1",
        actor=actor,
    )
    assert filing.ext_id.startswith("filing-")


def test_organization_move_rewrites_subtree_paths(tree, system_actor):
    new_parent = org_services.org_create(
        name="新机关党委", type="organ_committee", parent=tree.dept, actor=system_actor
    )
    org_services.org_move(org=tree.branch1, parent=new_parent, actor=system_actor)
    tree.branch1.refresh_from_db()
    assert tree.branch1.path == f"{new_parent.path}{tree.branch1.pk}/"
    assert tree.branch1.depth == new_parent.depth + 1
    assert Organization.objects.filter(path__startswith=new_parent.path).count() == 2
    with pytest.raises(ValidationError):
        org_services.org_move(org=new_parent, parent=tree.branch1, actor=system_actor)


def test_position_and_term_services_audited(tree):
    actor = web_actor(tree.users["b1"])
    position = people_services.position_appoint(
        person=tree.members1[2],
        org=tree.branch1,
        role="committee_member",
        start=datetime.date(2026, 1, 1),
        actor=actor,
    )
    people_services.position_update(position=position, end=datetime.date(2026, 6, 30), actor=actor)
    term = org_services.term_create(
        org=tree.branch1, elected_on=datetime.date(2026, 6, 1), years=3, actor=actor
    )
    with pytest.raises(ValidationError):
        people_services.position_update(
            position=position, end=datetime.date(2025, 1, 1), actor=actor
        )
    actions = list(
        AuditEntry.objects.filter(object_type__in=["position", "term"]).values_list(
            "object_type", "action"
        )
    )
    assert ("position", "create") in actions and ("position", "update") in actions
    assert ("term", "create") in actions
    assert term.years == 3
    with pytest.raises(PermissionDenied):
        org_services.term_create(
            org=tree.branch1,
            elected_on=datetime.date(2026, 7, 1),
            years=3,
            actor=web_actor(tree.users["b2"]),
        )


def test_person_transfer_moves_membership(tree):
    actor = web_actor(tree.users["dept"])
    person = tree.members1[4]
    transfer = people_services.person_transfer(
        person=person,
        to_org=tree.branch2,
        date=datetime.date(2026, 2, 1),
        letter="X-1",
        actor=actor,
    )
    person.refresh_from_db()
    assert person.org == tree.branch2
    assert transfer.from_org == tree.branch1
    updated = people_services.person_update(person=person, leading_cadre=True, actor=actor)
    assert updated.leading_cadre
    entry = AuditEntry.objects.filter(object_type="person", action="update").get()
    assert entry.changes == {"before": {"leading_cadre": False}, "after": {"leading_cadre": True}}
    created = people_services.person_create(
        name="新党员",
        org=tree.branch2,
        status="probationary",
        joined_on=datetime.date(2026, 7, 1),
        actor=actor,
    )
    assert created.ext_id.startswith("person-")
