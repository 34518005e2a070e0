"""Attendance as branches keep it: 应到 / 实到, absence with a reason, make-up (补学),
and the warning before a second meeting of the same kind on the same day."""

import datetime

from django.urls import reverse

from dangjian.core.models import AuditEntry
from dangjian.records.models import Absence, Activity

DAY = "2026-10-20"


def post_data(tree, **overrides):
    data = {
        "kind": "theme_day",
        "date": DAY,
        "title": "重温入党誓词",
        "attendees": [str(p.pk) for p in tree.members1[1:]],
        f"absence_{tree.members1[0].pk}": "sick",
        f"absence_note_{tree.members1[0].pk}": "住院",
    }
    data.update(overrides)
    return data


def edit_data(c, edit, tree, **overrides):
    """The edit form's data, with the version the form carries (optimistic lock)."""
    data = post_data(tree, **overrides)
    data["version"] = c.get(edit).context["form"]["version"].value()
    return data


def test_absent_member_with_reason_and_figures(tree, login):
    c = login("b1")
    r = c.post(reverse("web:activity_new", args=[tree.branch1.pk]), post_data(tree))
    assert r.status_code == 302
    activity = Activity.objects.get(title="重温入党誓词")
    absence = Absence.objects.get(activity=activity)
    assert (absence.person, absence.reason, absence.note) == (tree.members1[0], "sick", "住院")
    page = c.get(r.url).content.decode()
    assert "应到 5 人，实到 4 人，缺席 1 人" in page
    assert "缺席：病假（住院）" in page and "未补学" in page
    entry = AuditEntry.objects.get(object_type="activity", object_id=str(activity.pk))
    assert entry.changes["after"]["absentees"] == [
        {"person": tree.members1[0].ext_id, "reason": "sick", "note": "住院"}
    ]


def test_unticked_member_without_reason_is_not_expected(tree, login):
    c = login("b1")
    data = post_data(tree)
    del data[f"absence_{tree.members1[0].pk}"]
    r = c.post(reverse("web:activity_new", args=[tree.branch1.pk]), data)
    assert r.status_code == 302
    assert not Absence.objects.exists()
    assert "应到 4 人，实到 4 人" in c.get(r.url).content.decode()


def test_reason_for_a_present_member_is_refused_and_the_form_keeps_input(tree, login):
    c = login("b1")
    data = post_data(tree, **{f"absence_{tree.members1[1].pk}": "official"})
    before = Activity.objects.count()
    r = c.post(reverse("web:activity_new", args=[tree.branch1.pk]), data)
    assert r.status_code == 200
    html = r.content.decode()
    assert f"{tree.members1[1].name}：已勾选为参加，请不要同时选择缺席原因" in html
    assert 'value="重温入党誓词"' in html and 'value="住院"' in html
    assert Activity.objects.count() == before


