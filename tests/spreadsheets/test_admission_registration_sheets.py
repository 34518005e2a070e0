"""Excel sheets for 社区报到 and 发展党员 steps: template, upload → preview → import,
refusals naming row and column, export → re-import; admission steps go through the
pipeline service (order, roles) and a refused one at import writes nothing."""

import datetime
from decimal import Decimal

import pytest

from dangjian.core.actor import Actor
from dangjian.people.models import AdmissionStep, CommunityRegistration, Due, Person
from dangjian.people.pipeline import admission_step_take
from dangjian.spreadsheets.columns import ADMISSION, DUES, REGISTRATIONS

pytestmark = pytest.mark.django_db

D = datetime.date
REGISTRATION_HEADER = ["党员*", "报到社区*", "报到日期*", "结束日期"]
DUES_HEADER = ["党员*", "所属月份*", "金额（元）*", "交纳日期*"]
ADMISSION_HEADER = ["党员*", "发展步骤*", "办理日期*", "依据材料*", "预备期延长至"]


@pytest.fixture
def applicant(tree):
    return Person.objects.create(
        ext_id="A1",
        name="新申请人",
        org=tree.branch1,
        status="applicant",
        applied_on=D(2024, 3, 1),
        birth_date=D(2000, 5, 1),
    )


def rows_of(client, url):
    analysis = client.get(url).context["analysis"]
    return analysis, {r.number: r for s in analysis.sheets for r in s.rows}


def test_templates_have_the_new_sheets(clients, xl):
    for spec in (REGISTRATIONS, ADMISSION, DUES):
        got = clients["b1"].get(f"/excel/templates/{spec.key}.xlsx")
        assert got.status_code == 200
        assert xl.read(got.content).sheetnames[0] == spec.title


def test_registration_sheet_round_trip(clients, tree, xl):
    # Headers as branches write them (synonyms), under a sheet name of their own.
    file = xl.workbook(
        "Sheet1",
        ["党员", "社区名称", "报到时间", "结束时间"],
        ["张一", "幸福社区", "2025-03-01", None],
        ["王二", "+东区社区", "2024年5月6日", "2025-01-01"],
    )
    url = xl.upload(clients["b1"], file)
    analysis, _ = rows_of(clients["b1"], url)
    assert analysis.sheets[0].spec is REGISTRATIONS
    assert (analysis.valid_count, analysis.failed_count) == (2, 0)
    clients["b1"].post(url + "import/")
    assert CommunityRegistration.objects.count() == 2
    got = clients["b1"].get("/excel/export/registrations.xlsx", {"org": "TB1"})
    assert got.status_code == 200
    sheet = xl.read(got.content)[REGISTRATIONS.title]
    rows = list(sheet.values)
    first = (f"张一（{tree.member.ext_id}）", "幸福社区", datetime.datetime(2025, 3, 1))
    assert rows[1][:3] == first
    # Formula-leading text comes back as text, not a formula.
    assert sheet.cell(row=3, column=2).data_type == "s"
    url = xl.upload(clients["b1"], xl.file(xl.read(got.content), "x.xlsx"))
    analysis, _ = rows_of(clients["b1"], url)
    assert (analysis.valid_count, analysis.failed_count) == (2, 0)
    clients["b1"].post(url + "import/")
    assert CommunityRegistration.objects.count() == 2
    assert CommunityRegistration.objects.get(person__name="王二").community == "+东区社区"
    assert clients["b2"].get("/excel/export/registrations.xlsx", {"org": "TB1"}).status_code == 404


