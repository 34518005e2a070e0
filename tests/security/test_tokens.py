"""API tokens: hashed at rest, expiring, revoked when the password changes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dangjian.core.models import ApiToken, AuditEntry
from dangjian.core.tokens import token_digest

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _token(client: APIClient) -> dict:
    response = client.post(
        "/api/v1/auth/token/", {"username": "zhibu9", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_token_is_stored_as_a_digest_and_works(user, settings):
    body = _token(APIClient())
    key = body["token"]
    stored = ApiToken.objects.get(user=user)
    assert stored.digest == token_digest(key) and key not in stored.digest
    assert not ApiToken.objects.filter(digest=key).exists()
    days = (stored.expires_at - timezone.now()).total_seconds() / 86400
    assert settings.API_TOKEN_DAYS - 1 < days <= settings.API_TOKEN_DAYS
    assert body["expires_at"]
    assert _with(key).get("/api/v1/organizations/").status_code == 200
    issue = AuditEntry.objects.get(action="token_issue")
    assert issue.changes["user"] == "zhibu9" and key not in str(issue.changes)


def test_expired_token_is_refused(user):
    key = _token(APIClient())["token"]
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _with(key).get("/api/v1/organizations/")
    assert response.status_code == 401
    assert "过期" in response.json()["detail"]


def test_password_change_revokes_every_token(user):
    first = _token(APIClient())["token"]
    second = _token(APIClient())["token"]
    user.set_password("Another-pass-2027")
    user.save()
    for key in (first, second):
        assert _with(key).get("/api/v1/organizations/").status_code == 401
    assert not ApiToken.objects.filter(user=user).exists()
    change = AuditEntry.objects.get(object_type="user", action="update")
    assert change.changes["password"] == {"changed": True, "tokens_revoked": 2}


def test_token_dies_with_a_password_changed_behind_the_models_back(user):
    """Even a password written without a save signal (bulk update) invalidates tokens."""
    key = _token(APIClient())["token"]
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    get_user_model().objects.filter(pk=user.pk).update(password=make_password("Other-2027-x"))
    assert _with(key).get("/api/v1/organizations/").status_code == 401


def test_inactive_user_token_is_refused(user):
    key = _token(APIClient())["token"]
    user.is_active = False
    user.save()
    assert _with(key).get("/api/v1/organizations/").status_code == 401


def test_password_change_page_applies_the_policy_and_revokes_tokens(user):
    from django.test import Client

    key = _token(APIClient())["token"]
    client = Client()
    client.force_login(user)
    weak = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert weak.status_code == 200
    html = weak.content.decode()
    assert "请修改以下内容" in html and "密码" in html
    assert _with(key).get("/api/v1/organizations/").status_code == 200
    new = "Renewed-pass-2027"
    done = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302 and done["Location"] == "/password/done/"
    assert client.get("/password/done/").status_code == 200  # still signed in
    assert _with(key).get("/api/v1/organizations/").status_code == 401
    assert AuditEntry.objects.filter(action="update", object_id=str(user.pk)).exists()
