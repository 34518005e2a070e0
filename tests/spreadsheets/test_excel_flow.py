"""Excel: templates, upload → preview → all valid rows or nothing, failed rows, exports."""

import datetime
from decimal import Decimal

import pytest

from dangjian.core.models import AuditEntry
from dangjian.people.models import Person
from dangjian.records.models import Activity, Attendance, Training
from dangjian.spreadsheets.columns import LEDGER, ROSTER, SHEETS, TRAININGS

pytestmark = pytest.mark.django_db

LEDGER_HEADER = [
    "编号",
    "组织单位*",
    "类型*",
    "日期*",
    "主题",
    "时长（学时）",
    "主讲人",
    "参加人员",
    "对象",
]


def ledger_with_one_bad_row(xl):
    return xl.workbook(
        "组织生活台账",
        LEDGER_HEADER,
        [
            "XL-A1",
            "办公室党支部",
            "主题党日",
            datetime.date(2024, 5, 20),
            "五月主题党日",
            2,
            "王二",
            "张一、王二、李三",
            None,
        ],
        ["XL-A2", "办公室党支部", "野餐", "2024-02-30", "坏的一行", None, None, "张一", None],
        [
            "XL-A3",
            "办公室党支部（TB1）",
            "party_lesson",
            "2024/6/3",
            "专题党课",
            1.5,
            "TP11",
            "TP10,TP12",
            None,
        ],
    )


def test_templates_have_chinese_headers_and_help(clients, xl):
    for spec in SHEETS:
        response = clients["b1"].get(f"/excel/templates/{spec.key}.xlsx")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        wb = xl.read(response.content)
        assert wb.sheetnames[0] == spec.title and "填写说明" in wb.sheetnames
        header = [c.value for c in wb[spec.title][1]]
        assert header == [f"{c.header}*" if c.required else c.header for c in spec.columns]
    assert clients["b1"].get("/excel/templates/nope.xlsx").status_code == 404


