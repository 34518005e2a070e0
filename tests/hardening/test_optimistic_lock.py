"""Two people editing one record: the later save is refused and told what changed."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from dangjian.core.actor import Actor
from dangjian.core.concurrency import token_snapshot
from dangjian.core.tokens import token_issue
from dangjian.records.models import Activity, Filing, Training
from dangjian.web.testing import build_tree

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def tree(db):
    return build_tree()


def api(user):
    client = APIClient()
    issued = token_issue(user=user, actor=Actor.system("test"))
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    return client


@pytest.mark.parametrize(
    ("path", "model", "change"),
    [
        ("activities", Activity, {"title": "第二人改的主题"}),
        ("trainings", Training, {"title": "第二人改的名称"}),
        ("filings", Filing, {"period": "2020"}),
    ],
)
def test_api_if_match_refuses_a_stale_write(tree, path, model, change):
    first, second = api(tree.users["b1"]), api(tree.users["dept"])
    ext_id = {"activities": tree.activity, "trainings": tree.training, "filings": tree.filing}[
        path
    ].ext_id
    url = f"/api/v1/{path}/{ext_id}/"
    etag = first.get(url)["ETag"]
    assert etag.startswith('"') and second.get(url)["ETag"] == etag
    saved = second.patch(url, change, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] != etag and saved["ETag"] == first.get(url)["ETag"]
    before = model.objects.get(ext_id=ext_id)
    stale = first.patch(url, {"title": "第一人改的"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert "已被他人修改" in stale.json()["detail"]
    after = model.objects.get(ext_id=ext_id)
    assert [getattr(after, f.attname) for f in model._meta.concrete_fields] == [
        getattr(before, f.attname) for f in model._meta.concrete_fields
    ]
    fresh = first.get(url)["ETag"]
    assert first.patch(url, change, format="json", HTTP_IF_MATCH=fresh).status_code == 200
    assert first.patch(url, change, format="json", HTTP_IF_MATCH="*").status_code == 200


def edit_form(client, activity):
    page = client.get(reverse("web:activity_edit", args=[activity.pk]))
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields if name != "attachments"}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["attendees"] = [str(v) for v in data["attendees"]]
    return data


def test_web_form_second_save_is_refused_showing_what_changed(tree):
    first, second = Client(), Client()
    first.force_login(tree.users["b1"])
    second.force_login(tree.users["dept"])
    url = reverse("web:activity_edit", args=[tree.activity.pk])
    mine, theirs = edit_form(first, tree.activity), edit_form(second, tree.activity)
    assert mine["version"] and token_snapshot(mine["version"]) == token_snapshot(theirs["version"])

    theirs["title"] = "他人先保存的主题"
    theirs["hours"] = "3"
    assert second.post(url, theirs).status_code == 302

    mine["title"] = "我输入的主题"
    page = first.post(url, mine)
    assert page.status_code == 200
    html = page.content.decode()
    assert "已被他人修改" in html
    assert "主题：原为“学习党章”，现为“他人先保存的主题”" in html
    assert "学时" in html and "现为“3" in html
    assert 'value="我输入的主题"' in html  # what was typed is kept
    assert Activity.objects.get(pk=tree.activity.pk).title == "他人先保存的主题"

    # Saving again after review is deliberate: the form now carries the new version.
    again = {**mine, "version": page.context["form"]["version"].value()}
    assert again["version"] != mine["version"]
    assert first.post(url, again).status_code == 302
    assert Activity.objects.get(pk=tree.activity.pk).title == "我输入的主题"


def test_web_form_without_a_version_is_not_saved_blindly(tree):
    client = Client()
    client.force_login(tree.users["b1"])
    data = edit_form(client, tree.activity)
    data.pop("version")
    data["title"] = "没有版本的提交"
    page = client.post(reverse("web:activity_edit", args=[tree.activity.pk]), data)
    assert page.status_code == 200 and "无法确认" in page.content.decode()
    assert Activity.objects.get(pk=tree.activity.pk).title == "学习党章"


def admin_form_data(client, url):
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    data["version"] = page.context["dangjian_version"]
    assert f'name="version" value="{data["version"]}"' in page.content.decode()
    return data


# Posts and terms are read-only in the admin (they change through the services).
@pytest.mark.parametrize("model", ["training", "filing"])
def test_admin_change_form_refuses_a_stale_save(tree, model):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    first, second = Client(), Client()
    first.force_login(User.objects.create_superuser("root1", password="pw-root-2026"))
    second.force_login(User.objects.create_superuser("root2", password="pw-root-2026"))
    obj = {
        "training": tree.training,
        "filing": tree.filing,
    }[model]
    app = obj._meta.app_label
    url = f"/admin/{app}/{model}/{obj.pk}/change/"
    mine, theirs = admin_form_data(first, url), admin_form_data(second, url)
    field = {"training": "hours", "filing": "period"}[model]
    theirs[field] = {"training": "9", "filing": "2019"}[model]
    assert second.post(url, theirs).status_code == 302
    saved = type(obj).objects.get(pk=obj.pk)

    mine[field] = {"training": "5", "filing": "2018"}[model]
    page = first.post(url, mine)
    assert page.status_code == 200
    html = page.content.decode()
    assert "已被他人修改" in html and "现为" in html
    assert (
        type(obj).objects.get(pk=obj.pk).__dict__.items()
        >= {k: v for k, v in saved.__dict__.items() if k != "_state"}.items()
    )
    # Saving again after review is deliberate.
    again = {**mine, "version": page.context["dangjian_version"]}
    assert first.post(url, again).status_code == 302
