"""A handcrafted dataset touching every field of every list, and helpers."""

import copy
import io
import json
from typing import Any

import pytest
from django.core.management import call_command

FULL_DATASET: dict[str, Any] = {
    "format": "dangjian/1",
    "organizations": [
        {"id": "O1", "name": "市直机关工委", "type": "work_committee", "parent": None},
        {
            "id": "O2",
            "name": "市财政局党组",
            "type": "party_group",
            "parent": "O1",
            "staff_count": 120,
            "established": "2001-07-01",
            "extra": {"code": "CZ", "tags": ["a", "b"]},
        },
        {"id": "O3", "name": "市财政局机关党委", "type": "organ_committee", "parent": "O2"},
        {"id": "O4", "name": "预算科党支部", "type": "branch", "parent": "O3"},
        {
            "id": "O5",
            "name": "国库科党支部",
            "type": "branch",
            "parent": "O3",
            "established": "2010-03-01",
            "dissolved": "2022-12-31",
        },
        {"id": "O6", "name": "预算科第一党小组", "type": "party_cell", "parent": "O4"},
        {"id": "O7", "name": "机关纪委", "type": "discipline_committee", "parent": "O2"},
        {"id": "O8", "name": "市财政局机关党总支", "type": "general_branch", "parent": "O3"},
    ],
    "people": [
        {
            "id": "P1",
            "name": "张三",
            "org": "O4",
            "status": "full",
            "applied_on": "2005-03-01",
            "activist_on": "2005-09-01",
            "candidate_on": "2006-03-01",
            "joined_on": "2006-07-01",
            "full_on": "2007-07-01",
            "birth_date": "1980-05-20",
            "leading_cadre": True,
            "party_worker": "full_time",
            "employment": "in_service",
            "monthly_income": 8234.5,
            "extra": {"工号": "A001"},
        },
        {
            "id": "P2",
            "name": "李四",
            "org": "O4",
            "status": "probationary",
            "joined_on": "2022-06-01",
            "probation_extended_to": "2023-12-01",
            "party_worker": "part_time",
            "monthly_income": 6000,
        },
        {
            "id": "P3",
            "name": "王五",
            "org": "O5",
            "status": "full",
            "employment": "retired",
            "mobile": True,
            "hosted_by": "O8",
            "left_on": "2022-11-30",
        },
        {
            "id": "P4",
            "name": "赵六",
            "org": "O8",
            "status": "candidate",
            "candidate_on": "2022-01-10",
        },
        {
            "id": "P5",
            "name": "钱七",
            "org": "O8",
            "status": "activist",
            "activist_on": "2022-02-10",
        },
        {
            "id": "P6",
            "name": "孙八",
            "org": "O3",
            "status": "applicant",
            "applied_on": "2022-03-10",
        },
    ],
    "transfers": [
        {
            "person": "P3",
            "from": "O4",
            "to": "O5",
            "date": "2022-04-01",
            "letter": "财组〔2022〕7号",
        },
        {
            "person": "P1",
            "from": None,
            "to": "O4",
            "date": "2020-01-15",
            "extra": {"note": "外单位转入"},
        },
        {"person": "P2", "from": "O5", "to": None, "date": "2021-01-01"},
    ],
    "positions": [
        {"person": "P1", "org": "O4", "role": "secretary", "start": "2021-01-01", "end": None},
        {
            "person": "P2",
            "org": "O4",
            "role": "deputy_secretary",
            "start": "2021-01-01",
            "end": "2022-06-30",
        },
        {"person": "P2", "org": "O4", "role": "committee_member", "start": "2022-07-01"},
        {"person": "P1", "org": "O7", "role": "discipline_member", "start": "2020-01-01"},
        {
            "person": "P1",
            "org": "O6",
            "role": "cell_leader",
            "start": "2020-01-01",
            "extra": {"x": 1},
        },
    ],
    "terms": [
        {"org": "O4", "elected_on": "2021-01-01", "years": 3},
        {"org": "O3", "elected_on": "2019-06-01", "years": 5, "extra": {"届次": "第三届"}},
    ],
    "activities": [
        {
            "id": "A1",
            "org": "O4",
            "kind": "party_lesson",
            "date": "2022-03-15",
            "title": "学习党章",
            "hours": 2.5,
            "speaker": "P1",
            "attendees": ["P2", "P1", "P3"],
            "extra": {"地点": "三楼会议室"},
        },
        {"id": "A2", "org": "O3", "kind": "talk", "date": "2022-04-01", "subject": "O4"},
        {
            "id": "A3",
            "org": "O4",
            "kind": "talk",
            "date": "2022-04-02",
            "subject": "P2",
            "attendees": [],
        },
        {
            "id": "A4",
            "org": "O2",
            "kind": "report_hearing",
            "date": "2022-06-30",
            "subject": "O3",
            "hours": 1,
        },
        {
            "id": "A5",
            "org": "O4",
            "kind": "theme_day",
            "date": "2022-05-20",
            "attendees": ["P1", "P2"],
            "absentees": [
                {"person": "P4", "reason": "sick"},
                {
                    "person": "P3",
                    "reason": "other",
                    "note": "外出培训",
                    "made_up_on": "2022-05-25",
                    "made_up_how": "自学会议材料并交流心得",
                },
            ],
        },
    ],
    "trainings": [
        {
            "id": "T1",
            "person": "P1",
            "date": "2022-05-01",
            "hours": 8,
            "kind": "general",
            "title": "集中轮训",
        },
        {"person": "P2", "date": "2022-05-02", "hours": 4.5, "kind": "party_school"},
        {"person": "P2", "date": "2022-05-02", "hours": 4.5, "kind": "party_school"},
        {
            "id": "T2",
            "person": "P1",
            "date": "2022-06-01",
            "hours": 16,
            "kind": "secretary_induction",
            "extra": {"k": "v"},
        },
        {"id": "T3", "person": "P1", "date": "2022-06-02", "hours": 3, "kind": "party_worker"},
    ],
    "filings": [
        {
            "id": "F1",
            "org": "O3",
            "kind": "duty_report",
            "date": "2023-01-10",
            "period": "2022",
            "by": "P1",
        },
        {
            "org": "O2",
            "kind": "political_ecology_report",
            "date": "2022-07-05",
            "period": "2022-H1",
        },
        {
            "id": "F3",
            "org": "O4",
            "kind": "thought_report",
            "date": "2022-10-05",
            "period": "2022-Q3",
        },
        {"id": "F4", "org": "O3", "kind": "work_report", "date": "2022-06-05", "period": "2022-05"},
        {
            "id": "F5",
            "org": "O2",
            "kind": "responsibility_list",
            "date": "2022-02-01",
            "period": "2022",
            "extra": {"v": 2},
        },
    ],
    "dues": [
        {"person": "P1", "month": "2022-01", "amount": 12.75, "paid_on": "2022-01-05"},
        {
            "person": "P1",
            "month": "2022-02",
            "amount": 12.75,
            "paid_on": "2022-02-05",
            "extra": {"方式": "线上"},
        },
        {"person": "P2", "month": "2022-01", "amount": 30, "paid_on": "2022-01-31"},
    ],
    "assessments": [
        {
            "subject": "O2",
            "year": 2022,
            "kind": "party_building",
            "grade": "excellent",
            "rank": 1,
            "out_of": 40,
        },
        {"subject": "P1", "year": 2022, "kind": "performance", "grade": "good"},
        {"subject": "O4", "year": 2022, "kind": "star_rating", "grade": 4},
        {"subject": "O5", "year": 2021, "kind": "star_rating", "grade": 5, "extra": {"批次": 2}},
        {"subject": "P2", "year": 2022, "kind": "performance", "grade": "fair"},
        {
            "subject": "P3",
            "year": 2021,
            "kind": "performance",
            "grade": "poor",
            "rank": 9,
            "out_of": 9,
        },
    ],
}


