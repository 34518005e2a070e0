import datetime
import re

import icalendar
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.records.models import Activity, Filing, Training

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def activity_post(tree, **overrides):
    data = {
        "kind": "theme_day",
        "date": "2026-10-20",
        "title": "重温入党誓词",
        "hours": "2",
        "speaker": str(tree.members1[1].pk),
        "attendees": [str(p.pk) for p in tree.members1[1:]],  # 张一 absent
        "minutes": "全体党员重温入党誓词。",
    }
    data.update(overrides)
    return data


def test_login_page_is_chinese_and_login_works(client, tree):
    r = client.get(reverse("web:login"))
    assert r.status_code == 200
    assert "用户名" in r.content.decode() and "密码" in r.content.decode()
    r = client.post(reverse("web:login"), {"username": "tb1", "password": "wrong"})
    assert "用户名或密码不正确" in r.content.decode()
    r = client.get(reverse("web:home"))
    assert r.status_code == 302 and r.url.startswith("/login/")


def test_activity_form_prefills_all_members_ticked(tree, login):
    c = login("b1")
    r = c.get(
        reverse("web:activity_new", args=[tree.branch1.pk]) + "?kind=theme_day&date=2026-10-31"
    )
    html = r.content.decode()
    assert html.count('name="attendees"') == 5
    assert html.count("checked") >= 5
    assert 'value="2026-10-31"' in html
    assert '<option value="theme_day" selected>' in html


def test_record_activity_with_absentee_and_scan(tree, login):
    c = login("b1")
    data = activity_post(tree)
    data["attachments"] = [SimpleUploadedFile("签到表.png", PNG, content_type="image/png")]
    r = c.post(reverse("web:activity_new", args=[tree.branch1.pk]), data)
    assert r.status_code == 302
    activity = Activity.objects.get(title="重温入党誓词")
    assert sorted(activity.attendees.values_list("name", flat=True)) == sorted(
        p.name for p in tree.members1[1:]
    )
    page = c.get(r.url).content.decode()
    assert "重温入党誓词" in page and "签到表.png" in page and "全体党员重温入党誓词" in page
    attachment = activity.attachments.get()
    download = c.get(reverse("web:attachment", args=[attachment.pk]))
    assert download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG


def test_form_with_errors_keeps_what_was_typed_and_names_the_field(tree, login):
    c = login("b1")
    data = activity_post(tree, date="", hours="-1")
    data["attachments"] = [
        SimpleUploadedFile("记录.pdf", b"not a pdf", content_type="application/pdf")
    ]
    r = c.post(reverse("web:activity_new", args=[tree.branch1.pk]), data)
    assert r.status_code == 200
    html = r.content.decode()
    assert "日期：" in html  # the field is named in the error
    assert "时长（学时）：" in html
    assert 'value="重温入党誓词"' in html  # typed title kept
    assert "全体党员重温入党誓词。" in html  # typed minutes kept
    # The absent member stays unticked.
    boxes = re.findall(r'<input type="checkbox" name="attendees"[^>]*>', html)
    assert len(boxes) == 5
    absent = [b for b in boxes if f'value="{tree.members1[0].pk}"' in b]
    assert absent and "checked" not in absent[0]
    assert sum("checked" in b for b in boxes) == 4
    assert not Activity.objects.filter(title="重温入党誓词").exists()


def test_bad_scan_is_rejected_by_content(tree, login):
    c = login("b1")
    data = activity_post(tree)
    data["attachments"] = [
        SimpleUploadedFile("记录.pdf", b"GIF89a...", content_type="application/pdf")
    ]
    r = c.post(reverse("web:activity_new", args=[tree.branch1.pk]), data)
    assert r.status_code == 200
    assert "只能上传 PDF、JPEG 或 PNG" in r.content.decode()
    assert not Activity.objects.filter(title="重温入党誓词").exists()


def test_edit_keeps_history_shown_on_record_page(tree, login):
    c = login("b1")
    activity = tree.activity
    data = activity_post(
        tree, date="2026-01-15", kind="branch_assembly", title="学习党章（第二次）"
    )
    data["attendees"] = [str(p.pk) for p in tree.members1[:2]]
    edit = reverse("web:activity_edit", args=[activity.pk])
    data["version"] = c.get(edit).context["form"]["version"].value()  # optimistic lock
    r = c.post(edit, data)
    assert r.status_code == 302
    page = c.get(reverse("web:activity", args=[activity.pk])).content.decode()
    assert "修改历史" in page
    assert "学习党章（第二次）" in page and "学习党章</td>" in page  # after and before
    assert "5 人" in page and "2 人" in page  # attendees before → after
    assert "减少 李三、赵四、钱五" in page


