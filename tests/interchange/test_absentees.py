"""Absentees in `dangjian/1` (an extension): old files load unchanged, absences and
make-ups survive import → export, and the generator writes some."""

import copy

import pytest

from dangjian.core.actor import Actor
from dangjian.interchange.canonical import canonical_dataset
from dangjian.interchange.exporter import dataset_export
from dangjian.interchange.generator import generate_dataset
from dangjian.interchange.importer import dataset_import
from dangjian.records.models import Absence, Attendance

pytestmark = pytest.mark.django_db


def test_full_dataset_round_trips_with_absentees(full_dataset):
    dataset_import(copy.deepcopy(full_dataset), actor=Actor.system("test"))
    assert Absence.objects.filter(activity__ext_id="A5").count() == 2
    row = Absence.objects.get(activity__ext_id="A5", person__ext_id="P3")
    assert (row.person.ext_id, row.reason, row.note) == ("P3", "other", "外出培训")
    assert row.made_up_on.isoformat() == "2022-05-25"
    assert canonical_dataset(dataset_export()) == canonical_dataset(full_dataset)


def test_a_file_without_absentees_loads_unchanged(full_dataset):
    old = copy.deepcopy(full_dataset)
    for a in old["activities"]:
        a.pop("absentees", None)
    dataset_import(copy.deepcopy(old), actor=Actor.system("test"))
    assert not Absence.objects.exists()
    exported = dataset_export()
    assert all("absentees" not in a for a in exported["activities"])
    assert canonical_dataset(exported) == canonical_dataset(old)


def test_reimport_replaces_absentees_of_an_activity(full_dataset):
    dataset_import(copy.deepcopy(full_dataset), actor=Actor.system("test"))
    changed = copy.deepcopy(full_dataset)
    a5 = next(a for a in changed["activities"] if a["id"] == "A5")
    a5["attendees"] = ["P1", "P2", "P3"]
    del a5["absentees"]
    dataset_import(changed, actor=Actor.system("test"))
    assert not Absence.objects.filter(activity__ext_id="A5").exists()
    assert Attendance.objects.filter(activity__ext_id="A5").count() == 3


def test_generated_year_has_absences_and_make_ups_and_round_trips():
    data = generate_dataset(orgs=30, members=400, year=2024, seed=3)
    rows = [a for act in data["activities"] for a in act.get("absentees", [])]
    assert rows, "the generator records absent members"
    assert any("made_up_on" in a for a in rows)
    assert any("made_up_on" not in a for a in rows)
    for act in data["activities"]:
        present = set(act.get("attendees", []))
        assert not present & {a["person"] for a in act.get("absentees", [])}
    dataset_import(copy.deepcopy(data), actor=Actor.system("test"))
    assert Absence.objects.count() == len(rows)
    assert canonical_dataset(dataset_export()) == canonical_dataset(data)
