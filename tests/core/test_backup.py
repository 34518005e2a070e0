"""Backup → restore into an empty database → everything equal, accounts and files included."""

import shutil

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from dangjian.core.actor import Actor
from dangjian.core.backup import rows_as_data
from dangjian.core.models import ApiToken
from dangjian.core.tokens import token_digest, token_issue, token_user
from dangjian.records import services
from dangjian.records.models import Attachment
from dangjian.web.testing import PASSWORD, build_tree

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def everything_but_the_restore_entry():
    """Every row; the restore's own audit entry aside, and the cache counter it bumps."""
    data = rows_as_data()
    data.pop("policy.dataversion", None)
    data["core.auditentry"] = [
        row for row in data["core.auditentry"] if row["fields"]["action"] != "restore"
    ]
    return data


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_an_empty_database(tmp_path, media, capsys):
    tree = build_tree()
    User = get_user_model()
    User.objects.create_superuser("root", password="root-pass-2026")
    token = token_issue(user=tree.users["b1"], actor=Actor.system("test")).key
    services.activity_update(
        activity=tree.activity,
        title="学习党章（修订）",
        minutes="会议纪要：全体党员学习党章。",
        attachments=[SimpleUploadedFile("签到表.png", PNG, content_type="image/png")],
        actor=Actor(user=tree.users["b1"], source="web"),
    )
    attachment = Attachment.objects.get()
    stored = (media / attachment.file.name).read_bytes()
    before = everything_but_the_restore_entry()
    assert before["core.auditentry"] and before["records.activityminutes"]
    assert before["access.grant"] and before["access.personaccount"] and before["core.apitoken"]

    backup = tmp_path / "backup.zip"
    call_command("backup", str(backup))
    assert "备份完成" in capsys.readouterr().out

    # A restore refuses a database that already holds data.
    with pytest.raises(SystemExit) as refused:
        call_command("restore", str(backup))
    assert refused.value.code == 2
    assert "不是空的" in capsys.readouterr().err

    call_command("flush", "--noinput", verbosity=0)  # an empty, migrated database
    shutil.rmtree(media)
    assert not User.objects.exists()

    call_command("restore", str(backup))
    assert "恢复完成" in capsys.readouterr().out
    assert everything_but_the_restore_entry() == before
    restored = Attachment.objects.get()
    assert (media / restored.file.name).read_bytes() == stored == PNG
    assert authenticate(username="root", password="root-pass-2026") is not None
    assert authenticate(username=tree.users["b1"].get_username(), password=PASSWORD) is not None
    restored_token = ApiToken.objects.get(digest=token_digest(token))
    assert restored_token.user.get_username() == tree.users["b1"].get_username()
    assert token_user(token) == restored_token.user  # the restored token still signs in


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, capsys):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(SystemExit) as refused:
        call_command("restore", str(junk))
    assert refused.value.code == 2
    assert "无法读取备份文件" in capsys.readouterr().err
