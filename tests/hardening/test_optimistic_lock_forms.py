"""Every web form that edits an existing record refuses a stale save and says what changed.

Two clients load the same page; the second saves; the first's save is refused with a
message naming the change, keeps what was typed, and goes through when sent again
(the form then carries the new version). Organisations and people over the API honour
`If-Match` like the records do.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from dangjian.core.actor import Actor
from dangjian.core.tokens import token_issue
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Position, Term
from dangjian.oversight import services as oversight
from dangjian.oversight.models import Rectification
from dangjian.people.models import AdmissionStep, Due, Person, PersonStatus
from dangjian.web.testing import build_tree

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
CONFLICT = "已被他人修改"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree(db):
    return build_tree()


def login(user):
    client = Client()
    client.force_login(user)
    return client


def posted(form):
    """What a browser would post for the form as shown (its prefix and version included)."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        key = form.add_prefix(name)
        if value is None or value is False:
            if not isinstance(value, bool):
                data[key] = ""
            continue
        if value is True:
            data[key] = "on"
        elif isinstance(value, list):
            data[key] = [str(v) for v in value]
        elif isinstance(value, datetime.date):
            data[key] = value.isoformat()
        else:
            data[key] = str(value)
    return data


def two_forms(users, url, pick=lambda ctx: ctx["form"]):
    first, second = login(users[0]), login(users[1])
    mine = posted(pick(first.get(url).context))
    theirs = posted(pick(second.get(url).context))
    return first, second, mine, theirs


def refused(client, url, data, *, shows):
    page = client.post(url, data)
    assert page.status_code == 200, page.status_code
    html = page.content.decode()
    assert CONFLICT in html and "你填写的内容仍保留在下方" in html
    for text in shows:
        assert text in html, text
    return page


def test_person_edit(tree):
    person = tree.members1[1]
    url = reverse("web:person_edit", args=[person.pk])
    first, second, mine, theirs = two_forms([tree.users["b1"], tree.users["dept"]], url)
    theirs["name"] = "王二二"
    assert second.post(url, theirs).status_code == 302

    mine["monthly_income"] = "8888"
    page = refused(
        first, url, mine, shows=["姓名：原为“王二”，现为“王二二”", 'value="8888"', 'value="王二"']
    )
    assert Person.objects.get(pk=person.pk).monthly_income is None

    again = {**mine, "version": page.context["form"]["version"].value()}
    assert first.post(url, again).status_code == 302
    saved = Person.objects.get(pk=person.pk)
    assert (saved.name, saved.monthly_income) == ("王二", 8888)


def test_person_edit_without_a_version_is_not_saved_blindly(tree):
    person = tree.members1[1]
    url = reverse("web:person_edit", args=[person.pk])
    client = login(tree.users["b1"])
    data = posted(client.get(url).context["form"])
    data.pop("version")
    data["name"] = "无版本"
    page = client.post(url, data)
    assert page.status_code == 200 and "无法确认" in page.content.decode()
    assert Person.objects.get(pk=person.pk).name == "王二"


def test_person_leave(tree):
    person = tree.members1[3]
    url = reverse("web:person_leave", args=[person.pk])
    first, second, mine, theirs = two_forms([tree.users["b1"], tree.users["dept"]], url)
    theirs.update(date="2026-01-05", reason="deceased")
    assert second.post(url, theirs).status_code == 302
    mine.update(date="2026-02-01", reason="expelled")
    refused(first, url, mine, shows=["离开日期：原为“（空）”，现为“2026-01-05”", "2026-02-01"])
    assert Person.objects.get(pk=person.pk).left_reason == "deceased"


def test_position_end(tree):
    post = Position.objects.get(org=tree.branch1, end__isnull=True)
    first, second = login(tree.users["b1"]), login(tree.users["dept"])
    page = first.get(reverse("web:leadership", args=[tree.branch1.pk]))
    ((_shown, version),) = [row for row in page.context["positions"] if row[0].pk == post.pk]
    url = reverse("web:position_end", args=[post.pk])
    # The other administrator changes the post first (its start date, in the admin's stead).
    Position.objects.filter(pk=post.pk).update(start=datetime.date(TODAY.year - 1, 4, 1))
    end = TODAY.isoformat()
    page = first.post(url, {"end": end, "version": version}, follow=True)
    html = page.content.decode()
    assert CONFLICT in html and "任职日期：原为" in html and f"你填写的离任日期为 {end}" in html
    assert Position.objects.get(pk=post.pk).end is None
    # Loaded again, the page carries the new version and the save goes through.
    page = second.get(reverse("web:leadership", args=[tree.branch1.pk]))
    ((_, fresh),) = [row for row in page.context["positions"] if row[0].pk == post.pk]
    assert second.post(url, {"end": end, "version": fresh}).status_code == 302
    assert Position.objects.get(pk=post.pk).end == TODAY