def test_registration_bad_rows_name_row_and_column_and_write_nothing(clients, tree, xl):
    file = xl.workbook(
        "社区报到",
        REGISTRATION_HEADER,
        ["张一", None, "2025-03-01", None],  # no community
        ["王二", "幸福社区", "2025-03-01", "2025-02-01"],  # ends before it began
        ["孙六", "幸福社区", "2025-03-01", None],  # another branch's member
    )
    url = xl.upload(clients["b1"], file)
    analysis, by_row = rows_of(clients["b1"], url)
    assert analysis.valid_count == 0
    assert (by_row[2].errors[0].column, by_row[2].errors[0].reason) == ("报到社区", "必须填写")
    assert by_row[3].errors[0].column == "结束日期"
    assert "结束日期早于报到日期" in by_row[3].errors[0].reason
    assert by_row[4].errors[0].column == "党员" and "无权管理" in by_row[4].errors[0].reason
    clients["b1"].post(url + "import/")
    assert not CommunityRegistration.objects.exists()


def test_admission_sheet_goes_through_the_pipeline(clients, tree, xl, applicant):
    file = xl.workbook(
        "发展党员",
        ADMISSION_HEADER,
        ["新申请人", "派人谈话", "2024-03-20", "谈话记录", None],
        ["新申请人", "确定积极分子", "2024-04-01", "支委会记录", None],
        ["新申请人", "确定为发展对象", "2024-10-01", "支委会记录", None],  # under a year
        ["张一", "派人谈话", "2024-03-20", None, None],  # no evidence; out of order
    )
    url = xl.upload(clients["b1"], file)
    analysis, by_row = rows_of(clients["b1"], url)
    assert (analysis.valid_count, analysis.failed_count) == (2, 2)
    assert by_row[4].errors[0].column == "办理日期"
    assert "一年以上培养考察" in by_row[4].errors[0].reason
    assert by_row[5].errors[0].column == "依据材料"
    assert not AdmissionStep.objects.exists()  # the trial run kept nothing
    clients["b1"].post(url + "import/")
    applicant.refresh_from_db()
    assert (applicant.status, applicant.activist_on) == ("activist", D(2024, 4, 1))
    assert set(AdmissionStep.objects.values_list("step", flat=True)) == {"talked", "activist"}

    # Export → import: the same steps come back unchanged.
    got = clients["b1"].get("/excel/export/admission.xlsx", {"org": "TB1"})
    rows = list(xl.read(got.content)[ADMISSION.title].values)
    assert rows[1][:2] == ("新申请人（A1）", "派人谈话")
    url = xl.upload(clients["b1"], xl.file(xl.read(got.content), "x.xlsx"))
    analysis, _ = rows_of(clients["b1"], url)
    assert (analysis.valid_count, analysis.failed_count) == (2, 0)
    clients["b1"].post(url + "import/")
    assert AdmissionStep.objects.count() == 2


def test_admission_step_a_branch_may_not_take_is_refused(clients, tree, xl, applicant):
    Person.objects.filter(pk=applicant.pk).update(
        status="candidate", activist_on=D(2024, 3, 20), candidate_on=D(2025, 4, 1)
    )
    row = ["新申请人", "支部大会接收为预备党员", "2025-06-01", "支部大会决议", None]
    url = xl.upload(clients["b1"], xl.workbook("发展党员", ADMISSION_HEADER, row))
    analysis, by_row = rows_of(clients["b1"], url)
    assert by_row[2].errors[0].column == "发展步骤"
    assert "上级党委审批" in by_row[2].errors[0].reason
    # The department administrator may.
    url = xl.upload(clients["dept"], xl.workbook("发展党员", ADMISSION_HEADER, row))
    analysis, by_row = rows_of(clients["dept"], url)
    assert analysis.valid_count == 1, by_row[2].error_text()
    clients["dept"].post(url + "import/")
    assert Person.objects.get(pk=applicant.pk).status == "probationary"


