"""The engine's core: severity and as_of, periods, transfers, subtree, report shape."""

import pytest

from policy.builders import (
    activity,
    members,
    only,
    org,
    person,
    run,
    severities,
    training,
    transfer,
)

pytestmark = pytest.mark.django_db


def test_theme_day_monthly_violation_and_warning():
    br = org("B1", "branch")
    members(br, 3)
    for m in range(1, 12):
        activity(br, "theme_day", f"2022-{m:02d}-15")
    # December without a theme day: on 12-31 a violation, on 12-28 a warning (within 7 days)
    assert severities(run("national", 2022), "theme-day-monthly") == ["violation"]
    assert severities(run("national", 2022, "2022-12-28"), "theme-day-monthly") == ["warning"]
    # on 12-20 the month is open, 11 days left, not behind pace (floor(1*20/31) = 0): nothing
    assert severities(run("national", 2022, "2022-12-20"), "theme-day-monthly") == []


def test_periods_not_begun_report_nothing():
    br = org("B1", "branch")
    members(br, 3)
    report = run("national", 2022, "2022-01-31")
    found = only(report, "theme-day-monthly")
    assert [f.period for f in found] == ["2022-01"]
    assert found[0].severity == "violation"


def test_training_hours_boundaries_and_message():
    br = org("B1", "branch", name="第一党支部")
    a = person(br, "P1", name="张三")
    b = person(br, "P2")
    c = person(br, "P3")
    training(a, "2022-03-01", 31.5, ext_id="T1")
    training(b, "2022-03-01", 32)
    training(c, "2022-03-01", 20, ext_id="T12")
    training(c, "2022-06-01", 12.5, ext_id="T19")
    report = run("national", 2022)
    f = only(report, "training-hours-member")
    assert [x.subject["id"] for x in f] == ["P1"]
    assert f[0].required == 32 and f[0].actual == 31.5
    assert f[0].evidence == ["T1"]
    assert f[0].message == "张三 2022年集中学习培训 31.5 学时，少于 32 学时"
    assert f[0].org == {"id": "B1", "name": "第一党支部"}
    assert f[0].source["clause"] == "第二十条"


def test_training_behind_pace_is_a_warning():
    br = org("B1", "branch")
    a = person(br, "P1")
    training(a, "2022-02-01", 10)
    # 2022-07-01: 182 of 365 days, pace floor(32*182/365) = 15 > 10
    assert severities(run("national", 2022, "2022-07-01"), "training-hours-member") == ["warning"]
    training(a, "2022-03-01", 6)
    assert severities(run("national", 2022, "2022-07-01"), "training-hours-member") == []


def test_transfer_counts_month_in_old_org():
    old = org("B1", "branch")
    new = org("B2", "branch")
    members(old, 6, status="full")
    members(new, 6, status="full")
    mover = person(old, "PM")
    transfer(mover, old, new, "2022-07-01")
    for m in range(1, 13):
        for o in (old, new):
            activity(o, "committee_meeting", f"2022-{m:02d}-05")
    # B1 had 7 full members Jan–Jun and 6 afterwards: only Jan–Jun require a committee meeting
    # (and B2 only from July); remove B1's March meeting to see it counted.
    from dangjian.records.models import Activity

    Activity.objects.filter(org=old, date="2022-03-05").delete()
    Activity.objects.filter(org=old, date="2022-09-05").delete()
    Activity.objects.filter(org=new, date="2022-02-05").delete()
    Activity.objects.filter(org=new, date="2022-08-05").delete()
    report = run("national", 2022)
    got = sorted((f.subject["id"], f.period) for f in only(report, "committee-meeting-monthly"))
    assert got == [("B1", "2022-03"), ("B2", "2022-08")]


def test_left_member_is_not_checked():
    br = org("B1", "branch")
    person(br, "P1", left_on="2022-05-01")
    assert only(run("national", 2022), "training-hours-member") == []


def test_subtree_restriction():
    root = org("W", "work_committee")
    d1 = org("D1", "party_group", parent=root)
    d2 = org("D2", "party_group", parent=root)
    b1 = org("B1", "branch", parent=d1)
    b2 = org("B2", "branch", parent=d2)
    members(b1, 3)
    members(b2, 3)
    report = run("national", 2022, org_ext_id="D1")
    orgs = {f.org.get("id") for f in report.findings}
    assert orgs == {"B1"}


def test_report_shape():
    br = org("B1", "branch")
    members(br, 3)
    report = run("national", 2022)
    d = report.as_dict()
    assert d["format"] == "dangjian-findings/1"
    assert d["policy"] == "national" and d["year"] == 2022 and d["as_of"] == "2022-12-31"
    assert len(d["pack_version"]) == 64
    assert set(d["summary"]) == {"rules", "subjects", "violations", "warnings"}
    assert d["summary"]["rules"] == 20  # the national rules, admission-age included
    assert d["summary"]["subjects"] == 4  # the branch and its three members
    f = d["findings"][0]
    for key in (
        "rule",
        "source",
        "subject",
        "period",
        "severity",
        "required",
        "actual",
        "due",
        "evidence",
        "message",
    ):
        assert key in f
    assert set(f["source"]) == {"document", "clause", "quote"}


def test_pack_outside_its_years_falls_back_to_its_base(tmp_path):
    from dangjian.policy.engine import evaluate
    from dangjian.policy.packs import PACKS_DIR, load_pack_file

    text = (PACKS_DIR / "yunnan-2019.yaml").read_text(encoding="utf-8")
    path = tmp_path / "yunnan-2019.yaml"
    path.write_text(text.replace("  effective: 2019-10-21\n", "  effective: 2023-01-01\n"), "utf-8")
    pack = load_pack_file(path)
    br = org("B1", "branch")
    training(person(br, "P1"), "2022-05-01", 10)
    report = evaluate(pack=pack, year=2022)
    rules = {f.rule for f in report.findings}
    assert "national/training-hours-member" in rules
    assert not any(r.startswith("yunnan-2019/") for r in rules)
    assert report.rules == len(load_pack_file(PACKS_DIR / "national.yaml").rules)
    assert any(f.rule.startswith("yunnan-2019/") for f in evaluate(pack=pack, year=2023).findings)


def test_streamed_json_is_exactly_the_report_dict():
    import json

    br = org("B1", "branch")
    members(br, 3)
    training(person(br, "P9"), "2022-03-01", 4)
    report = run("national", 2022)
    assert len(report.findings) > 3
    streamed = "".join(report.iter_json(chunk=2))
    assert json.loads(streamed) == report.as_dict()
    assert streamed == json.dumps(report.as_dict(), ensure_ascii=False, separators=(",", ":"))
