"""A branch's own 党员花名册: title rows above the headers, the headers branches use,
dates as they type them, no id column — imported after at most one mapping step."""

import datetime
import io

import pytest
from openpyxl import Workbook

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry
from dangjian.people.models import Person
from dangjian.spreadsheets.analysis import workbook_analyse
from dangjian.spreadsheets.matching import NEW, Choices
from dangjian.spreadsheets.services import workbook_import

pytestmark = pytest.mark.django_db

HEADERS = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "出生年月",
    "入党时间",
    "转正时间",
    "人员类别",
    "所在支部",
]


def huamingce(tmp_path, rows, headers=HEADERS, name="花名册.xlsx"):
    """The roster as branches keep it, written with openpyxl into tmp_path."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["办公室党支部党员花名册"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.append(["填报单位：办公室党支部", None, None, None, "填报时间：2024年6月"])
    ws.append(headers)
    for i, row in enumerate(rows, start=1):
        ws.append([i, *row])
    path = tmp_path / name
    wb.save(path)
    return path


def typical_rows():
    # 姓名, 性别, 民族, 出生年月, 入党时间, 转正时间, 人员类别, 所在支部
    return [
        ["周新", "男", "汉族", "1980.05", "2005.07", "2006.07", "正式党员", "办公室党支部"],
        ["吴新", "女", "回族", 1992.03, "2016年3月", "2017年3月", "正式党员", "办公室党支部"],
        ["冯新", "男", "汉族", "1992-03", "1992/3/1", None, "预备党员", "办公室党支部"],
        ["王二", "男", "汉族", "1985.06", "2010.07", "2011.07", "正式党员", "办公室党支部"],
    ]


@pytest.fixture
def wang_er(tree):
    p = tree.members1[1]
    p.birth_date = datetime.date(1985, 6, 12)
    p.save()
    return p


def test_typical_huamingce_imports_through_the_service(tree, tmp_path, wang_er):
    data = huamingce(tmp_path, typical_rows()).read_bytes()
    actor = Actor(user=tree.users["b1"], source="web")
    analysis = workbook_analyse(data, user=tree.users["b1"])
    [sheet] = analysis.sheets
    assert sheet.spec.key == "roster" and sheet.header_row == 3
    assert analysis.failed_count == 0, [r.error_text() for r in analysis.failed_rows]
    assert not sheet.mappable
    assert [r.number for r in sheet.rows] == [4, 5, 6, 7]
    result = workbook_import(data=data, filename="花名册.xlsx", actor=actor)
    assert result.summary is not None
    zhou = Person.objects.get(name="周新")
    assert zhou.org == tree.branch1 and zhou.status == "full"
    assert (zhou.birth_date, zhou.joined_on, zhou.full_on) == (
        datetime.date(1980, 5, 1),
        datetime.date(2005, 7, 1),
        datetime.date(2006, 7, 1),
    )
    assert zhou.extra == {"性别": "男", "民族": "汉族"}
    assert zhou.ext_id.startswith("p-")
    wu = Person.objects.get(name="吴新")
    assert (wu.birth_date, wu.joined_on) == (datetime.date(1992, 3, 1), datetime.date(2016, 3, 1))
    feng = Person.objects.get(name="冯新")
    assert feng.status == "probationary" and feng.joined_on == datetime.date(1992, 3, 1)
    # 王二 matched by name and birth month: updated, the recorded days kept.
    wang_er.refresh_from_db()
    assert Person.objects.filter(name="王二").count() == 1
    assert wang_er.birth_date == datetime.date(1985, 6, 12)
    assert wang_er.joined_on == datetime.date(2010, 7, 1)
    assert wang_er.full_on == datetime.date(2011, 7, 1)
    assert wang_er.extra == {"性别": "男", "民族": "汉族"}
    # Uploading the same sheet again matches everyone: nothing new.
    count = Person.objects.count()
    again = workbook_analyse(data, user=tree.users["b1"])
    assert again.failed_count == 0
    assert all(r.match.startswith("更新") for r in again.sheets[0].rows)
    workbook_import(data=data, filename="花名册.xlsx", actor=actor)
    assert Person.objects.count() == count


def test_ambiguity_and_out_of_scope_org_are_reported_per_row(tree, tmp_path, wang_er):
    # Another 周新 born the same month already in the branch, twice; 张一 has no birth date.
    for ext in ("Z1", "Z2"):
        Person.objects.create(
            ext_id=ext,
            name="周新",
            org=tree.branch1,
            status="full",
            birth_date=datetime.date(1980, 5, 9),
        )
    rows = [
        *typical_rows()[:1],
        ["张一", "男", "汉族", "1975.03", "2000.07", "2001.07", "正式党员", "办公室党支部"],
        ["孙新", "女", "汉族", "1990.01", "2015.07", "2016.07", "正式党员", "预算处党支部"],
        ["郑新", "女", "汉族", "1990.01", "2015.07", "2016.07", "正式党员", "不存在的支部"],
        ["钱新", "男", "汉族", "1988.13", "2015.07", "2016.07", "党员", "办公室党支部"],
    ]
    data = huamingce(tmp_path, rows).read_bytes()
    analysis = workbook_analyse(data, user=tree.users["b1"])
    errors = {(r.number, e.column): e.reason for r in analysis.failed_rows for e in r.errors}
    assert "2 名姓名和出生日期都相同" in errors[(4, "姓名")]
    assert "出生日期不同" in errors[(5, "姓名")]
    assert "预算处党支部" in errors[(6, "所在支部")] and "无权管理" in errors[(6, "所在支部")]
    assert "不存在的支部" in errors[(7, "所在支部")]
    assert "日期无效" in errors[(8, "出生年月")]
    assert (4, "编号") not in errors  # no second, confusing error for the unresolved row
    assert analysis.valid_count == 0
    before = Person.objects.count(), AuditEntry.objects.count()
    result = workbook_import(
        data=data, filename="花名册.xlsx", actor=Actor(user=tree.users["b1"], source="web")
    )
    assert result.summary is None
    assert (Person.objects.count(), AuditEntry.objects.count()) == before
    # Answered: row 4 is Z2, row 5 is a new 张一.
    choices = Choices(people={"Sheet1": {4: "Z2", 5: NEW}})
    answered = workbook_analyse(data, user=tree.users["b1"], choices=choices)
    ok = {r.number: r.record["id"] for r in answered.sheets[0].valid}
    assert ok[4] == "Z2" and ok[5].startswith("p-")


def test_view_flow_with_one_mapping_step(tree, clients, xl, tmp_path, wang_er):
    """Upload → map the one column not recognised and say who 张一 is → import."""
    headers = [h if h != "入党时间" else "确定为预备党员时间" for h in HEADERS]
    rows = [
        *typical_rows(),
        ["张一", "男", "汉族", "1975.03", "2000.07", "2001.07", "正式党员", "办公室党支部"],
        ["孙新", "女", "汉族", "1990.01", "2015.07", "2016.07", "正式党员", "预算处党支部"],
    ]
    path = huamingce(tmp_path, rows, headers)
    c = clients["b1"]
    upload = io.BytesIO(path.read_bytes())
    upload.name = "花名册.xlsx"
    preview = xl.upload(c, upload)
    html = c.get(preview).content.decode()
    assert "表头在第 3 行" in html
    assert "未识别的列“确定为预备党员时间”" in html
    assert 'name="map-0-5"' in html  # the select for that column
    assert "已有同名党员但出生日期不同" in html and 'name="person-0-8"' in html
    assert "预算处党支部" in html
    token = preview.rstrip("/").rsplit("/", 1)[-1]
    zhang = tree.members1[0]
    r = c.post(
        f"/excel/uploads/{token}/choose/",
        {"map-0-5": "joined_on", "person-0-8": zhang.ext_id},
    )
    assert r.status_code == 302
    html = c.get(preview).content.decode()
    assert 'id="valid-count">5<' in html and 'id="failed-count">1<' in html
    before = Person.objects.count()
    r = c.post(f"/excel/uploads/{token}/import/")
    assert r.status_code == 200
    assert Person.objects.count() == before + 3
    assert Person.objects.get(name="周新").joined_on == datetime.date(2005, 7, 1)
    zhang.refresh_from_db()
    assert zhang.birth_date == datetime.date(1975, 3, 1)
    assert not Person.objects.filter(name="孙新").exists()
    entry = AuditEntry.objects.get(action="excel_import")
    assert entry.changes["skipped_rows"] == {"Sheet1": [9]}


def test_a_failed_import_changes_nothing_through_the_view(tree, clients, xl, tmp_path):
    rows = [["孙新", "女", "汉族", "1990.01", "2015.07", "2016.07", "正式党员", "预算处党支部"]]
    upload = io.BytesIO(huamingce(tmp_path, rows).read_bytes())
    upload.name = "花名册.xlsx"
    c = clients["b1"]
    preview = xl.upload(c, upload)
    token = preview.rstrip("/").rsplit("/", 1)[-1]
    before = Person.objects.count(), AuditEntry.objects.count()
    r = c.post(f"/excel/uploads/{token}/import/")
    assert r.status_code == 302
    assert (Person.objects.count(), AuditEntry.objects.count()) == before


def test_choices_need_the_upload_owner(tree, clients, xl, tmp_path):
    upload = io.BytesIO(huamingce(tmp_path, typical_rows()).read_bytes())
    upload.name = "花名册.xlsx"
    preview = xl.upload(clients["b1"], upload)
    token = preview.rstrip("/").rsplit("/", 1)[-1]
    assert clients["b2"].post(f"/excel/uploads/{token}/choose/", {}).status_code == 404
    assert clients["member"].post(f"/excel/uploads/{token}/choose/", {}).status_code == 403


@pytest.mark.parametrize(
    ("cell", "iso", "month_only"),
    [
        ("1980.05", "1980-05-01", True),
        (1980.05, "1980-05-01", True),  # typed into a number cell
        ("1992年3月", "1992-03-01", True),
        ("1992 年 3 月", "1992-03-01", True),
        ("1992-03", "1992-03-01", True),
        ("199203", "1992-03-01", True),
        ("1992/3/1", "1992-03-01", False),
        ("1992.3.1", "1992-03-01", False),
        ("1992年3月5日", "1992-03-05", False),
        ("19920305", "1992-03-05", False),
        (datetime.datetime(1992, 3, 5), "1992-03-05", False),
        ("三月", "三月", False),  # left for the validator to refuse
    ],
)
def test_date_forms_branches_type(cell, iso, month_only):
    from dangjian.spreadsheets.analysis import _date_parts

    assert _date_parts(cell) == (iso, month_only)


def test_roster_without_an_org_column_goes_to_the_chosen_branch(tree, tmp_path, wang_er):
    headers = [h for h in HEADERS if h != "所在支部"]
    rows = [r[:-1] for r in typical_rows()]
    data = huamingce(tmp_path, rows, headers).read_bytes()
    user = tree.users["b1"]
    first = workbook_analyse(data, user=user)
    assert first.sheets[0].needs_org and first.valid_count == 0
    assert "所在党组织" in {e.column for r in first.failed_rows for e in r.errors}
    other = workbook_analyse(data, user=user, choices=Choices(orgs={"Sheet1": "TB2"}))
    assert {e.reason for r in other.failed_rows for e in r.errors} >= {"所选党组织不存在或无权管理"}
    chosen = Choices(orgs={"Sheet1": "TB1"})
    analysis = workbook_analyse(data, user=user, choices=chosen)
    assert analysis.failed_count == 0, [r.error_text() for r in analysis.failed_rows]
    workbook_import(
        data=data, filename="x.xlsx", actor=Actor(user=user, source="web"), choices=chosen
    )
    assert Person.objects.get(name="周新").org == tree.branch1


def test_same_person_in_another_branch_is_asked_not_moved(tree, tmp_path):
    """A department administrator's roster says 孙六 is in 办公室党支部; the 孙六 on
    record (same birth date) is in 预算处党支部: asked, not silently moved."""
    sun = tree.members2[0]
    sun.birth_date = datetime.date(1979, 4, 2)
    sun.save()
    row = ["孙六", "男", "汉族", "1979.04", "2003.07", "2004.07", "正式党员", "办公室党支部"]
    data = huamingce(tmp_path, [row]).read_bytes()
    analysis = workbook_analyse(data, user=tree.users["dept"])
    [failed] = analysis.failed_rows
    assert "在另一党组织" in failed.error_text()
    assert [value for value, _ in failed.question] == [sun.ext_id, NEW]


def test_title_rows_count_toward_the_row_limit(tree, tmp_path, settings):
    """The header is searched in the bounded rows: the rows above it are rows too."""
    from dangjian.spreadsheets.analysis import workbook_read
    from dangjian.spreadsheets.limits import UploadRefused

    data = huamingce(tmp_path, typical_rows()).read_bytes()  # 2 title rows, header, 4 rows
    settings.DANGJIAN_UPLOAD_MAX_ROWS = 6
    assert len(workbook_read(data).sheets[0].rows) == 4
    settings.DANGJIAN_UPLOAD_MAX_ROWS = 5
    with pytest.raises(UploadRefused):
        workbook_read(data)


def test_the_mapping_step_does_not_read_the_workbook_again(
    tree, clients, xl, tmp_path, wang_er, monkeypatch
):
    """Answers in the preview are applied to the rows kept at upload."""
    import openpyxl

    reads = {"n": 0}
    original = openpyxl.load_workbook

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        reads["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    headers = [h if h != "入党时间" else "确定为预备党员时间" for h in HEADERS]
    upload = io.BytesIO(huamingce(tmp_path, typical_rows(), headers).read_bytes())
    upload.name = "花名册.xlsx"
    c = clients["b1"]
    preview = xl.upload(c, upload)
    token = preview.rstrip("/").rsplit("/", 1)[-1]
    assert c.post(f"/excel/uploads/{token}/choose/", {"map-0-5": "joined_on"}).status_code == 302
    analysis = c.get(preview).context["analysis"]
    assert [m.choice for m in analysis.sheets[0].mappable] == ["joined_on"]
    assert "表头在第 3 行，其上的标题行未导入" in analysis.sheets[0].notes
    assert c.get(preview + "failed.xlsx").status_code == 200
    assert c.post(f"/excel/uploads/{token}/import/").status_code == 200
    assert Person.objects.get(name="周新").joined_on == datetime.date(2005, 7, 1)
    assert reads["n"] == 1