def test_a_step_refused_at_import_writes_nothing(clients, tree, xl, applicant):
    wb = xl.read(
        xl.workbook(
            "发展党员",
            ADMISSION_HEADER,
            ["新申请人", "派人谈话", "2024-03-20", "谈话记录", None],
            ["新申请人", "确定为入党积极分子", "2024-04-01", "支委会记录", None],
        ).getvalue()
    )
    ws = wb.create_sheet("社区报到")
    ws.append(REGISTRATION_HEADER)
    ws.append(["张一", "幸福社区", "2025-03-01", None])
    url = xl.upload(clients["b1"], xl.file(wb, "both.xlsx"))
    analysis, _ = rows_of(clients["b1"], url)
    assert (analysis.valid_count, analysis.failed_count) == (3, 0)
    # Between preview and import someone records the talk on another day.
    admission_step_take(
        person=applicant,
        step="talked",
        date=D(2024, 3, 10),
        evidence="谈话记录",
        actor=Actor(user=tree.users["b1"], source="web"),
    )
    response = clients["b1"].post(url + "import/", follow=True)
    text = response.content.decode()
    assert "导入失败，没有写入任何数据" in text
    assert "“发展党员”第 2 行 发展步骤：新申请人 已于 2024-03-10 登记" in text
    assert not CommunityRegistration.objects.exists()
    assert list(AdmissionStep.objects.values_list("step", flat=True)) == ["talked"]
    assert Person.objects.get(pk=applicant.pk).status == "applicant"


def test_dues_sheet_goes_through_the_dues_service_and_round_trips(clients, tree, xl):
    file = xl.workbook(
        "Sheet1",
        ["党员", "月份", "实交金额", "缴纳日期"],  # headers as branches write them
        ["张一", "2026-10", "12.50", "2026-11-05"],
        ["王二", datetime.datetime(2026, 10, 1), 8, "2026-11-05"],
        ["李三", "2026年1月", 8, "2026-11-05"],  # ten months late: 补交 at most six
        ["赵四", "2026-10", "8.001", "2026-11-05"],  # past the cent
    )
    url = xl.upload(clients["b1"], file)
    analysis, by_row = rows_of(clients["b1"], url)
    assert analysis.sheets[0].spec is DUES
    assert (analysis.valid_count, analysis.failed_count) == (2, 2)
    assert by_row[4].errors[0].column == "月份"  # the column as the sheet calls it
    assert "补交党费的时间一般不得超过6个月" in by_row[4].errors[0].reason
    assert by_row[5].errors[0].column == "实交金额"
    assert not Due.objects.exists()  # the trial run kept nothing
    clients["b1"].post(url + "import/")
    assert dict(Due.objects.values_list("person__name", "amount")) == {
        "张一": Decimal("12.50"),
        "王二": Decimal("8"),
    }
    got = clients["b1"].get("/excel/export/dues.xlsx", {"org": "TB1", "year": 2026})
    rows = list(xl.read(got.content)[DUES.title].values)
    assert rows[1] == (
        f"张一（{tree.member.ext_id}）",
        "2026-10",
        12.5,
        datetime.datetime(2026, 11, 5),
    )
    url = xl.upload(clients["b1"], xl.file(xl.read(got.content), "x.xlsx"))
    analysis, _ = rows_of(clients["b1"], url)
    assert (analysis.valid_count, analysis.failed_count) == (2, 0)
    clients["b1"].post(url + "import/")
    assert Due.objects.count() == 2


def test_dues_rows_already_recorded_or_of_another_branch_write_nothing(clients, tree, xl):
    Due.objects.create(
        person=tree.member, month=D(2026, 10, 1), amount=Decimal("5"), paid_on=D(2026, 10, 8)
    )
    file = xl.workbook(
        "党费交纳",
        DUES_HEADER,
        ["张一", "2026-10", 12, "2026-11-05"],  # that month is recorded already
        ["孙六", "2026-10", 12, "2026-11-05"],  # another branch's member
    )
    url = xl.upload(clients["b1"], file)
    analysis, by_row = rows_of(clients["b1"], url)
    assert analysis.valid_count == 0
    assert by_row[2].errors[0].column == "所属月份"
    assert "2026年10月的党费已登记" in by_row[2].errors[0].reason
    assert by_row[3].errors[0].column == "党员"
    clients["b1"].post(url + "import/")
    assert Due.objects.count() == 1
