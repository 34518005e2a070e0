"""Notices reach only the subtree they were sent to; opening one is recorded once;
the publisher's receipts count per organisation and per member; 党务公开 items reach
the organisation's own members."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.core.models import AuditEntry
from dangjian.notices import selectors as nsel
from dangjian.notices import services
from dangjian.notices.models import Disclosure, NoticeRead

TODAY = datetime.date(2026, 3, 2)


def publish(tree, actor_of, role="wc", org=None, **kw):
    return services.notice_publish(
        org=org or tree.root,
        title=kw.pop("title", "关于开展主题党日活动的通知"),
        body=kw.pop("body", "请各支部于本月内开展。"),
        published_on=kw.pop("published_on", TODAY),
        actor=actor_of(tree.users[role]),
        **kw,
    )


def test_whole_subtree_reaches_every_member_and_branch_admin(tree, actor_of, outsider):
    notice = publish(tree, actor_of)
    for user in (tree.users["member"], tree.users["b1"], tree.users["b2"], outsider):
        assert list(nsel.notices_received(user)) == [notice]
    assert nsel.audience(notice).count() == 9
    entry = AuditEntry.objects.get(object_type="notice", action="create")
    assert entry.changes["after"]["title"] == "关于开展主题党日活动的通知"


def test_selected_child_reaches_only_its_subtree(tree, actor_of, outsider):
    notice = publish(tree, actor_of, org=tree.committee, targets=[tree.branch1])
    assert not notice.whole_subtree
    assert list(nsel.notices_visible(tree.users["member"])) == [notice]
    assert list(nsel.notices_visible(tree.users["b1"])) == [notice]
    # the other branch, its administrator and its member see nothing
    assert not nsel.notices_visible(tree.users["b2"]).exists()
    assert not nsel.notices_visible(outsider).exists()
    # the publishing organisation's administrators see it as sent, not as received
    assert list(nsel.notices_sent(tree.users["dept"])) == [notice]
    assert not nsel.notices_received(tree.users["dept"]).exists()
    assert set(nsel.audience(notice)) == set(tree.members1)


def test_a_member_who_left_is_not_in_the_audience(tree, actor_of):
    gone = tree.members1[4]
    gone.left_on = datetime.date(2025, 1, 1)
    gone.save(update_fields=["left_on"])
    notice = publish(tree, actor_of, org=tree.committee, targets=[tree.branch1])
    assert gone not in set(nsel.audience(notice))


def test_only_administrators_of_the_org_publish_inside_its_subtree(tree, actor_of):
    with pytest.raises(PermissionDenied):
        publish(tree, actor_of, role="b1", org=tree.committee)
    with pytest.raises(PermissionDenied):
        publish(tree, actor_of, role="member", org=tree.branch1)
    with pytest.raises(ValidationError) as exc:
        publish(tree, actor_of, role="dept", org=tree.committee, targets=[tree.root])
    assert "省直机关工委" in exc.value.message_dict["targets"][0]


def test_bad_input_names_the_field(tree, actor_of):
    with pytest.raises(ValidationError) as exc:
        publish(tree, actor_of, title=" ", body="", reply_by=TODAY - datetime.timedelta(days=1))
    errors = exc.value.message_dict
    assert errors["title"] == ["请填写通知标题"]
    assert errors["body"] == ["请填写通知正文"]
    assert errors["reply_by"] == ["回复截止日期不能早于发布日期"]
    # reply by the publishing day itself is allowed
    assert publish(tree, actor_of, reply_by=TODAY).reply_by == TODAY


def test_attachment_type_is_read_from_its_bytes_and_size_is_bounded(tree, actor_of, monkeypatch):
    fake = SimpleUploadedFile("通知.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        publish(tree, actor_of, attachment=fake)
    assert "通知.pdf" in exc.value.message_dict["attachment"][0]
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 8)
    big = SimpleUploadedFile("大.pdf", b"%PDF-1.4\n0123456789")
    with pytest.raises(ValidationError) as exc:
        publish(tree, actor_of, attachment=big)
    assert "超过 10 MB" in exc.value.message_dict["attachment"][0]
    monkeypatch.undo()
    ok = SimpleUploadedFile("安排.docx", b"PK\x03\x04rest-of-zip")
    notice = publish(tree, actor_of, attachment=ok)
    assert notice.attachment_name == "安排.docx"
    assert notice.attachment_type.endswith("wordprocessingml.document")
    assert "安排" not in notice.attachment.name  # stored under a random name


def test_mark_read_is_idempotent(tree, actor_of):
    notice = publish(tree, actor_of)
    first, created = services.notice_mark_read(notice=notice, actor=actor_of(tree.users["member"]))
    again, created_again = services.notice_mark_read(
        notice=notice, actor=actor_of(tree.users["member"])
    )
    assert created and not created_again and first.pk == again.pk
    assert first.person == tree.member
    assert NoticeRead.objects.filter(notice=notice).count() == 1
    assert AuditEntry.objects.filter(object_type="notice", action="read").count() == 1


def test_receipts_per_org_and_member(tree, actor_of):
    notice = publish(tree, actor_of, org=tree.committee)
    member = tree.users["member"]
    assert nsel.unread_count(member) == 1
    services.notice_mark_read(notice=notice, actor=actor_of(member))
    # an administrator without a member record reads it too: listed, not counted as a member
    services.notice_mark_read(notice=notice, actor=actor_of(tree.users["b2"]))
    assert nsel.unread_count(member) == 0
    r = nsel.receipts(notice)
    assert (r.total, r.read, r.unread) == (9, 1, 8)
    by_org = {o.org.name: (o.total, o.read, o.unread) for o in r.per_org}
    assert by_org == {"办公室党支部": (5, 1, 4), "预算处党支部": (4, 0, 4)}
    assert tree.member not in r.unread_people and len(r.unread_people) == 8
    assert [x.user for x in r.readers] == [member, tree.users["b2"]]


def test_disclosures_reach_the_org_members_and_below(tree, actor_of, outsider):
    own = services.disclosure_publish(
        org=tree.branch1,
        category="dues",
        title="一季度党费收缴情况",
        content="全支部按时足额交纳。",
        published_on=TODAY,
        actor=actor_of(tree.users["b1"]),
    )
    above = services.disclosure_publish(
        org=tree.committee,
        category="recruitment",
        title="发展对象公示",
        content="公示期五个工作日。",
        published_on=TODAY,
        actor=actor_of(tree.users["dept"]),
    )
    assert set(nsel.disclosures_visible(tree.users["member"])) == {own, above}
    assert set(nsel.disclosures_visible(outsider)) == {above}
    assert set(nsel.disclosures_visible(tree.users["b2"])) == {above}
    assert set(nsel.disclosures_visible(tree.users["wc"])) == {own, above}
    with pytest.raises(PermissionDenied):
        services.disclosure_delete(disclosure=own, actor=actor_of(tree.users["b2"]))
    with pytest.raises(ValidationError) as exc:
        services.disclosure_publish(
            org=tree.branch1,
            category="gossip",
            title="",
            content="x",
            published_on=TODAY,
            actor=actor_of(tree.users["b1"]),
        )
    assert set(exc.value.message_dict) == {"category", "title"}
    services.disclosure_delete(disclosure=own, actor=actor_of(tree.users["b1"]))
    assert not Disclosure.objects.filter(pk=own.pk).exists()
    gone = AuditEntry.objects.get(object_type="disclosure", action="delete")
    assert gone.changes["before"]["title"] == "一季度党费收缴情况"