def test_election(tree):
    url = reverse("web:election_new", args=[tree.branch1.pk])
    first, second, mine, theirs = two_forms([tree.users["b1"], tree.users["dept"]], url)
    theirs["elected_on"] = (TODAY - datetime.timedelta(days=2)).isoformat()
    assert second.post(url, theirs).status_code == 302
    mine["elected_on"] = (TODAY - datetime.timedelta(days=1)).isoformat()
    mine["years"] = "5"
    refused(first, url, mine, shows=["上次换届日期：原为", 'value="5"'])
    assert Term.objects.filter(org=tree.branch1).count() == 2


@pytest.mark.parametrize("kind", ["rename", "move", "dissolve"])
def test_org_manage(tree, kind):
    org = org_services.org_create(
        parent=tree.committee, name="新支部", type="branch", actor=Actor.system("test")
    )
    url = reverse("web:org_manage", args=[org.pk])
    first, second, mine, _theirs = two_forms(
        [tree.users["dept"], tree.users["wc"]], url, pick=lambda ctx: ctx["forms"][kind]
    )
    rename = posted(login(tree.users["wc"]).get(url).context["forms"]["rename"])
    rename.update({"kind": "rename", "rename-name": "他人改的名称"})
    assert second.post(url, rename).status_code == 302

    mine["kind"] = kind
    typed = {
        "rename": ("rename-name", "我改的名称"),
        "move": ("move-parent", str(tree.dept.pk)),
        "dissolve": ("dissolve-date", "2026-01-02"),
    }[kind]
    mine[typed[0]] = typed[1]
    refused(first, url, mine, shows=["名称：原为“新支部”，现为“他人改的名称”", typed[1]])
    org.refresh_from_db()
    assert (org.name, org.parent_id, org.dissolved) == ("他人改的名称", tree.committee.pk, None)


def test_rectification_step(tree):
    rect = oversight.rectification_open(
        org=tree.branch1,
        title="未按期召开支部委员会",
        found_on=TODAY - datetime.timedelta(days=10),
        actor=Actor.system("test"),
    )
    url = reverse("web:rectification", args=[rect.pk])
    first, second, mine, theirs = two_forms([tree.users["b1"], tree.users["dept"]], url)
    theirs.update(on=(TODAY - datetime.timedelta(days=3)).isoformat(), due_on="")
    assert second.post(url, theirs).status_code == 302
    typed = (TODAY - datetime.timedelta(days=2)).isoformat()
    mine.update(on=typed)
    refused(first, url, mine, shows=["交办日期：原为“（空）”，现为", typed])
    assert Rectification.objects.get(pk=rect.pk).assigned_on == TODAY - datetime.timedelta(days=3)


def test_dues_ledger(tree):
    url = reverse("web:dues_ledger", args=[tree.branch1.pk])
    first, second, mine, theirs = two_forms([tree.users["b1"], tree.users["dept"]], url)
    zhang, wang = tree.members1[0], tree.members1[1]

    def pay(data, *people):
        for key in [k for k in data if k.startswith("pay_")]:
            del data[key]
        for p in people:
            data[f"pay_{p.pk}"] = "on"
            data[f"amount_{p.pk}"] = "50"
        return data

    assert second.post(url, pay(theirs, zhang)).status_code == 302
    page = refused(first, url, pay(mine, zhang, wang), shows=["张一：原为", "已交 50.00 元"])
    assert not Due.objects.filter(person=wang).exists()  # nothing of the refused save
    assert Due.objects.filter(person=zhang).count() == 1
    # Wang's line is still ticked as typed; saving again records it.
    assert f'name="pay_{wang.pk}" id="id_pay_{wang.pk}" checked' in page.content.decode()
    again = pay(posted(page.context["form"]), wang)
    assert first.post(url, again).status_code == 302
    assert Due.objects.filter(person=wang).count() == 1


