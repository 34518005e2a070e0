"""`left_reason` on people, a compatible extension of dangjian/1: files without it load
unchanged; with it, it survives the round trip; a wrong value is named."""

import pytest

from dangjian.people.models import Person

pytestmark = pytest.mark.django_db


def test_old_file_loads_unchanged_and_exports_without_the_key(
    full_dataset, write_json, export_json, run_import
):
    assert all("left_reason" not in p for p in full_dataset["people"])
    assert run_import(write_json(full_dataset))[0] == 0
    assert Person.objects.get(ext_id="P3").left_reason == ""
    assert all("left_reason" not in p for p in export_json()["people"])


def test_left_reason_round_trips(full_dataset, write_json, export_json, run_import, wipe):
    p3 = next(p for p in full_dataset["people"] if p["id"] == "P3")
    p3["left_reason"] = "deceased"
    assert run_import(write_json(full_dataset))[0] == 0
    first = export_json()
    assert next(p for p in first["people"] if p["id"] == "P3")["left_reason"] == "deceased"
    wipe()
    assert run_import(write_json(first, "again.json"))[0] == 0
    assert export_json() == first


def test_unknown_left_reason_is_named(full_dataset, write_json, run_import):
    full_dataset["people"][0]["left_reason"] = "vanished"
    code, _, err = run_import(write_json(full_dataset))
    assert code != 0 and "people[P1].left_reason" in err
    assert not Person.objects.exists()