@pytest.fixture
def full_dataset() -> dict[str, Any]:
    return copy.deepcopy(FULL_DATASET)


def _write_json(tmp_path, data: Any, name: str = "data.json") -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return str(path)


def _export_json(*args: str) -> dict[str, Any]:
    """Run the real `export` command and parse what it printed."""
    out = io.StringIO()
    call_command("export", *args, stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def _run_import(path: str) -> tuple[int, str, str]:
    """Run the real `import` command; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", path, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def write_json(tmp_path):  # type: ignore[no-untyped-def]
    """write_json(data, name="data.json") -> path of a JSON file holding data."""
    return lambda data, name="data.json": _write_json(tmp_path, data, name)


@pytest.fixture
def export_json():  # type: ignore[no-untyped-def]
    return _export_json


@pytest.fixture
def run_import():  # type: ignore[no-untyped-def]
    return _run_import


def _wipe() -> None:
    """Delete every record of the dataset's tables (an empty database for round trips)."""
    from dangjian.orgs.models import Organization, Position, Term
    from dangjian.oversight.models import Assessment
    from dangjian.people.models import Due, Person, Transfer
    from dangjian.records.models import Activity, Attendance, Filing, Training

    for model in (Attendance, Activity, Training, Filing, Due, Transfer, Position, Term):
        model.objects.all().delete()
    Assessment.objects.all().delete()
    Person.objects.all().delete()
    Organization.objects.update(parent=None)
    Organization.objects.all().delete()


@pytest.fixture
def wipe():  # type: ignore[no-untyped-def]
    return _wipe
