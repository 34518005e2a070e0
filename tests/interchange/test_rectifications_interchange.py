"""The `rectifications` extension to dangjian/1: round trip, bad input, old files, checks."""

import io
import json
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry
from dangjian.interchange.canonical import canonical_dataset
from dangjian.interchange.importer import dataset_import
from dangjian.orgs.models import Organization
from dangjian.oversight.models import Rectification
from dangjian.oversight.services import rectification_open
from dangjian.records.models import Activity

pytestmark = pytest.mark.django_db

RECTIFICATIONS: list[dict[str, Any]] = [
    {
        "id": "R1",
        "org": "O4",
        "title": "三会一课记录不全",
        "rule": "danyang-2020/three-meetings",
        "period": "2022",
        "subject": "预算科党支部",
        "inspection": "A4",
        "found_on": "2022-03-01",
        "assigned_on": "2022-03-05",
        "verified_on": "2022-03-10",
        "due_on": "2022-04-30",
        "rectified_on": "2022-04-20",
        "accountability": True,
        "accountability_on": "2022-04-15",
        "revisit_on": "2022-05-01",
        "closed_on": "2022-05-10",
        "extra": {"来源": "专项督查"},
    },
    {"id": "R2", "org": "O3", "title": "组织生活会未按期召开", "found_on": "2022-06-01"},
]


@pytest.fixture
def with_rects(full_dataset):  # type: ignore[no-untyped-def]
    full_dataset["rectifications"] = json.loads(json.dumps(RECTIFICATIONS))
    return full_dataset


def test_round_trip_with_rectifications(with_rects, write_json, export_json, run_import, wipe):
    assert run_import(write_json(with_rects))[0] == 0
    first = export_json()
    assert first["rectifications"] == canonical_dataset(with_rects)["rectifications"]
    r1 = first["rectifications"][0]
    assert r1["inspection"] == "A4" and r1["accountability"] is True
    assert first["rectifications"][1] == {
        "id": "R2",
        "org": "O3",
        "title": "组织生活会未按期召开",
        "found_on": "2022-06-01",
        "accountability": False,
    }
    stored = Rectification.objects.get(ext_id="R1")
    assert stored.source_activity == Activity.objects.get(ext_id="A4")
    assert stored.status == "closed" and stored.created_at is not None
    assert stored.extra == {"来源": "专项督查"}

    wipe()
    Rectification.objects.all().delete()
    path = write_json(first, "exported.json")
    assert run_import(path)[0] == 0
    assert canonical_dataset(export_json()) == canonical_dataset(first)

    # Re-importing the same ids updates in place.
    first["rectifications"][1]["assigned_on"] = "2022-06-10"
    assert run_import(write_json(first, "again.json"))[0] == 0
    assert Rectification.objects.count() == 2
    assert Rectification.objects.get(ext_id="R2").assigned_on == date(2022, 6, 10)


def test_a_dataset_without_the_list_still_imports(
    full_dataset, write_json, export_json, run_import
):
    assert "rectifications" not in full_dataset
    assert run_import(write_json(full_dataset))[0] == 0
    assert export_json()["rectifications"] == []


def _set(index: int, key: str, value: Any):  # type: ignore[no-untyped-def]
    def mutate(data):  # type: ignore[no-untyped-def]
        data["rectifications"][index][key] = value

    return mutate


def _drop(index: int, key: str):  # type: ignore[no-untyped-def]
    def mutate(data):  # type: ignore[no-untyped-def]
        del data["rectifications"][index][key]

    return mutate


def _both(*mutations):  # type: ignore[no-untyped-def]
    def mutate(data):  # type: ignore[no-untyped-def]
        for m in mutations:
            m(data)

    return mutate


CASES = [
    (_set(0, "verified_on", "2022-03-04"), "rectifications[R1].verified_on: 核实日期早于交办日期"),
    (_set(0, "assigned_on", "2022-02-28"), "rectifications[R1].assigned_on: 交办日期早于发现日期"),
    (_set(1, "due_on", "2022-05-31"), "rectifications[R2].due_on: 整改期限早于发现日期"),
    (_drop(0, "verified_on"), "rectifications[R1].rectified_on: 缺少前一环节的日期 verified_on"),
    (
        _set(0, "accountability", False),
        "rectifications[R1].accountability_on: 未问责",
    ),
    (_set(1, "org", "O99"), 'rectifications[R2].org: 引用了不存在的组织 "O99"'),
    (_set(0, "inspection", "A99"), 'rectifications[R1].inspection: 引用了不存在的活动 "A99"'),
    (_set(1, "severity", "high"), "rectifications[R2].severity: 未知字段"),
    (_set(1, "found_on", "2022-02-30"), "rectifications[R2].found_on: 日期无效"),
    (_set(1, "found_on", None), "rectifications[R2].found_on: 缺少必填字段"),
    (_set(1, "id", "R1"), "rectifications[R1].id: 编号重复"),
    (
        _both(_set(1, "accountability", "yes"), _set(1, "rule", 7)),
        "rectifications[R2].accountability: 应为 true 或 false",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), CASES, ids=[c[1].split(":")[0] for c in CASES])