def test_second_meeting_same_kind_same_day_warns_then_saves_when_confirmed(tree, login):
    c = login("b1")
    url = reverse("web:activity_new", args=[tree.branch1.pk])
    assert c.post(url, post_data(tree)).status_code == 302
    r = c.post(url, post_data(tree, title="第二次"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "本组织在同一天已登记过同类活动" in html and "仍然保存" in html
    assert 'value="第二次"' in html
    assert not Activity.objects.filter(title="第二次").exists()
    r = c.post(url, post_data(tree, title="第二次", confirm_duplicate="1"))
    assert r.status_code == 302
    assert Activity.objects.filter(title="第二次").exists()


def test_no_warning_for_another_kind_day_or_organisation(tree, login):
    c = login("b1")
    url = reverse("web:activity_new", args=[tree.branch1.pk])
    assert c.post(url, post_data(tree)).status_code == 302
    assert c.post(url, post_data(tree, kind="party_lesson", title="党课")).status_code == 302
    assert c.post(url, post_data(tree, date="2026-10-21", title="次日")).status_code == 302
    c = login("b2")
    other = {"kind": "theme_day", "date": DAY, "attendees": [str(tree.members2[0].pk)]}
    assert c.post(reverse("web:activity_new", args=[tree.branch2.pk]), other).status_code == 302


def test_edit_warns_only_when_moved_onto_another_meeting(tree, login):
    c = login("b1")
    url = reverse("web:activity_new", args=[tree.branch1.pk])
    c.post(url, post_data(tree))
    c.post(url, post_data(tree, date="2026-10-22", title="另一次"))
    other = Activity.objects.get(title="另一次")
    edit = reverse("web:activity_edit", args=[other.pk])
    r = c.post(edit, edit_data(c, edit, tree, date="2026-10-22", title="另一次（改）"))
    assert r.status_code == 302  # same day as before: no warning
    r = c.post(edit, edit_data(c, edit, tree, title="另一次（改）"))
    assert r.status_code == 200 and "本组织在同一天已登记过同类活动" in r.content.decode()
    other.refresh_from_db()
    assert other.date == datetime.date(2026, 10, 22)


def _absent(tree, login):
    c = login("b1")
    c.post(reverse("web:activity_new", args=[tree.branch1.pk]), post_data(tree))
    absence = Absence.objects.get()
    url = reverse("web:absence_makeup", args=[absence.activity_id, absence.pk])
    return c, absence, url


def _version(c, absence):
    """The make-up form's version, as the activity page hands it out."""
    page = c.get(reverse("web:activity", args=[absence.activity_id]))
    (row,) = [r for r in page.context["absences"] if r["absence"].pk == absence.pk]
    return {f"m{absence.pk}-version": row["form"]["version"].value()}


def test_make_up_recorded_later_shows_in_page_and_history(tree, login):
    c, absence, url = _absent(tree, login)
    prefix = f"m{absence.pk}"
    r = c.post(
        url,
        {
            f"{prefix}-made_up_on": "2026-10-25",
            f"{prefix}-made_up_how": "自学会议材料",
            **_version(c, absence),
        },
    )
    assert r.status_code == 302
    absence.refresh_from_db()
    assert absence.made_up_on == datetime.date(2026, 10, 25)
    assert absence.made_up_how == "自学会议材料"
    page = c.get(r.url).content.decode()
    assert "已补学 2026-10-25：自学会议材料" in page
    assert "补学 2026-10-25 自学会议材料" in page  # the history row
    entry = AuditEntry.objects.filter(object_type="activity", action="update").get()
    assert entry.changes["after"]["absentees"][0]["made_up_on"] == "2026-10-25"
    # An edit of the meeting that keeps the absence keeps the make-up.
    edit = reverse("web:activity_edit", args=[absence.activity_id])
    assert c.post(edit, edit_data(c, edit, tree, title="改名")).status_code == 302
    absence.refresh_from_db()
    assert absence.made_up_on == datetime.date(2026, 10, 25)
    # Taken back.
    assert c.post(url, {"clear": "1"}).status_code == 302
    absence.refresh_from_db()
    assert absence.made_up_on is None and absence.made_up_how == ""


def test_make_up_before_the_meeting_is_refused_keeping_input(tree, login):
    c, absence, url = _absent(tree, login)
    prefix = f"m{absence.pk}"
    audits = AuditEntry.objects.count()
    r = c.post(
        url,
        {
            f"{prefix}-made_up_on": "2026-10-19",
            f"{prefix}-made_up_how": "自学",
            **_version(c, absence),
        },
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "补学日期：补学日期不能早于活动日期" in html and 'value="自学"' in html
    r = c.post(
        url, {f"{prefix}-made_up_on": "", f"{prefix}-made_up_how": "", **_version(c, absence)}
    )
    assert r.status_code == 400 and "补学日期：" in r.content.decode()
    absence.refresh_from_db()
    assert absence.made_up_on is None
    assert AuditEntry.objects.count() == audits


def test_make_up_needs_the_branchs_administrator(tree, login):
    _, absence, url = _absent(tree, login)
    prefix = f"m{absence.pk}"
    data = {f"{prefix}-made_up_on": "2026-10-25", f"{prefix}-made_up_how": "自学"}
    assert login("member").post(url, data).status_code == 403
    assert login("b2").post(url, data).status_code == 404
    absence.refresh_from_db()
    assert absence.made_up_on is None


def test_member_page_lists_absences_and_make_ups(tree, login):
    c, absence, url = _absent(tree, login)
    prefix = f"m{absence.pk}"
    c.post(
        url,
        {
            f"{prefix}-made_up_on": "2026-10-25",
            f"{prefix}-made_up_how": "自学会议材料",
            **_version(c, absence),
        },
    )
    page = login("member").get(reverse("web:person", args=[tree.member.pk]) + "?year=2026")
    html = page.content.decode()
    assert "缺席：病假" in html and "已补学 2026-10-25（自学会议材料），计为参加" in html


def test_moving_a_meeting_after_a_recorded_make_up_is_refused(tree, login):
    c, absence, url = _absent(tree, login)
    prefix = f"m{absence.pk}"
    c.post(
        url,
        {
            f"{prefix}-made_up_on": "2026-10-25",
            f"{prefix}-made_up_how": "自学",
            **_version(c, absence),
        },
    )
    edit = reverse("web:activity_edit", args=[absence.activity_id])
    r = c.post(edit, edit_data(c, edit, tree, date="2026-10-28", title="改期"))
    assert r.status_code == 200
    assert "已登记的补学日期早于新的活动日期" in r.content.decode()
    activity = Activity.objects.get(pk=absence.activity_id)
    assert (str(activity.date), activity.title) == (DAY, "重温入党誓词")


def test_an_absence_changed_meanwhile_is_an_edit_conflict(tree, login):
    """Two administrators edit one meeting; the first changes only an absence."""
    c = login("b1")
    c.post(reverse("web:activity_new", args=[tree.branch1.pk]), post_data(tree))
    activity = Activity.objects.get(title="重温入党誓词")
    edit = reverse("web:activity_edit", args=[activity.pk])
    stale = edit_data(c, edit, tree, title="后保存的")
    first = edit_data(c, edit, tree, **{f"absence_{tree.members1[0].pk}": "official"})
    assert c.post(edit, first).status_code == 302
    r = c.post(edit, stale)
    assert r.status_code == 200
    page = r.content.decode()
    assert "该记录在你编辑期间已被他人修改" in page and "缺席：原为" in page
    absence = Absence.objects.get(activity=activity)
    assert absence.reason == "official"
    assert Activity.objects.get(pk=activity.pk).title == "重温入党誓词"
