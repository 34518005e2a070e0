"""The importer reads a file list by list and writes it batch by batch.

Memory that does not grow with the file is checked structurally, not by timing or
RSS: every write holds at most one batch, and each batch of people is written
while the file is still being read, a bounded distance behind the reading. A
whole-file parse (read everything, then write) fails the second check.
"""

import io
import json
from typing import Any

import pytest

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry
from dangjian.interchange import importer, stream
from dangjian.interchange.canonical import canonical_dataset
from dangjian.interchange.errors import DatasetError
from dangjian.interchange.importer import dataset_import
from dangjian.people.models import Due, Person

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")
BATCH = 50
CHUNK = 4096


def _province(people: int) -> dict[str, Any]:
    orgs = [{"id": "O1", "name": "机关工委", "type": "work_committee"}]
    orgs += [
        {"id": f"O{b}", "name": f"第{b}支部", "type": "branch", "parent": "O1"}
        for b in range(2, 12)
    ]
    ids = [f"P{i}" for i in range(people)]
    return {
        "format": "dangjian/1",
        "organizations": orgs,
        "people": [
            {"id": p, "name": "党员", "org": f"O{2 + i % 10}", "status": "full"}
            for i, p in enumerate(ids)
        ],
        "activities": [
            {
                "id": f"A{b}",
                "org": f"O{b}",
                "kind": "theme_day",
                "date": "2025-03-05",
                "attendees": [p for i, p in enumerate(ids) if 2 + i % 10 == b],
            }
            for b in range(2, 12)
        ],
        "dues": [
            {"person": p, "month": "2025-01", "amount": 12.5, "paid_on": "2025-01-08"} for p in ids
        ],
    }


def _one_record_a_line(data: dict[str, Any]) -> bytes:
    """As `generate` and `export` write: one record on each line."""
    parts = [f'{{"format":{json.dumps(data["format"])}']
    for key, records in data.items():
        if key != "format":
            body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
            parts.append(f',\n"{key}":[\n{body}\n]')
    return ("".join(parts) + "}\n").encode()


