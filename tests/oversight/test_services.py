"""The rectification loop's services: order, dates, permission and audit."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from dangjian.core.models import AuditEntry
from dangjian.oversight.models import Rectification
from dangjian.oversight.services import rectification_advance, rectification_open

pytestmark = pytest.mark.django_db


def opened(tree, actor, **kw):
    return rectification_open(
        org=tree.branch1,
        title=kw.pop("title", "支部委员会未按期召开"),
        found_on=kw.pop("found_on", date(2026, 3, 1)),
        actor=actor,
        **kw,
    )


def test_full_loop_in_order_with_status_and_audit(tree, actor_for):
    actor = actor_for("b1")
    r = opened(
        tree, actor, source_rule="danyang-2020/study-session-monthly", source_period="2026-02"
    )
    assert r.status == "found" and r.next_step == "assign"
    steps = [
        ("assign", date(2026, 3, 5), {"due_on": date(2026, 5, 31)}, "assigned"),
        ("verify", date(2026, 3, 12), {}, "verified"),
        (
            "rectify",
            date(2026, 5, 20),
            {"accountability": True, "accountability_on": date(2026, 4, 1)},
            "rectified",
        ),
        ("revisit", date(2026, 6, 10), {}, "revisited"),
        ("close", date(2026, 6, 10), {}, "closed"),
    ]
    for step, on, extra, status in steps:
        r = rectification_advance(rectification=r, step=step, on=on, actor=actor, **extra)
        assert r.status == status
    r.refresh_from_db()
    assert (r.assigned_on, r.due_on, r.rectified_on, r.closed_on) == (
        date(2026, 3, 5),
        date(2026, 5, 31),
        date(2026, 5, 20),
        date(2026, 6, 10),
    )
    assert r.accountability and r.accountability_on == date(2026, 4, 1)
    assert r.next_step is None
    entries = list(
        AuditEntry.objects.filter(object_type="rectification", object_id=str(r.pk)).order_by("pk")
    )
    assert [e.action for e in entries] == ["create"] + ["update"] * 5
    assert entries[0].changes["after"]["source_rule"] == "danyang-2020/study-session-monthly"
    assert entries[1].changes["step"] == "assign"
    assert entries[1].changes["before"] == {"assigned_on": None, "due_on": None}
    assert entries[1].changes["after"] == {"assigned_on": "2026-03-05", "due_on": "2026-05-31"}
    assert entries[1].actor_label == tree.users["b1"].get_username()
    with pytest.raises(ValidationError) as e:
        rectification_advance(rectification=r, step="close", on=date(2026, 7, 1), actor=actor)
    assert "已销号" in str(e.value)


def test_steps_cannot_be_skipped(tree, actor_for):
    r = opened(tree, actor_for("b1"))
    with pytest.raises(ValidationError) as e:
        rectification_advance(
            rectification=r, step="verify", on=date(2026, 3, 5), actor=actor_for("b1")
        )
    assert "交办" in str(e.value)
    r.refresh_from_db()
    assert r.verified_on is None
    assert AuditEntry.objects.filter(object_type="rectification", action="update").count() == 0


def test_dates_cannot_go_backwards(tree, actor_for):
    actor = actor_for("b1")
    r = opened(tree, actor)
    with pytest.raises(ValidationError) as e:
        rectification_advance(rectification=r, step="assign", on=date(2026, 2, 28), actor=actor)
    assert "on" in e.value.error_dict
    r = rectification_advance(rectification=r, step="assign", on=date(2026, 3, 1), actor=actor)
    with pytest.raises(ValidationError):
        rectification_advance(rectification=r, step="verify", on=date(2026, 2, 28), actor=actor)
    # the same day as the step before is allowed
    r = rectification_advance(rectification=r, step="verify", on=date(2026, 3, 1), actor=actor)
    assert r.status == "verified"


def test_due_day_and_accountability_checks(tree, actor_for):
    actor = actor_for("b1")
    r = opened(tree, actor)
    with pytest.raises(ValidationError) as e:
        rectification_advance(
            rectification=r,
            step="assign",
            on=date(2026, 3, 5),
            due_on=date(2026, 3, 4),
            actor=actor,
        )
    assert "due_on" in e.value.error_dict
    with pytest.raises(ValidationError) as e:
        rectification_advance(
            rectification=r, step="assign", on=date(2026, 3, 5), accountability=True, actor=actor
        )
    assert "accountability" in e.value.error_dict
    with pytest.raises(ValidationError) as e:
        rectification_advance(
            rectification=r,
            step="assign",
            on=date(2026, 3, 5),
            accountability_on=date(2026, 3, 5),
            actor=actor,
        )
    assert "accountability_on" in e.value.error_dict
    with pytest.raises(ValidationError) as e:
        opened(tree, actor, found_on=date(2026, 3, 1), due_on=date(2026, 2, 1))
    assert "due_on" in e.value.error_dict
    with pytest.raises(ValidationError):
        opened(tree, actor, title="   ")


def test_only_administrators_of_the_org_may_write(tree, actor_for):
    with pytest.raises(PermissionDenied):
        opened(tree, actor_for("b2"))
    with pytest.raises(PermissionDenied):
        opened(tree, actor_for("member"))
    r = opened(tree, actor_for("wc"))  # the work committee administers the whole tree
    with pytest.raises(PermissionDenied):
        rectification_advance(
            rectification=r, step="assign", on=date(2026, 3, 2), actor=actor_for("b2")
        )
    r.refresh_from_db()
    assert r.assigned_on is None
    assert Rectification.objects.count() == 1


def test_database_refuses_dates_out_of_order(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Rectification.objects.create(
            org=tree.branch1, title="x", found_on=date(2026, 3, 1), assigned_on=date(2026, 2, 1)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Rectification.objects.create(
            org=tree.branch1, title="x", found_on=date(2026, 3, 1), verified_on=date(2026, 3, 2)
        )
