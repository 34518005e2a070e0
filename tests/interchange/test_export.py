"""Export: canonical shape, subtree export, the streaming writer, the command's errors."""

import io
import json

import pytest
from django.core.management import call_command

from dangjian.core.actor import Actor
from dangjian.interchange.canonical import canonical_dataset
from dangjian.interchange.exporter import dataset_export, dataset_write
from dangjian.interchange.importer import dataset_import
from dangjian.interchange.validation import LISTS

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")


def test_empty_database_exports_every_list_empty(export_json):
    assert export_json() == {"format": "dangjian/1", **{ln: [] for ln in LISTS}}


def test_keys_in_contract_order_and_lists_sorted(full_dataset):
    dataset_import(full_dataset, actor=ACTOR)
    data = dataset_export()
    assert list(data) == ["format", *LISTS]
    for ln in LISTS:
        order = [spec.name for spec in LISTS[ln]]
        for record in data[ln]:
            keys = list(record)
            assert keys == sorted(keys, key=order.index), (ln, keys)
    assert [p["id"] for p in data["people"]] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert [(t["person"], t["date"]) for t in data["transfers"]] == [
        ("P1", "2020-01-15"),
        ("P2", "2021-01-01"),
        ("P3", "2022-04-01"),
    ]
    a1 = next(a for a in data["activities"] if a["id"] == "A1")
    assert a1["attendees"] == ["P1", "P2", "P3"] and a1["hours"] == 2.5
    assert next(a for a in data["activities"] if a["id"] == "A4")["hours"] == 1
    assert "attendees" not in next(a for a in data["activities"] if a["id"] == "A3")


def test_streaming_writer_matches_dict_export(full_dataset):
    dataset_import(full_dataset, actor=ACTOR)
    buf = io.StringIO()
    dataset_write(buf)
    assert json.loads(buf.getvalue()) == dataset_export()
    assert "张三" in buf.getvalue()  # UTF-8 text, not \\u escapes


def test_subtree_export_is_self_contained(full_dataset, export_json, run_import, write_json, wipe):
    dataset_import(full_dataset, actor=ACTOR)
    sub = export_json("--org", "O4")
    assert [o["id"] for o in sub["organizations"]] == ["O4", "O6"]
    assert "parent" not in sub["organizations"][0]  # the root's parent is outside
    assert [p["id"] for p in sub["people"]] == ["P1", "P2"]
    assert {a["id"] for a in sub["activities"]} == {"A1", "A3", "A5"}
    a1 = next(a for a in sub["activities"] if a["id"] == "A1")
    assert a1["attendees"] == ["P1", "P2"]  # P3 belongs elsewhere
    assert [(t["person"], t.get("from"), t.get("to")) for t in sub["transfers"]] == [
        ("P1", None, "O4"),
        ("P2", None, None),
    ]
    assert {(p["person"], p["org"]) for p in sub["positions"]} == {
        ("P1", "O4"),
        ("P1", "O6"),
        ("P2", "O4"),
    }
    assert {a["subject"] for a in sub["assessments"]} == {"O4", "P1", "P2"}
    assert [f["id"] for f in sub["filings"]] == ["F3"]

    # imports into an empty database and exports the same
    from dangjian.orgs.models import Organization

    wipe()
    assert Organization.objects.count() == 0
    assert run_import(write_json(sub))[0] == 0
    assert export_json() == sub == canonical_dataset(sub)


def test_unknown_org_exits_2():
    err = io.StringIO()
    with pytest.raises(SystemExit) as info:
        call_command("export", "--org", "NOPE", stdout=io.StringIO(), stderr=err)
    assert info.value.code == 2
    assert '组织 "NOPE" 不存在' in err.getvalue()
