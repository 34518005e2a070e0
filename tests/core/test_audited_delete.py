"""Delete services remove the record and audit what it held, in one transaction."""

import datetime
from decimal import Decimal

import pytest

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry
from dangjian.orgs.models import Organization, Term
from dangjian.orgs.services import term_delete
from dangjian.people.models import Person
from dangjian.records.models import Training
from dangjian.records.services import training_delete

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")


def test_training_and_term_delete_leave_an_audit_entry_with_what_was_deleted():
    org = Organization.objects.create(ext_id="B1", name="第一党支部", type="branch", path="/x/")
    person = Person.objects.create(ext_id="P1", name="张三", org=org, status="full")
    training = Training.objects.create(
        ext_id="T1",
        person=person,
        date=datetime.date(2022, 3, 1),
        hours=Decimal("4.5"),
        kind="general",
    )
    term = Term.objects.create(org=org, elected_on=datetime.date(2021, 1, 1), years=3)
    training_pk, term_pk = training.pk, term.pk

    training_delete(training=training, actor=ACTOR)
    term_delete(term=term, actor=ACTOR)

    assert not Training.objects.exists() and not Term.objects.exists()
    entries = {e.object_type: e for e in AuditEntry.objects.filter(action="delete")}
    assert entries["training"].object_id == str(training_pk)
    assert entries["training"].changes["before"]["hours"] == "4.5"
    assert entries["term"].object_id == str(term_pk)
    assert entries["term"].changes["before"]["years"] == 3
