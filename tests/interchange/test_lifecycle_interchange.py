"""The `admission_steps`, `reviews`, `community_registrations`, `community_services`
extensions to dangjian/1: round trip, files without them, bad records refused (nothing written)."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from dangjian.core.models import AuditEntry
from dangjian.interchange.canonical import canonical_dataset
from dangjian.people.models import (
    AdmissionStep,
    CommunityRegistration,
    CommunityService,
    MemberReview,
)

pytestmark = pytest.mark.django_db

LISTS: dict[str, list[dict[str, Any]]] = {
    "admission_steps": [
        {"person": "P1", "step": "applied", "date": "2005-03-01", "evidence": "入党申请书"},
        {"person": "P1", "step": "talked", "date": "2005-03-20", "evidence": "谈话记录"},
        {
            "person": "P1",
            "step": "extended",
            "date": "2006-06-01",
            "evidence": "支部大会决议",
            "until": "2007-01-01",
            "extra": {"文号": "X-1"},
        },
    ],
    "reviews": [
        {"person": "P1", "year": 2021, "outcome": "excellent", "reviewed_on": "2022-01-10"},
        {
            "person": "P2",
            "year": 2021,
            "outcome": "unqualified",
            "reviewed_on": "2022-01-10",
            "correction_due": "2022-07-10",
            "decision": "corrected",
            "decided_on": "2022-07-01",
            "extra": {"批次": 1},
        },
        {
            "person": "P2",
            "year": 2022,
            "outcome": "unqualified",
            "reviewed_on": "2023-01-08",
            "correction_due": "2023-06-30",
        },
    ],
    "community_registrations": [
        {
            "person": "P1",
            "community": "幸福社区",
            "registered_on": "2021-03-01",
            "ended_on": "2022-03-01",
        },
        {"person": "P1", "community": "和平社区", "registered_on": "2022-03-01"},
    ],
    "community_services": [
        {"person": "P1", "date": "2022-04-02", "hours": 2.5, "community": "和平社区"},
        {"person": "P1", "date": "2022-05-02", "hours": 3},
    ],
}


@pytest.fixture
def with_lists(full_dataset):  # type: ignore[no-untyped-def]
    full_dataset.update(json.loads(json.dumps(LISTS)))
    return full_dataset


def test_round_trip(with_lists, write_json, export_json, run_import, wipe):
    assert run_import(write_json(with_lists))[0] == 0
    first = export_json()
    canon = canonical_dataset(with_lists)
    for ln in LISTS:
        assert first[ln] == canon[ln], ln
    assert MemberReview.objects.get(person__ext_id="P2", year=2021).decision == "corrected"
    assert CommunityService.objects.get(date=date(2022, 4, 2)).hours == Decimal("2.5")
    assert CommunityRegistration.objects.filter(ended_on__isnull=True).count() == 1
    step = AdmissionStep.objects.get(step="extended")
    assert step.until == date(2007, 1, 1) and step.recorded_at is not None

    wipe()
    assert run_import(write_json(first, "exported.json"))[0] == 0
    assert canonical_dataset(export_json()) == canonical_dataset(first)

    # Re-importing updates in place by the natural key.
    first["reviews"][2]["decision"] = "persuaded_to_quit"
    first["reviews"][2]["decided_on"] = "2023-06-01"
    assert run_import(write_json(first, "again.json"))[0] == 0
    assert MemberReview.objects.count() == 3
    assert MemberReview.objects.get(person__ext_id="P2", year=2022).decision == "persuaded_to_quit"


def test_a_file_without_the_lists_loads_unchanged(
    full_dataset, write_json, export_json, run_import
):
    assert run_import(write_json(full_dataset))[0] == 0
    exported = export_json()
    for ln in LISTS:
        assert exported[ln] == []


def _set(ln: str, index: int, key: str, value: Any):  # type: ignore[no-untyped-def]
    def mutate(data):  # type: ignore[no-untyped-def]
        data[ln][index][key] = value

    return mutate


CASES = [
    (_set("admission_steps", 0, "step", "joined"), "admission_steps[#0].step: 取值"),
    (_set("admission_steps", 0, "until", "2006-01-01"), "只有延长预备期（extended）填写"),
    (_set("admission_steps", 1, "evidence", None), "admission_steps[#1].evidence: 缺少必填字段"),
    (_set("reviews", 0, "outcome", "good"), "reviews[#0].outcome: 取值"),
    (_set("reviews", 0, "decision", "removed"), "reviews[#0].decision: 评议结果不是不合格"),
    (_set("reviews", 2, "decision", "removed"), "处置结果和处置日期须同时填写"),
    (_set("reviews", 1, "correction_due", "2022-01-09"), "限期改正期限早于评议日期"),
    (_set("reviews", 1, "opinion", "x"), "opinion: 未知字段"),
    (_set("community_registrations", 0, "ended_on", "2021-02-01"), "结束日期早于报到日期"),
    (_set("community_services", 0, "hours", 25), "数值过大"),
    (_set("community_services", 1, "hours", 0), "服务时长须大于 0"),
    (_set("community_services", 1, "person", "P99"), '引用了不存在的人员 "P99"'),
]


@pytest.mark.parametrize(("mutate", "expected"), CASES, ids=[c[1][:24] for c in CASES])
def test_bad_records_exit_2_and_change_nothing(
    with_lists, mutate, expected, write_json, export_json, run_import
):
    assert run_import(write_json(with_lists, "base.json"))[0] == 0
    before = export_json()
    audits = AuditEntry.objects.count()
    mutate(with_lists)
    with_lists["people"][0]["name"] = "改名"  # would change, were anything written
    status, _, err = run_import(write_json(with_lists))
    assert status == 2
    assert expected in err, err
    assert export_json() == before
    assert AuditEntry.objects.count() == audits


def test_subtree_export_holds_its_people_only(with_lists, write_json, export_json, run_import):
    assert run_import(write_json(with_lists))[0] == 0
    people = {p["id"] for p in export_json("--org", "O4")["people"]}
    sub = export_json("--org", "O4")
    for ln in LISTS:
        assert {r["person"] for r in sub[ln]} <= people
