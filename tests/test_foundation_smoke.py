import pytest
from django.db import transaction

from dangjian.core.audit import audit_record
from dangjian.core.models import AuditEntry
from dangjian.orgs.paths import CycleError, compute_paths


def test_compute_paths_builds_root_to_node_chain():
    paths = compute_paths({1: None, 2: 1, 3: 2, 4: 1})
    assert paths[3] == ("/1/2/3/", 2)
    assert paths[4] == ("/1/4/", 1)
    assert paths[1] == ("/1/", 0)


def test_compute_paths_rejects_cycle():
    with pytest.raises(CycleError):
        compute_paths({1: 2, 2: 1})


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_outside_transaction(system_actor):
    with pytest.raises(RuntimeError):
        audit_record(actor=system_actor, action="x", object_type="y")
    with transaction.atomic():
        audit_record(actor=system_actor, action="create", object_type="organization", object_id=7)
    entry = AuditEntry.objects.get()
    assert (entry.actor_label, entry.source, entry.object_id) == ("test", "test", "7")
