"""Selectors for the web app: which pack applies, and findings cached until a write."""

import pytest
from django.db import transaction

from dangjian.core.audit import audit_record
from dangjian.policy.models import PackAssignment
from dangjian.policy.selectors import data_version, findings_for_org, pack_for_org
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


def test_findings_cached_until_an_audited_write(system_actor, django_assert_num_queries):
    root = org("W1", "work_committee")
    br = org("B1", "branch", parent=root)
    (p,) = members(br, 1)
    with transaction.atomic():
        audit_record(actor=system_actor, action="create", object_type="person")
    first = findings_for_org(org=root, year=2022)
    assert any(f.rule.endswith("training-hours-member") for f in first.findings)
    # a second call is served from the cache: only the pack and version look-ups run
    with django_assert_num_queries(2):
        again = findings_for_org(org=root, year=2022)
    assert again.as_dict() == first.as_dict()
    # a write through a service (audited) invalidates it
    before = data_version()
    with transaction.atomic():
        training(p, "2022-05-01", 40)
        audit_record(actor=system_actor, action="create", object_type="training")
    token, n = before.split(":")
    assert data_version() == f"{token}:{int(n) + 1}"
    fresh = findings_for_org(org=root, year=2022)
    assert not any(f.rule.endswith("training-hours-member") for f in fresh.findings)