def test_pages_need_an_administrator(clients, xl):
    response = clients["anon"].get("/excel/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert clients["member"].get("/excel/").status_code == 403
    assert clients["member"].get("/excel/templates/roster.xlsx").status_code == 403
    file = ledger_with_one_bad_row(xl)
    assert clients["member"].post("/excel/upload/", {"file": file}).status_code == 403
    page = clients["b1"].get("/excel/")
    assert page.status_code == 200
    assert "下载模板" in page.content.decode()


def test_one_bad_row_is_shown_and_the_rest_imported_on_request(clients, tree, xl):
    preview_url = xl.upload(clients["b1"], ledger_with_one_bad_row(xl))
    page = clients["b1"].get(preview_url)
    html = page.content.decode()
    assert page.status_code == 200
    errors = page.context["errors"]
    # Row 3 of sheet 组织生活台账: the kind and the date, each named by its column.
    assert {(s, r, c) for s, r, c, _ in errors} == {
        ("组织生活台账", 3, "类型"),
        ("组织生活台账", 3, "日期"),
    }
    reasons = {c: reason for _, _, c, reason in errors}
    assert "野餐" in reasons["类型"] and "主题党日" in reasons["类型"]
    assert "2024-02-30" in reasons["日期"]
    assert "(" not in reasons["日期"]  # Chinese only
    assert "导入全部有效行（2 行）" in html and "全部不导入" in html
    assert not Activity.objects.filter(ext_id__startswith="XL-").exists()  # preview writes nothing

    done = clients["b1"].post(preview_url + "import/")
    assert done.status_code == 200
    assert set(
        Activity.objects.filter(ext_id__startswith="XL-").values_list("ext_id", flat=True)
    ) == {"XL-A1", "XL-A3"}
    a1 = Activity.objects.get(ext_id="XL-A1")
    assert (a1.kind, a1.date, a1.hours, a1.speaker.ext_id) == (
        "theme_day",
        datetime.date(2024, 5, 20),
        Decimal("2"),
        "TP11",
    )
    assert set(Attendance.objects.filter(activity=a1).values_list("person__ext_id", flat=True)) == {
        "TP10",
        "TP11",
        "TP12",
    }
    a3 = Activity.objects.get(ext_id="XL-A3")
    assert (a3.kind, a3.date, a3.hours) == (
        "party_lesson",
        datetime.date(2024, 6, 3),
        Decimal("1.5"),
    )
    entry = AuditEntry.objects.get(action="excel_import")
    assert entry.actor_label == "tb1" and entry.source == "web"
    assert entry.changes["imported_rows"] == {"组织生活台账": [2, 4]}
    assert entry.changes["skipped_rows"] == {"组织生活台账": [3]}
    assert AuditEntry.objects.filter(action="import", object_type="dataset").count() == 1
    # An import happens once; the failed rows stay downloadable.
    assert clients["b1"].post(preview_url + "import/").status_code == 404
    failed = clients["b1"].get(preview_url + "failed.xlsx")
    assert failed.status_code == 200
    ws = xl.read(failed.content)["组织生活台账"]
    rows = list(ws.values)
    assert rows[0][-1] == "错误原因" and rows[0][:-1] == tuple(LEDGER_HEADER)
    assert len(rows) == 2 and rows[1][0] == "XL-A2"
    assert "类型" in rows[1][-1] and "日期" in rows[1][-1]


def test_fixed_failed_rows_can_be_uploaded_again(clients, xl):
    preview_url = xl.upload(clients["b1"], ledger_with_one_bad_row(xl))
    clients["b1"].post(preview_url + "import/")
    failed = xl.read(clients["b1"].get(preview_url + "failed.xlsx").content)
    ws = failed["组织生活台账"]
    ws["C2"] = "主题党日"
    ws["D2"] = "2024-02-28"
    again = xl.upload(clients["b1"], xl.file(failed, "fixed.xlsx"))
    page = clients["b1"].get(again)
    assert page.context["analysis"].failed_count == 0
    assert page.context["analysis"].valid_count == 1
    clients["b1"].post(again + "import/")
    assert Activity.objects.get(ext_id="XL-A2").date == datetime.date(2024, 2, 28)


def test_nothing_changes_nothing(clients, xl, settings):
    before = (Activity.objects.count(), Attendance.objects.count(), AuditEntry.objects.count())
    preview_url = xl.upload(clients["b1"], ledger_with_one_bad_row(xl))
    response = clients["b1"].post(preview_url + "discard/")
    assert response.status_code == 302
    assert (
        Activity.objects.count(),
        Attendance.objects.count(),
        AuditEntry.objects.count(),
    ) == before
    assert list((settings.MEDIA_ROOT / "excel-uploads").iterdir()) == []
    assert clients["b1"].post(preview_url + "import/").status_code == 404
    assert clients["b1"].get(preview_url).status_code == 404


def test_another_users_upload_is_not_reachable(clients, xl):
    preview_url = xl.upload(clients["b1"], ledger_with_one_bad_row(xl))
    assert clients["dept"].get(preview_url).status_code == 404
    assert clients["dept"].post(preview_url + "import/").status_code == 404
    assert not Activity.objects.filter(ext_id__startswith="XL-").exists()


def test_other_branch_cannot_import_into_this_branch(clients, tree, xl):
    preview_url = xl.upload(clients["b2"], ledger_with_one_bad_row(xl))
    analysis = clients["b2"].get(preview_url).context["analysis"]
    assert analysis.valid_count == 0 and analysis.failed_count == 3
    reasons = [
        e.reason for row in analysis.failed_rows for e in row.errors if e.column == "组织单位"
    ]
    assert len(reasons) == 3 and all("无权管理" in r for r in reasons)
    clients["b2"].post(preview_url + "import/")
    assert not Activity.objects.filter(ext_id__startswith="XL-").exists()
    # Existing records under another organisation cannot be overwritten by id either.
    file = xl.workbook(
        "组织生活台账",
        LEDGER_HEADER,
        [tree.activity.ext_id, "预算处党支部", "主题党日", "2024-01-02"],
    )
    analysis = clients["b2"].get(xl.upload(clients["b2"], file)).context["analysis"]
    assert [e.column for e in analysis.failed_rows[0].errors] == ["编号"]


def test_roster_template_round_trip(clients, tree, xl):
    template = xl.read(clients["b1"].get("/excel/templates/roster.xlsx").content)
    ws = template[ROSTER.title]
    ws.append(
        [
            "XL-P1",
            "新党员",
            "办公室党支部",
            "预备党员",
            None,
            None,
            None,
            "2024-07-01",
            None,
            "1990-01-02",
            "否",
            "兼职党务工作人员",
            "在职",
            6000,
            None,
            "是",
            "预算处党支部",
            None,
        ]
    )
    ws.append(
        [
            "XL-P2",
            "另一人",
            "TB1",
            "full",
            None,
            None,
            None,
            datetime.date(2001, 7, 1),
            "2002-07-01",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ]
    )
    preview_url = xl.upload(clients["dept"], xl.file(template, "roster.xlsx"))
    analysis = clients["dept"].get(preview_url).context["analysis"]
    assert analysis.failed_count == 0, [r.error_text() for r in analysis.failed_rows]
    clients["dept"].post(preview_url + "import/")
    p1 = Person.objects.get(ext_id="XL-P1")
    assert (p1.name, p1.org.ext_id, p1.status, p1.party_worker, p1.mobile, p1.hosted_by.ext_id) == (
        "新党员",
        "TB1",
        "probationary",
        "part_time",
        True,
        "TB2",
    )
    assert p1.monthly_income == Decimal("6000") and p1.birth_date == datetime.date(1990, 1, 2)

    # Export the roster, upload it unchanged: every row valid, and importing changes no value.
    exported = clients["dept"].get("/excel/export/roster.xlsx", {"org": "TOC"})
    assert exported.status_code == 200
    snapshot = list(Person.objects.order_by("ext_id").values())
    wb = xl.read(exported.content)
    assert wb[ROSTER.title].max_row == 1 + Person.objects.count()
    again = xl.upload(clients["dept"], xl.file(wb, "export.xlsx"))
    analysis = clients["dept"].get(again).context["analysis"]
    assert (analysis.valid_count, analysis.failed_count) == (Person.objects.count(), 0)
    clients["dept"].post(again + "import/")
    assert list(Person.objects.order_by("ext_id").values()) == snapshot


def test_ledger_and_training_exports_round_trip(clients, tree, xl):
    year = tree.activity.date.year
    ledger = clients["b1"].get("/excel/export/ledger.xlsx", {"org": "TB1", "year": year})
    trainings = clients["b1"].get("/excel/export/trainings.xlsx", {"org": "TB1", "year": year})
    rows = list(xl.read(ledger.content)[LEDGER.title].values)
    assert rows[1][0] == tree.activity.ext_id and rows[1][1] == "办公室党支部（TB1）"
    assert rows[1][7].count("、") == len(tree.members1) - 1
    t_rows = list(xl.read(trainings.content)[TRAININGS.title].values)
    assert t_rows[1][:2] == (tree.training.ext_id, f"张一（{tree.member.ext_id}）")
    attendance = set(Attendance.objects.values_list("activity_id", "person_id"))
    for response in (ledger, trainings):
        url = xl.upload(clients["b1"], xl.file(xl.read(response.content), "x.xlsx"))
        analysis = clients["b1"].get(url).context["analysis"]
        assert (analysis.valid_count, analysis.failed_count) == (1, 0)
        clients["b1"].post(url + "import/")
    assert set(Attendance.objects.values_list("activity_id", "person_id")) == attendance
    assert Training.objects.get(ext_id=tree.training.ext_id).hours == Decimal("8")
    # Exports are scoped: another branch's admin gets 404 for this branch.
    assert clients["b2"].get("/excel/export/ledger.xlsx", {"org": "TB1"}).status_code == 404
    assert clients["b1"].get("/excel/export/nothing.xlsx", {"org": "TB1"}).status_code == 404


def test_trainings_by_name_and_ambiguous_names(clients, tree, xl):
    from dangjian.people.models import Person

    Person.objects.create(ext_id="DUP", name="王二", org=tree.branch1, status="full")
    header = ["编号", "党员*", "日期*", "学时*", "类型*", "名称"]
    file = xl.workbook(
        "学习培训",
        header,
        [None, "张一", "2024-03-01", 4, "集中学习培训", "轮训"],
        [None, "王二", "2024-03-01", 4, "集中学习培训", "轮训"],
        [None, "王二（DUP）", "2024-03-01", "abc", "集中学习培训", "轮训"],
        [None, "孙六", "2024-03-01", 4, "集中学习培训", None],
    )
    analysis = clients["b1"].get(xl.upload(clients["b1"], file)).context["analysis"]
    by_row = {r.number: r for r in analysis.sheets[0].rows}
    assert by_row[2].ok
    assert "多个" in by_row[3].errors[0].reason and by_row[3].errors[0].column == "党员"
    assert [(e.column, "数值" in e.reason) for e in by_row[4].errors] == [("学时", True)]
    assert "无权管理" in by_row[5].errors[0].reason


def test_unreadable_file_and_unknown_sheet(clients, xl):
    import io

    junk = io.BytesIO(b"not a workbook")
    junk.name = "junk.xlsx"
    # Refused at upload, before any parsing: back to the Excel page with the reason.
    page = clients["b1"].post("/excel/upload/", {"file": junk}, follow=True)
    assert page.redirect_chain[-1][0] == "/excel/"
    assert "无法读取该文件" in page.content.decode()
    file = xl.workbook("随便", ["甲", "乙"], [1, 2])
    page = clients["b1"].get(xl.upload(clients["b1"], file))
    assert "不是可导入的表格" in page.content.decode()