def test_dues_ledger_other_lines_do_not_conflict(tree):
    url = reverse("web:dues_ledger", args=[tree.branch1.pk])
    first, second, mine, theirs = two_forms([tree.users["b1"], tree.users["dept"]], url)
    zhang, wang = tree.members1[0], tree.members1[1]
    theirs = {k: v for k, v in theirs.items() if not k.startswith("pay_")}
    mine = {k: v for k, v in mine.items() if not k.startswith("pay_")}
    theirs.update({f"pay_{zhang.pk}": "on", f"amount_{zhang.pk}": "50"})
    mine.update({f"pay_{wang.pk}": "on", f"amount_{wang.pk}": "60"})
    assert second.post(url, theirs).status_code == 302
    assert first.post(url, mine).status_code == 302
    assert Due.objects.filter(person__in=[zhang, wang]).count() == 2


def test_pipeline_step(tree):
    applicant = Person.objects.create(
        ext_id="TAPP",
        name="申请人甲",
        org=tree.branch1,
        status=PersonStatus.APPLICANT,
        applied_on=TODAY - datetime.timedelta(days=20),
        birth_date=datetime.date(1995, 1, 1),
    )
    url = reverse("web:pipeline", args=[tree.branch1.pk])
    first, second, mine, theirs = two_forms([tree.users["b1"], tree.users["dept"]], url)
    step = {"person": str(applicant.pk), "step": "talked", "evidence": "谈话记录"}
    theirs.update(step, date=(TODAY - datetime.timedelta(days=5)).isoformat())
    assert second.post(url, theirs).status_code == 302
    mine.update(step, date=(TODAY - datetime.timedelta(days=4)).isoformat(), evidence="我的记录")
    refused(first, url, mine, shows=["申请人甲：原为", "下一步：派人谈话", 'value="我的记录"'])
    assert AdmissionStep.objects.filter(person=applicant).count() == 1


def api(user):
    client = APIClient()
    issued = token_issue(user=user, actor=Actor.system("test"))
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    return client


@pytest.mark.parametrize(
    ("path", "change", "stale"),
    [
        ("organizations", {"name": "他人改的名称"}, {"name": "我改的名称"}),
        ("people", {"name": "他人改的姓名"}, {"monthly_income": "100.00"}),
    ],
)
def test_api_keeping_records_honour_if_match(tree, path, change, stale):
    ext_id = {"organizations": tree.branch1.ext_id, "people": tree.members1[2].ext_id}[path]
    first, second = api(tree.users["dept"]), api(tree.users["wc"])
    url = f"/api/v1/{path}/{ext_id}/"
    etag = first.get(url)["ETag"]
    assert etag.startswith('"') and second.get(url)["ETag"] == etag
    saved = second.patch(url, change, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] != etag and saved["ETag"] == first.get(url)["ETag"]
    before = first.get(url).json()
    refused_ = first.patch(url, stale, format="json", HTTP_IF_MATCH=etag)
    assert refused_.status_code == 412 and CONFLICT in refused_.json()["detail"]
    assert first.get(url).json() == before
    assert first.patch(url, stale, format="json", HTTP_IF_MATCH=saved["ETag"]).status_code == 200
    assert first.patch(url, stale, format="json").status_code == 200  # no If-Match: as before


def test_absence_make_up(tree):
    from dangjian.records.models import Absence

    absence = Absence.objects.create(activity=tree.activity, person=tree.members1[4], reason="sick")
    tree.activity.attendance.filter(person=tree.members1[4]).delete()
    page_url = reverse("web:activity", args=[tree.activity.pk])
    url = reverse("web:absence_makeup", args=[tree.activity.pk, absence.pk])
    first, second = login(tree.users["b1"]), login(tree.users["dept"])

    def form_of(client):
        rows = client.get(page_url).context["absences"]
        return posted(next(r["form"] for r in rows if r["absence"].pk == absence.pk))

    mine, theirs = form_of(first), form_of(second)
    p = f"m{absence.pk}"
    theirs.update({f"{p}-made_up_on": TODAY.isoformat(), f"{p}-made_up_how": "他人登记的补学"})
    assert second.post(url, theirs).status_code == 302
    mine.update({f"{p}-made_up_on": TODAY.isoformat(), f"{p}-made_up_how": "我登记的补学"})
    page = first.post(url, mine)
    assert page.status_code == 409
    html = page.content.decode()
    assert CONFLICT in html and "补学方式：原为“（空）”，现为“他人登记的补学”" in html
    assert 'value="我登记的补学"' in html
    assert Absence.objects.get(pk=absence.pk).made_up_how == "他人登记的补学"


