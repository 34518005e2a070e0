"""Notice and 党务公开 pages and API: inbox with unread marks, opening records the read,
publishers see receipts, failed forms keep the input, text is escaped, outsiders get 404."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from dangjian.core.actor import Actor
from dangjian.notices import services
from dangjian.notices.models import Disclosure, Notice, NoticeRead
from dangjian.web.testing import PASSWORD

TODAY = datetime.date.today()


@pytest.fixture
def notice(tree, actor_of):
    """The organ committee's notice to branch1 only."""
    return services.notice_publish(
        org=tree.committee,
        title="关于报送学习情况的通知",
        body="第一行\n<script>alert(1)</script>",
        published_on=TODAY,
        reply_by=TODAY + datetime.timedelta(days=7),
        targets=[tree.branch1],
        attachment=SimpleUploadedFile("安排.pdf", b"%PDF-1.4\nbody"),
        actor=actor_of(tree.users["dept"]),
    )


def test_member_inbox_marks_unread_then_read(login, notice):
    client = login("member")
    page = client.get("/notices/").content.decode()
    assert "关于报送学习情况的通知" in page and "unread-mark" in page
    home = client.get("/").content.decode()
    assert 'id="unread-notices-count">1<' in home
    # the member's home lists the latest notices with their unread mark
    assert 'id="my-notices"' in home and "关于报送学习情况的通知" in home
    detail = client.get(f"/notices/{notice.pk}/").content.decode()
    # plain text: escaped, line breaks kept; no receipts for a reader
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail and "<script>alert" not in detail
    assert 'id="receipts"' not in detail
    client.get(f"/notices/{notice.pk}/")
    assert NoticeRead.objects.filter(notice=notice).count() == 1
    page = client.get("/notices/").content.decode()
    assert "unread-mark" not in page and "已读" in page
    assert "unread-notices" not in client.get("/").content.decode()
    download = client.get(f"/notices/{notice.pk}/attachment/")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b"%PDF-1.4\nbody"


def test_publisher_sees_receipts(login, notice, tree):
    login("member").get(f"/notices/{notice.pk}/")
    client = login("dept")
    outbox = client.get("/notices/?box=out").content.decode()
    assert "关于报送学习情况的通知" in outbox
    assert "<td>1</td>" in outbox  # one member read it
    detail = client.get(f"/notices/{notice.pk}/").content.decode()
    assert 'id="read-count">1<' in detail and 'id="unread-count">4<' in detail
    assert "王二（办公室党支部）" in detail  # not read yet
    assert "张一（办公室党支部）" in detail  # among the readers


def test_outsiders_get_404_on_page_and_api(notice, outsider, tree):
    web = Client()
    assert web.login(username="outsider", password=PASSWORD)
    assert web.get(f"/notices/{notice.pk}/").status_code == 404
    assert web.get(f"/notices/{notice.pk}/attachment/").status_code == 404
    assert "关于报送学习情况的通知" not in web.get("/notices/").content.decode()
    api = APIClient()
    api.force_authenticate(outsider)
    assert api.get(f"/api/v1/notices/{notice.pk}/").status_code == 404
    assert api.get(f"/api/v1/notices/{notice.pk}/receipts/").status_code == 404
    assert api.get("/api/v1/notices/").json()["count"] == 0
    assert not NoticeRead.objects.exists()


