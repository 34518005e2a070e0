"""Bad input through the real `import` command: exit 2, a message naming list, record
and field, and an unchanged database."""

import pytest

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry
from dangjian.interchange.errors import DatasetError, Problem
from dangjian.interchange.importer import dataset_import

pytestmark = pytest.mark.django_db


def _set(path: str, value):  # type: ignore[no-untyped-def]
    """A mutation: set data[list][index][key] = value (path "list.index.key")."""
    ln, index, key = path.split(".")

    def mutate(data):  # type: ignore[no-untyped-def]
        data[ln][int(index)][key] = value

    return mutate


CASES = [
    # (mutation, expected fragments of one message line)
    (_set("people.0.nickname", "老张"), "people[P1].nickname: 未知字段"),
    (_set("organizations.1.type", "ministry"), 'organizations[O2].type: 取值 "ministry" 无效'),
    (_set("people.1.org", "O99"), 'people[P2].org: 引用了不存在的组织 "O99"'),
    (_set("activities.0.date", "2023-02-29"), "activities[A1].date: 日期无效"),
    (_set("trainings.0.hours", -2), "trainings[T1].hours: 不能为负数"),
    (_set("people.2.id", "P1"), "people[P1].id: 编号重复"),
    (
        _set("activities.0.attendees", ["P1", "P404"]),
        'activities[A1].attendees: 引用了不存在的人员 "P404"',
    ),
    (_set("activities.1.subject", "X1"), 'activities[A2].subject: 引用了不存在的组织或人员 "X1"'),
    (_set("assessments.2.grade", 6), "assessments[#2].grade: 星级应为 1–5"),
    (_set("assessments.0.grade", 4), "assessments[#0].grade: 等次 4 无效"),
    (_set("organizations.0.parent", "O6"), "organizations[O1].parent: 上级组织形成循环"),
    (_set("positions.1.end", "2020-12-31"), "positions[#1].end: 离任日期早于任职日期"),
    (_set("dues.0.month", "2022-13"), "dues[#0].month: 月份无效"),
    (_set("filings.0.period", "2022-H3"), "filings[F1].period: 期间无效"),
    (_set("people.0.leading_cadre", "yes"), "people[P1].leading_cadre: 应为 true 或 false"),
    (_set("organizations.1.staff_count", -1), "organizations[O2].staff_count: 数值 -1 超出范围"),
    (_set("dues.0.amount", 1.234), "dues[#0].amount: 最多两位小数"),
    (_set("people.3.status", None), "people[P4].status: 缺少必填字段"),
    (_set("people.0.extra", [1]), "people[P1].extra: 应为对象"),
    (_set("transfers.0.to", "O77"), 'transfers[#0].to: 引用了不存在的组织 "O77"'),
    (_set("filings.0.by", "P77"), 'filings[F1].by: 引用了不存在的人员 "P77"'),
    # Absences (extension): the message names the absentee's place and key.
    (
        _set("activities.0.absentees", [{"person": "P4", "reason": "holiday"}]),
        'activities[A1].absentees[0].reason: 缺席原因 "holiday" 无效',
    ),
    (
        _set(
            "activities.0.absentees",
            [{"person": "P4", "reason": "sick"}, {"person": "P404", "reason": "sick"}],
        ),
        'activities[A1].absentees[1].person: 引用了不存在的人员 "P404"',
    ),
    (
        _set("activities.0.absentees", [{"person": "P2", "reason": "sick"}]),
        "activities[A1].absentees[0].person: P2 已列为参加人员",
    ),
    (
        _set(
            "activities.0.absentees",
            [{"person": "P4", "reason": "sick", "made_up_on": "2022-03-14"}],
        ),
        "activities[A1].absentees[0].made_up_on: 补学日期早于活动日期",
    ),
    (
        _set(
            "activities.0.absentees",
            [{"person": "P4", "reason": "sick", "made_up_on": "2022-02-30"}],
        ),
        "activities[A1].absentees[0].made_up_on: 日期无效",
    ),
    (
        _set("activities.0.absentees", [{"person": "P4", "reason": "sick", "made_up_how": "自学"}]),
        "activities[A1].absentees[0].made_up_on: 填写补学方式时须填写补学日期",
    ),
    (
        _set("activities.0.absentees", [{"person": "P4", "reason": "sick", "where": "家"}]),
        "activities[A1].absentees[0].where: 未知字段",
    ),
    (_set("activities.0.absentees", {"P4": "sick"}), "activities[A1].absentees: 应为对象数组"),
]


@pytest.mark.parametrize(("mutate", "expected"), CASES, ids=[c[1].split(":")[0] for c in CASES])
def test_bad_input_exits_2_names_record_and_changes_nothing(
    full_dataset, mutate, expected, write_json, export_json, run_import
):
    # A database already holding records: the failed import must leave them as they were.
    base = {"format": "dangjian/1", "organizations": full_dataset["organizations"][:2]}
    assert run_import(write_json(base, "base.json"))[0] == 0
    before = export_json()
    audits = AuditEntry.objects.count()

    mutate(full_dataset)
    status, _, err = run_import(write_json(full_dataset))
    assert status == 2
    assert expected in err, err
    assert export_json() == before
    assert AuditEntry.objects.count() == audits


def test_malformed_json_names_line_and_column(tmp_path, export_json, run_import):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "dangjian/1",\n "people": [\n  {"id": "P1",, }\n ]}\n')
    before = export_json()
    status, _, err = run_import(str(path))
    assert status == 2
    assert "JSON 格式错误：第 3 行第 15 列" in err
    assert export_json() == before


def test_unknown_top_level_key_and_format(full_dataset, write_json, run_import):
    full_dataset["format"] = "dangjian/2"
    full_dataset["persons"] = []
    status, _, err = run_import(write_json(full_dataset))
    assert status == 2
    assert 'format: 应为 "dangjian/1"' in err
    assert "persons: 未知的顶层字段" in err


def test_all_problems_reported_at_once(full_dataset):
    full_dataset["people"][0]["org"] = "O99"
    full_dataset["people"][1]["birth_date"] = "2022-02-30"
    full_dataset["trainings"][0]["kind"] = "seminar"
    with pytest.raises(DatasetError) as info:
        dataset_import(full_dataset, actor=Actor.system("test"))
    fields = {(p.list_name, p.record, p.field) for p in info.value.problems}
    assert ("people", "P2", "birth_date") in fields
    assert ("trainings", "T1", "kind") in fields
    # the shape is checked first; references only once every record is well formed
    full_dataset["people"][1]["birth_date"] = "2022-02-28"
    full_dataset["trainings"][0]["kind"] = "general"
    with pytest.raises(DatasetError) as info:
        dataset_import(full_dataset, actor=Actor.system("test"))
    assert [str(p) for p in info.value.problems] == [
        'people[P1].org: 引用了不存在的组织 "O99" (unknown organization id)'
    ]


def test_long_problem_lists_are_capped():
    error = DatasetError(Problem("people", f"P{i}", "org", "x") for i in range(120))
    lines = str(error).splitlines()
    assert len(lines) == 51 and "另有 70 个问题" in lines[-1]
    assert len(error.problems) == 120


def test_missing_file_exits_2(tmp_path, run_import):
    status, _, err = run_import(str(tmp_path / "nope.json"))
    assert status == 2 and "无法读取文件" in err


def test_problem_without_id_uses_index(full_dataset, write_json, run_import):
    del full_dataset["trainings"][1]["person"]
    status, _, err = run_import(write_json(full_dataset))
    assert status == 2 and "trainings[#1].person: 缺少必填字段" in err
