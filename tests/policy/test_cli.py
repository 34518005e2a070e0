"""`check` and `policies`: exit codes, JSON shape, one code path for file and DB."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.core.actor import Actor
from dangjian.interchange.importer import dataset_import

DATASET = {
    "format": "dangjian/1",
    "organizations": [
        {
            "id": "D1",
            "name": "省测试厅党组",
            "type": "party_group",
            "parent": None,
            "staff_count": 60,
        },
        {"id": "B1", "name": "第一党支部", "type": "branch", "parent": "D1"},
        {"id": "B2", "name": "第二党支部", "type": "branch", "parent": "D1"},
    ],
    "people": [
        {"id": "P1", "name": "张三", "org": "B1", "status": "full", "joined_on": "2010-01-01"},
        {"id": "P2", "name": "李四", "org": "B1", "status": "full", "joined_on": "2010-01-01"},
        {"id": "P3", "name": "王五", "org": "B2", "status": "full", "joined_on": "2010-01-01"},
    ],
    "trainings": [
        {"id": "T12", "person": "P1", "date": "2022-03-01", "hours": 12, "kind": "general"},
        {"id": "T19", "person": "P1", "date": "2022-06-01", "hours": 8, "kind": "general"},
        {"id": "T20", "person": "P2", "date": "2022-06-01", "hours": 40, "kind": "general"},
    ],
    "activities": [
        {
            "id": "A1",
            "org": "B1",
            "kind": "theme_day",
            "date": "2022-01-31",
            "attendees": ["P1", "P2"],
        },
    ],
}


@pytest.fixture
def dataset_file(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps(DATASET, ensure_ascii=False), encoding="utf-8")
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dangjian.settings"}
    return subprocess.run(
        [sys.executable, "-m", "dangjian", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_check_file_json(dataset_file):
    res = cli("check", str(dataset_file), "--policy", "yunnan-2019", "--year", "2022")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["format"] == "dangjian-findings/1"
    assert report["policy"] == "yunnan-2019" and report["year"] == 2022
    assert report["as_of"] == "2022-12-31"
    assert set(report["summary"]) == {"rules", "subjects", "violations", "warnings"}
    hours = [f for f in report["findings"] if f["rule"] == "yunnan-2019/training-hours-member"]
    assert [(f["subject"], f["required"], f["actual"], f["evidence"]) for f in hours] == [
        ({"type": "person", "id": "P1", "name": "张三"}, 32, 20, ["T12", "T19"]),
        ({"type": "person", "id": "P3", "name": "王五"}, 32, 0, []),
    ]
    assert hours[0]["message"] == "张三 2022年集中学习培训 20 学时，少于 32 学时"
    assert hours[0]["source"] == {
        "document": "中共云南省委关于加强和改进全省机关党的建设的实施意见",
        "clause": "10",
        "quote": "党员每年参加集中学习培训的时间一般不少于32学时",
    }
    assert hours[0]["period"] == "2022" and hours[0]["due"] == "2022-12-31"
    assert hours[0]["severity"] == "violation"


def test_check_file_text_groups_by_org(dataset_file):
    res = cli(
        "check",
        str(dataset_file),
        "--policy",
        "yunnan-2019",
        "--year",
        "2022",
        "--as-of",
        "2022-06-30",
        "--org",
        "B1",
        "--format",
        "text",
    )
    assert res.returncode == 0, res.stderr
    assert "■ 第一党支部（B1）" in res.stdout
    assert "第二党支部" not in res.stdout
    assert "合计：问题" in res.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--policy", "no-such-pack", "--year", "2022"], "no-such-pack"),
        (["--policy", "yunnan-2019", "--year", "2022", "--as-of", "2022-02-30"], "--as-of"),
        (["--policy", "yunnan-2019", "--year", "2022", "--org", "NOPE"], "NOPE"),
    ],
)
def test_check_bad_input_exits_2(dataset_file, args, needle):
    res = cli("check", str(dataset_file), *args)
    assert res.returncode == 2
    assert needle in res.stderr


def test_check_bad_dataset_exits_2_with_the_dataset_message(tmp_path):
    bad = dict(DATASET, people=[{**DATASET["people"][0], "org": "MISSING"}])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    res = cli("check", str(path), "--policy", "yunnan-2019", "--year", "2022")
    assert res.returncode == 2
    assert "people[P1].org" in res.stderr


def test_policies_list_show_coverage_validate(tmp_path):
    res = cli("policies")
    assert res.returncode == 0 and "yunnan-2019" in res.stdout and "national" in res.stdout
    res = cli("policies", "--show", "yunnan-2019")
    assert "yunnan-2019/training-hours-member" in res.stdout
    assert "党员每年参加集中学习培训的时间一般不少于32学时" in res.stdout
    res = cli("policies", "--show", "yunnan-2019", "--coverage")
    assert "✗ [13]" in res.stdout and "✓ [10]" in res.stdout
    src = Path(__file__).resolve().parents[2] / "src/dangjian/policy/packs/yunnan-2019.yaml"
    assert cli("policies", "--validate", str(src)).returncode == 0
    bad = tmp_path / "yunnan-2019.yaml"
    bad.write_text(
        src.read_text(encoding="utf-8").replace("min: 56", "min: many"), encoding="utf-8"
    )
    res = cli("policies", "--validate", str(bad))
    assert res.returncode == 2
    assert "yunnan-2019.yaml: rule training-hours-leadership: params.min" in res.stderr


@pytest.mark.django_db(transaction=True)
def test_db_and_file_give_the_same_report(dataset_file):
    dataset_import(dataset_file, actor=Actor.system("test"))
    out = StringIO()
    call_command("check", "--db", "--policy", "yunnan-2019", "--year", "2022", stdout=out)
    from_db = json.loads(out.getvalue())
    out = StringIO()
    call_command(
        "check", str(dataset_file), "--policy", "yunnan-2019", "--year", "2022", stdout=out
    )
    from_file = json.loads(out.getvalue())
    assert from_db == from_file
    assert from_db["findings"]


@pytest.mark.django_db
def test_check_db_unknown_org_is_returncode_2():
    with pytest.raises(CommandError) as exc:
        call_command(
            "check",
            "--db",
            "--policy",
            "national",
            "--year",
            "2022",
            "--org",
            "X",
            stdout=StringIO(),
        )
    assert exc.value.returncode == 2


@pytest.mark.parametrize(
    ("pack_id", "listed"),
    [
        ("national", ["✓ [支部工作条例第十一条] 党支部党员大会须有半数", "✗ [选举工作条例第三条]"]),
        ("henan-2015", ["✗ [(二十三)] 年度双报告", "✓ [(三十二)]"]),
        ("ningxia-2018", ["✓ [4项工作要求] 全年考核", "✗ [4项工作要求] 半年讲评"]),
        ("hubei-2022", ["✓ [3] 机关党委委员列席指导支部组织生活会"]),
        ("danyang-2020", ["✓ [五] 机关纪委书记由机关党委副书记担任 → national/"]),
        ("yunnan-2019", ["✓ [15] 党总支、党支部书记向上一级党组织述职述责"]),
    ],
)
def test_coverage_lists_every_obligation_encoded_or_with_a_reason(pack_id, listed):
    out = StringIO()
    call_command("policies", show=pack_id, coverage=True, stdout=out)
    text = out.getvalue()
    for line in listed:
        assert line in text, line
    from dangjian.policy.packs import load_pack

    entries = load_pack(pack_id).coverage
    shown = [ln for ln in text.splitlines() if ln.startswith(("✓", "✗"))]
    assert len(shown) == len(entries)
    assert all("未编码：" in ln and not ln.endswith("未编码：") for ln in shown if ln[0] == "✗")