def test_compose_failed_form_keeps_input(login, tree):
    client = login("dept")
    response = client.post(
        f"/orgs/{tree.committee.pk}/notices/new/",
        {"title": "我写的标题", "body": "", "published_on": "2026-03-02", "scope": "some"},
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert 'value="我写的标题"' in text
    assert "正文：" in text and "接收组织：" in text
    assert not Notice.objects.exists()


def test_compose_publishes_to_selected_children(login, tree):
    client = login("dept")
    response = client.post(
        f"/orgs/{tree.committee.pk}/notices/new/",
        {
            "title": "只发办公室",
            "body": "正文",
            "published_on": "2026-03-02",
            "scope": "some",
            "targets": [tree.branch1.pk],
        },
    )
    notice = Notice.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/notices/{notice.pk}/"
    assert [t.org for t in notice.targets.all()] == [tree.branch1]
    assert login("b2").get(f"/notices/{notice.pk}/").status_code == 404


def test_api_publish_open_and_receipts(tree, outsider):
    api = APIClient()
    api.force_authenticate(tree.users["dept"])
    made = api.post(
        "/api/v1/notices/",
        json.dumps(
            {
                "org": tree.committee.ext_id,
                "title": "接口通知",
                "body": "正文",
                "targets": [tree.branch2.ext_id],
            }
        ),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["targets"] == [tree.branch2.ext_id]
    bad = api.post(
        "/api/v1/notices/",
        json.dumps({"org": tree.committee.ext_id, "title": "x", "body": "y", "targets": ["TWC"]}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "targets" in bad.json()
    reader = APIClient()
    reader.force_authenticate(outsider)
    listed = reader.get("/api/v1/notices/").json()
    assert [n["read"] for n in listed["results"]] == [False]
    assert reader.get(f"/api/v1/notices/{pk}/").json()["read"] is True
    assert reader.get(f"/api/v1/notices/{pk}/").status_code == 200  # again: still one read
    assert NoticeRead.objects.filter(notice_id=pk).count() == 1
    assert reader.get(f"/api/v1/notices/{pk}/receipts/").status_code == 403
    receipts = api.get(f"/api/v1/notices/{pk}/receipts/").json()
    assert (receipts["total"], receipts["read"], receipts["unread"]) == (4, 1, 3)
    assert receipts["per_org"][0]["org"] == tree.branch2.ext_id
    assert receipts["readers"][0]["person"] == tree.members2[0].ext_id
    member = APIClient()
    member.force_authenticate(tree.users["member"])
    assert member.get(f"/api/v1/notices/{pk}/").status_code == 404


def test_disclosure_pages(login, tree, outsider):
    client = login("b1")
    failed = client.post(
        f"/orgs/{tree.branch1.pk}/disclosures/",
        {"category": "dues", "title": "", "content": "保留的内容", "published_on": "2026-03-02"},
    )
    assert failed.status_code == 200 and "保留的内容" in failed.content.decode()
    ok = client.post(
        f"/orgs/{tree.branch1.pk}/disclosures/",
        {
            "category": "dues",
            "title": "一季度党费收缴",
            "content": "全部按时交纳",
            "published_on": "2026-03-02",
        },
    )
    assert ok.status_code == 302
    item = Disclosure.objects.get()
    member = login("member")
    assert "一季度党费收缴" in member.get("/disclosures/").content.decode()
    assert "党费收缴" in member.get(f"/disclosures/{item.pk}/").content.decode()
    assert member.post(f"/orgs/{tree.branch1.pk}/disclosures/", {}).status_code == 403
    assert member.post(f"/disclosures/{item.pk}/delete/").status_code == 403
    other = Client()
    assert other.login(username="outsider", password=PASSWORD)
    assert other.get(f"/disclosures/{item.pk}/").status_code == 404
    assert "一季度党费收缴" not in other.get("/disclosures/").content.decode()
    assert login("b1").post(f"/disclosures/{item.pk}/delete/").status_code == 302
    assert not Disclosure.objects.exists()


def test_menu_offers_notices_to_members_and_admins(login):
    for role in ("member", "b1", "wc"):
        assert 'id="menu-notices"' in login(role).get("/rules/").content.decode()


def test_receipts_export_lists_every_member_read_or_not(login, notice, tree):
    import io

    from openpyxl import load_workbook

    login("member").get(f"/notices/{notice.pk}/")
    url = f"/notices/{notice.pk}/receipts.xlsx"
    assert login("b1").get(url).status_code == 403  # a receiver, not the publisher
    client = login("dept")
    assert 'id="receipts-export"' in client.get(f"/notices/{notice.pk}/").content.decode()
    ws = load_workbook(io.BytesIO(client.get(url).content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["所在组织", "姓名", "阅读情况", "阅读时间"]
    by_name = {r[1]: r for r in rows[1:]}
    assert len(by_name) == 5  # branch1's five members, not branch2's
    assert by_name["张一"][2] == "已读" and by_name["张一"][3]
    assert by_name["王二"][2:] == ["未读", None]


def test_api_disclosures_scoped_and_published_by_admins(tree, outsider):
    services.disclosure_publish(
        org=tree.branch1,
        category="dues",
        title="=党费收缴情况",
        content="一季度",
        published_on=TODAY,
        actor=Actor(user=tree.users["b1"], source="web"),
    )
    api = APIClient()
    api.force_authenticate(tree.users["member"])
    listed = api.get("/api/v1/disclosures/").json()
    assert listed["count"] == 1
    item = listed["results"][0]
    assert item["category_label"] == "党费收缴"
    assert item["org"] == tree.branch1.ext_id and item["title"] == "=党费收缴情况"
    assert api.get("/api/v1/disclosures/?category=nope").status_code == 400
    # a member does not publish; nor does the other branch's member see branch1's items
    body = {"org": tree.branch1.ext_id, "category": "dues", "title": "t", "content": "c"}
    assert api.post("/api/v1/disclosures/", body, format="json").status_code == 403
    other = APIClient()
    other.force_authenticate(outsider)
    assert other.get("/api/v1/disclosures/").json()["count"] == 0
    admin = APIClient()
    admin.force_authenticate(tree.users["b1"])
    made = admin.post("/api/v1/disclosures/", body, format="json")
    assert made.status_code == 201 and made.json()["published_on"] == TODAY.isoformat()
    assert Disclosure.objects.filter(org=tree.branch1).count() == 2
    bad = admin.post("/api/v1/disclosures/", {**body, "content": " "}, format="json")
    assert bad.status_code == 400
    assert admin.get(f"/api/v1/disclosures/?org={tree.branch2.ext_id}").json()["count"] == 0