def test_bad_rectification_exits_2_and_changes_nothing(
    with_rects, mutate, expected, write_json, export_json, run_import
):
    # Stored first: a failing import must leave the database (and its R1) as it was.
    assert run_import(write_json(with_rects, "base.json"))[0] == 0
    before = export_json()
    audits = AuditEntry.objects.count()
    mutate(with_rects)
    with_rects["people"][0]["name"] = "改名"  # would change, were anything written
    status, _, err = run_import(write_json(with_rects))
    assert status == 2
    assert expected in err, err
    assert export_json() == before
    assert AuditEntry.objects.count() == audits


def test_references_resolve_against_the_database(with_rects, write_json, export_json, run_import):
    assert run_import(write_json(with_rects, "base.json"))[0] == 0
    # A later file with only rectifications, naming an org and an inspection already stored.
    later = {
        "format": "dangjian/1",
        "rectifications": [
            {"id": "R3", "org": "O5", "title": "党费收缴不及时", "found_on": "2022-07-01"},
            {"id": "R4", "org": "O2", "title": "x", "inspection": "A1", "found_on": "2022-07-01"},
        ],
    }
    assert run_import(write_json(later))[0] == 0
    assert Rectification.objects.get(ext_id="R4").source_activity.ext_id == "A1"  # type: ignore[union-attr]
    assert {r["id"] for r in export_json()["rectifications"]} == {"R1", "R2", "R3", "R4"}


def test_subtree_export_holds_the_subtree_rectifications(
    with_rects, write_json, export_json, run_import
):
    assert run_import(write_json(with_rects))[0] == 0
    sub = export_json("--org", "O4")
    assert [r["id"] for r in sub["rectifications"]] == ["R1"]
    # A4 (the inspection) belongs to O2, outside the subtree: the reference is left out.
    assert "inspection" not in sub["rectifications"][0]
    whole = export_json("--org", "O2")
    assert [r["id"] for r in whole["rectifications"]] == ["R1", "R2"]
    assert whole["rectifications"][0]["inspection"] == "A4"


def test_rectifications_opened_on_the_web_get_an_id_and_export(export_json):
    dataset_import(
        {
            "format": "dangjian/1",
            "organizations": [{"id": "B1", "name": "一支部", "type": "branch"}],
        },
        actor=Actor.system("test"),
    )
    org = Organization.objects.get(ext_id="B1")
    a = rectification_open(
        org=org, title="台账不全", found_on=date(2022, 3, 1), actor=Actor.system("test")
    )
    b = rectification_open(
        org=org, title="制度未上墙", found_on=date(2022, 3, 2), actor=Actor.system("test")
    )
    assert a.ext_id and b.ext_id and a.ext_id != b.ext_id
    exported = export_json()
    assert sorted(r["id"] for r in exported["rectifications"]) == sorted([a.ext_id, b.ext_id])
    entry = AuditEntry.objects.filter(object_type="rectification").first()
    assert entry is not None and entry.changes["after"]["ext_id"] in (a.ext_id, b.ext_id)


@pytest.mark.django_db(transaction=True)
def test_check_file_reports_an_overdue_rectification(with_rects, write_json):
    with_rects["rectifications"].append(
        # assigned with a 整改期限 of 2022-09-30 that passed without 整改完成 (the pack's own
        # day limits for the other steps only give reminders)
        {
            "id": "R9",
            "org": "O4",
            "title": "谈心谈话未开展",
            "found_on": "2022-08-01",
            "assigned_on": "2022-08-05",
            "due_on": "2022-09-30",
        }
    )
    out = io.StringIO()
    call_command(
        "check",
        write_json(with_rects),
        policy="danyang-2020",
        year=2022,
        as_of="2022-12-31",
        format="json",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    loop = [f for f in report["findings"] if f["rule"] == "danyang-2020/rectification-loop"]
    assert any("谈心谈话未开展" in f["message"] and f["severity"] == "violation" for f in loop)
    # R1 went through every step on time: nothing about it.
    assert not any("三会一课记录不全" in f["message"] for f in loop)