class CountingReader(io.BytesIO):
    """A binary stream that remembers how far it has been read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_so_far = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.read_so_far += len(chunk)
        return chunk


@pytest.fixture
def writes(monkeypatch):  # type: ignore[no-untyped-def]
    """Small batches and chunks; each insert recorded as (table, rows, bytes read by then)."""
    monkeypatch.setattr(importer, "BATCH", BATCH)
    monkeypatch.setattr(stream, "CHUNK", CHUNK)
    seen: list[tuple[str, int, int]] = []
    reader: list[CountingReader] = []
    real = importer._Writer.insert

    def insert(self, model, columns, rows, **kw):  # type: ignore[no-untyped-def]
        rows = list(rows)
        seen.append((model._meta.db_table, len(rows), reader[0].read_so_far))
        return real(self, model, columns, rows, **kw)

    monkeypatch.setattr(importer._Writer, "insert", insert)
    return seen, reader


def test_people_are_written_batch_by_batch_while_the_file_is_read(writes):
    seen, reader = writes
    data = _one_record_a_line(_province(1000))
    reader.append(CountingReader(data))
    dataset_import(reader[0], actor=ACTOR)
    assert Person.objects.count() == 1000 and Due.objects.count() == 1000

    # No write holds more than one batch of records.
    assert max(rows for table, rows, _ in seen if table != "dj_attendance") <= BATCH
    people = [(rows, read) for table, rows, read in seen if table == "dj_person"]
    assert [rows for rows, _ in people] == [BATCH] * 20
    # Each batch is written at most a chunk or two after its last record was read: the
    # reading never runs ahead of the writing, so a file twice as long needs no more.
    written = 0
    for rows, read in people:
        written += rows
        last = data.index(f'{{"id": "P{written - 1}"'.encode())
        assert read <= last + 2 * CHUNK, (written, read, last)
    assert people[-1][1] < len(data) / 2  # the dues were still unread


def test_a_whole_file_is_no_different_from_a_mapping(writes, export_json):
    _, reader = writes
    data = _province(120)
    reader.append(CountingReader(_one_record_a_line(data)))
    dataset_import(reader[0], actor=ACTOR)
    assert export_json() == canonical_dataset(data)


def test_lists_in_any_order_import_the_same(full_dataset, write_json, run_import, export_json):
    # Keys of a JSON object have no order: a list may come before the lists it refers to.
    backwards = {key: full_dataset[key] for key in reversed(list(full_dataset))}
    assert next(iter(backwards)) == "assessments" and list(backwards)[-1] == "format"
    status, _, err = run_import(write_json(backwards))
    assert status == 0, err
    assert export_json() == canonical_dataset(full_dataset)


def test_malformed_json_late_in_the_file_undoes_every_batch(writes, export_json):
    seen, reader = writes
    data = _one_record_a_line(_province(600))
    cut = data.rindex(b",\n", 0, len(data) - 200) + 2  # between two dues near the end
    broken = data[:cut] + b"{oops},\n" + data[cut:]
    reader.append(CountingReader(broken))
    before = export_json()
    with pytest.raises(DatasetError, match=r"JSON 格式错误：第 \d+ 行第 \d+ 列"):
        dataset_import(reader[0], actor=ACTOR)
    assert any(table == "dj_person" for table, _, _ in seen)  # batches had been written
    assert export_json() == before and Person.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_problem_late_in_the_file_undoes_every_batch(writes, export_json):
    seen, reader = writes
    data = _province(600)
    data["dues"][590]["person"] = "P-none"
    data["dues"][595]["amount"] = -1
    reader.append(CountingReader(_one_record_a_line(data)))
    with pytest.raises(DatasetError) as info:
        dataset_import(reader[0], actor=ACTOR)
    # the shape first: the unknown person is only reported once every record is well formed
    assert [str(p) for p in info.value.problems] == [
        "dues[#595].amount: 不能为负数：-1 (must not be negative)"
    ]
    assert any(table == "dj_due" for table, _, _ in seen)
    assert Person.objects.count() == 0 and Due.objects.count() == 0

    data["dues"][595]["amount"] = 1
    reader[0] = CountingReader(_one_record_a_line(data))
    with pytest.raises(DatasetError) as info:
        dataset_import(reader[0], actor=ACTOR)
    assert [str(p) for p in info.value.problems] == [
        'dues[#590].person: 引用了不存在的人员 "P-none" (unknown person id)'
    ]
    assert Person.objects.count() == 0


@pytest.mark.parametrize("text", ['{"format": NaN}', '{"format": "dangjian/1"} []', "[1]"])
def test_json_that_is_not_a_dataset_object_is_refused(text):
    with pytest.raises(DatasetError, match="JSON 格式错误"):
        dataset_import(io.BytesIO(text.encode()), actor=ACTOR)


def _with_absentees(people: int, activities: int) -> dict[str, Any]:
    """Many one-person-absent meetings: the absences span several batches of activities."""
    data = _province(people)
    data["activities"] = [
        {
            "id": f"M{a}",
            "org": f"O{2 + a % 10}",
            "kind": "study_session",
            "date": "2025-04-01",
            "attendees": [f"P{(a + 10) % people}"],
            "absentees": [
                {"person": f"P{a % people}", "reason": "sick"},
                {
                    "person": f"P{(a + 20) % people}",
                    "reason": "official",
                    "made_up_on": "2025-04-03",
                    "made_up_how": "自学",
                },
            ],
        }
        for a in range(activities)
    ]
    return data


def test_absences_are_written_batch_by_batch_and_replaced_on_update(writes, export_json):
    from dangjian.records.models import Absence

    seen, reader = writes
    data = _with_absentees(300, 3 * BATCH)
    reader.append(CountingReader(_one_record_a_line(data)))
    dataset_import(reader[0], actor=ACTOR)
    absences = [rows for table, rows, _ in seen if table == "dj_absence"]
    # One write per batch of activities, each holding that batch's absences only.
    assert absences == [2 * BATCH] * 3
    assert Absence.objects.count() == 6 * BATCH
    assert export_json() == canonical_dataset(data)

    # Importing again with other absentees replaces those of each updated activity.
    for a in data["activities"]:
        a["absentees"] = [{"person": a["absentees"][0]["person"], "reason": "personal"}]
    seen.clear()
    reader[0] = CountingReader(_one_record_a_line(data))
    dataset_import(reader[0], actor=ACTOR)
    assert Absence.objects.count() == 3 * BATCH
    assert set(Absence.objects.values_list("reason", flat=True)) == {"personal"}
    assert export_json() == canonical_dataset(data)


def test_an_unknown_absentee_is_named_by_its_place_and_nothing_is_written(writes, export_json):
    _, reader = writes
    data = _with_absentees(300, 2 * BATCH)
    data["activities"][-1]["absentees"][1]["person"] = "P404"
    reader.append(CountingReader(_one_record_a_line(data)))
    before = export_json()
    with pytest.raises(DatasetError) as info:
        dataset_import(reader[0], actor=ACTOR)
    assert f'activities[M{2 * BATCH - 1}].absentees[1].person: 引用了不存在的人员 "P404"' in (
        info.value.render()
    )
    assert export_json() == before


def _records(source: Any) -> dict[str, Any]:
    return {k: v if isinstance(v, str) else list(v) for k, v in stream.read_dataset(source)}


def test_records_one_a_line_read_as_any_other_layout(monkeypatch):
    # Lines of one record each are taken a buffer at a time; whatever else comes between
    # them (a record over several lines, indented, CRLF, two on a line, blank lines) and
    # the buffer's edges (small chunks) read as the standard library reads them.
    monkeypatch.setattr(stream, "CHUNK", 64)
    dues = _province(40)["dues"]
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in dues]
    lines[5] = json.dumps(dues[5], indent=2)
    lines[9] = "   " + lines[9]
    lines[12] = lines[12] + " \r"
    lines[20] = lines[20] + ", " + json.dumps(dues[21])
    del lines[21]
    lines[30] = "\n\n" + lines[30]
    text = '{"format":"dangjian/1",\n"dues":[\n' + ",\n".join(lines) + '\n],\n"terms":[]}\n'
    expected = json.loads(text)
    assert _records(io.BytesIO(text.encode())) == expected
    assert _records(io.BytesIO(text.replace("\n", "\r\n").encode())) == expected


def test_a_malformed_line_among_records_one_a_line_is_placed_exactly(monkeypatch):
    monkeypatch.setattr(stream, "CHUNK", 256)
    data = _one_record_a_line(_province(30))
    cut = data.rindex(b",\n", 0, len(data) - 100) + 2
    line = data[:cut].count(b"\n") + 1
    broken = data[:cut] + b'{"person": oops},\n' + data[cut:]
    with pytest.raises(DatasetError, match=f"第 {line} 行第 12 列"):
        _records(io.BytesIO(broken))
