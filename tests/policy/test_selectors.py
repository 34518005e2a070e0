"""Selectors for the web app: which pack applies, and findings cached until a write."""

import pytest
from django.db import transaction

from dangjian.core.audit import audit_record
from dangjian.policy.models import PackAssignment, StoredFinding
from dangjian.policy.selectors import findings_for_org, pack_for_org
from policy.builders import members, org, training

pytestmark = pytest.mark.django_db


def test_pack_for_org_uses_nearest_assignment_and_defaults_to_yunnan():
    root = org("W1", "work_committee")
    dept = org("D1", "party_group", parent=root)
    br = org("B1", "branch", parent=dept)
    assert pack_for_org(br) == "yunnan-2019"
    PackAssignment.objects.create(org=root, pack_id="danyang-2020")
    assert pack_for_org(br) == "danyang-2020"
    PackAssignment.objects.create(org=dept, pack_id="national")
    assert pack_for_org(br) == "national"
    assert pack_for_org(root) == "danyang-2020"


def test_findings_stored_and_refreshed_after_an_audited_write(system_actor):
    root = org("W1", "work_committee")
    dept = org("D1", "party_group", parent=root)
    br = org("B1", "branch", parent=dept)
    (p,) = members(br, 1)
    first = findings_for_org(org=root, year=2022)
    assert any(f.rule.endswith("training-hours-member") for f in first.findings)
    assert StoredFinding.objects.filter(year=2022, subject_ext=p.ext_id).exists()
    # a second call reads the stored rows again: the same report
    again = findings_for_org(org=root, year=2022)
    assert again.as_dict() == first.as_dict()
    # an audited write marks the department stale; tests refresh it at once
    with transaction.atomic():
        t = training(p, "2022-05-01", 40)
        audit_record(
            actor=system_actor, action="create", object_type="training", object_id=str(t.pk)
        )
    fresh = findings_for_org(org=root, year=2022)
    assert not any(f.rule.endswith("training-hours-member") for f in fresh.findings)