def _rectified(tree):
    """A problem found by the committee's inspection, reported rectified by the branch."""
    from dangjian.oversight.inspections import ProblemInput, inspection_create

    inspection_create(
        org=tree.committee,
        year=TODAY.year,
        quarter=1,
        title="督查",
        targets=[tree.branch1],
        held_on=TODAY - datetime.timedelta(days=20),
        problems=[ProblemInput(tree.branch1, "学习记录不全", None)],
        actor=Actor(user=tree.users["dept"], source="web"),
    )
    rect = Rectification.objects.get()
    oversight.rectification_advance(
        rectification=rect,
        step="rectify",
        on=TODAY - datetime.timedelta(days=10),
        evidence="已补记",
        actor=Actor(user=tree.users["b1"], source="web"),
    )
    return rect


def test_rectification_send_back(tree):
    rect = _rectified(tree)
    page_url = reverse("web:rectification", args=[rect.pk])
    url = reverse("web:rectification_send_back", args=[rect.pk])
    first, second, mine, theirs = two_forms(
        [tree.users["dept"], tree.users["wc"]], page_url, pick=lambda ctx: ctx["send_back"]
    )
    theirs.update(reason="佐证不足")
    assert second.post(url, theirs).status_code == 302
    mine.update(reason="会议记录仍缺两次")
    refused(first, url, mine, shows=["整改完成日期：原为", "现为“（空）”", "会议记录仍缺两次"])
    rect.refresh_from_db()
    assert rect.rectified_on is None  # sent back once, not twice


def test_inspection_record(tree):
    from dangjian.oversight.inspections import inspection_create
    from dangjian.oversight.models import Inspection

    inspection = inspection_create(
        org=tree.committee,
        year=TODAY.year,
        quarter=1,
        title="组织生活督查",
        targets=[tree.branch1],
        actor=Actor(user=tree.users["dept"], source="web"),
    )
    url = reverse("web:inspection_record", args=[inspection.pk])
    first, second, mine, theirs = two_forms([tree.users["dept"], tree.users["wc"]], url)
    for data in (mine, theirs):
        data.pop("inspectors")  # none picked: a browser sends nothing
    theirs.update(held_on=TODAY.isoformat(), inspector_names="张督查")
    assert second.post(url, theirs).status_code == 302
    mine.update(held_on=TODAY.isoformat(), inspector_names="李督查")
    refused(first, url, mine, shows=["开展情况：原为“未登记”", "其他督查人员", 'value="李督查"'])
    assert Inspection.objects.get(pk=inspection.pk).inspector_names == "张督查"


def test_assessment_adjustment_withdrawal(tree):
    from dangjian.oversight.models import AssessmentAdjustment

    url = reverse("web:assessment_breakdown", args=[tree.committee.pk, tree.branch1.pk])
    year = TODAY.year
    admin = login(tree.users["wc"])
    admin.post(url, {"year": year, "points": "-1", "reason": "误登"})
    adj = AssessmentAdjustment.objects.get()
    first = login(tree.users["dept"])
    mine = first.get(url + f"?year={year}").context["withdraw_version"]
    admin.post(url, {"year": year, "points": "2", "reason": "获评先进"})
    page = refused(
        first,
        url,
        {"year": year, "delete": adj.pk, "version": mine},
        shows=["加减分：原为“-1.00分（误登）”", "获评先进"],
    )
    assert AssessmentAdjustment.objects.count() == 2
    again = {"year": year, "delete": adj.pk, "version": page.context["withdraw_version"]}
    assert first.post(url, again).status_code == 302
    assert list(AssessmentAdjustment.objects.values_list("reason", flat=True)) == ["获评先进"]