def test_writes_need_administration(tree, login):
    url = reverse("web:activity_new", args=[tree.branch1.pk])
    assert login("b2").post(url, activity_post(tree)).status_code == 404
    assert login("member").post(url, activity_post(tree)).status_code == 403
    assert not Activity.objects.filter(title="重温入党誓词").exists()
    delete = reverse("web:activity_delete", args=[tree.activity.pk])
    assert login("b2").post(delete).status_code == 404
    assert Activity.objects.filter(pk=tree.activity.pk).exists()
    assert login("b1").post(delete).status_code == 302
    assert not Activity.objects.filter(pk=tree.activity.pk).exists()


def test_training_for_many_people(tree, login):
    c = login("dept")
    people = tree.members1[:3] + tree.members2[:2]
    r = c.post(
        reverse("web:training_new", args=[tree.committee.pk]),
        {
            "people": [str(p.pk) for p in people],
            "date": "2026-06-01",
            "hours": "6",
            "kind": "general",
            "title": "党纪学习教育",
        },
    )
    assert r.status_code == 302
    assert Training.objects.filter(title="党纪学习教育").count() == 5
    r = c.post(reverse("web:training_new", args=[tree.committee.pk]), {"date": "2026-06-01"})
    assert "请至少选择一名参训人员" in r.content.decode()


def test_filing_form(tree, login):
    c = login("b1")
    url = reverse("web:filing_new", args=[tree.branch1.pk])
    r = c.post(url, {"kind": "work_report", "date": "2026-07-02", "period": "上半年"})
    assert r.status_code == 200 and "所属期间" in r.content.decode()
    r = c.post(url, {"kind": "work_report", "date": "2026-07-02", "period": "2026-H1"})
    assert r.status_code == 302
    assert Filing.objects.filter(period="2026-H1", org=tree.branch1).exists()


def test_member_sees_only_own_records(tree, login):
    c = login("member")
    own = c.get(reverse("web:person", args=[tree.member.pk]))
    assert own.status_code == 200 and "张一" in own.content.decode()
    assert c.get(reverse("web:person", args=[tree.members1[1].pk])).status_code == 404
    assert c.get(reverse("web:org_ledger", args=[tree.branch1.pk])).status_code == 403
    assert c.get(reverse("web:org_calendar", args=[tree.branch1.pk])).status_code == 200
    assert c.get(reverse("web:org_calendar", args=[tree.branch2.pk])).status_code == 404
    home = c.get(reverse("web:home")).content.decode()
    assert "张一，您好" in home and "学时" in home


def test_calendar_ics_download(tree, login):
    c = login("b1")
    year = datetime.date.today().year
    r = c.get(reverse("web:org_calendar_ics", args=[tree.branch1.pk]) + f"?year={year}")
    assert r["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    events = [e for e in cal.walk("VEVENT")]
    summaries = [str(e["SUMMARY"]) for e in events]
    assert len(events) >= 12
    assert any("主题党日" in s for s in summaries)
    # The theme day falls due at the end of each month.
    theme = sorted(e.decoded("DTSTART") for e in events if "主题党日" in str(e["SUMMARY"]))
    assert len(theme) == 12 and theme[0] == datetime.date(year, 1, 31)


def test_ledger_filters_by_kind_and_month(tree, login):
    c = login("b1")
    url = reverse("web:org_ledger", args=[tree.branch1.pk])
    year = datetime.date.today().year
    r = c.get(url + f"?kind=branch_assembly&month={year}-01")
    assert "学习党章" in r.content.decode()
    assert [a.attendee_count for a in r.context["page"]] == [5]
    assert "学习党章" not in c.get(url + f"?kind=theme_day&month={year}-01").content.decode()
    assert "学习党章" not in c.get(url + f"?month={year}-02").content.decode()


def test_committee_form_ticks_post_holders_not_everyone(tree, login):
    import datetime as dt

    from dangjian.orgs.models import Position

    Position.objects.create(
        person=tree.members2[0], org=tree.committee, role="secretary", start=dt.date(2025, 1, 1)
    )
    c = login("dept")
    html = c.get(reverse("web:activity_new", args=[tree.committee.pk])).content.decode()
    boxes = re.findall(r'<input type="checkbox" name="attendees"[^>]*>', html)
    assert len(boxes) == 9  # the subtree's members are offered
    ticked = [b for b in boxes if "checked" in b]
    assert len(ticked) == 1 and f'value="{tree.members2[0].pk}"' in ticked[0]


def test_work_committee_chooses_its_pack(tree, login):
    from dangjian.policy.selectors import pack_for_org

    url = reverse("web:org_pack", args=[tree.root.pk])
    assert login("b1").post(url, {"pack": "danyang-2020"}).status_code == 404
    assert login("wc").post(url, {"pack": "danyang-2020"}).status_code == 302
    assert pack_for_org(tree.branch1) == "danyang-2020"
    # Branches do not choose: the pack is the work committee's.
    assert (
        login("wc")
        .post(reverse("web:org_pack", args=[tree.branch1.pk]), {"pack": "national"})
        .status_code
        == 403
    )
    page = login("wc").get(reverse("web:org", args=[tree.root.pk])).content.decode()
    assert 'value="danyang-2020" selected' in page
