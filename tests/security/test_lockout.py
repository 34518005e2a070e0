"""Lock-out after repeated wrong passwords, on every entry point (django-axes)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dangjian.core.models import AuditEntry

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _web_login(client: Client, username: str, password: str, **extra: str):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def test_web_login_locks_after_the_limit_even_with_the_right_password(user, settings):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _web_login(client, "zhibu9", f"wrong-{i}")
        assert response.status_code == 200  # the form again, not yet locked
    # The limit-th failure locks the pair (username, address).
    locked = _web_login(client, "zhibu9", "wrong-last")
    assert locked.status_code == 429
    assert "连续登录失败次数过多" in locked.content.decode()
    # The right password no longer gets in from this address.
    response = _web_login(client, "zhibu9", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # From another address the user still can (lock by username and address).
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert _web_login(other, "zhibu9", PASSWORD).status_code == 302
    failures = AuditEntry.objects.filter(action__in=("login_failed", "login_locked"))
    assert failures.filter(object_id="zhibu9").count() == settings.AXES_FAILURE_LIMIT + 1
    assert AuditEntry.objects.filter(action="login", actor_label="zhibu9").count() == 1


def test_below_the_limit_the_right_password_works_and_resets_the_count(user, settings):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        _web_login(client, "zhibu9", f"wrong-{i}")
    assert _web_login(client, "zhibu9", PASSWORD).status_code == 302
    client.post("/logout/")
    # Reset on success: another limit-1 failures still do not lock.
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        _web_login(client, "zhibu9", f"again-{i}")
    assert _web_login(client, "zhibu9", PASSWORD).status_code == 302


def test_admin_login_locks(settings):
    get_user_model().objects.create_superuser("root9", "", PASSWORD)
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "root9", "password": f"wrong-{i}"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "root9", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "连续登录失败次数过多" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # not signed in


def test_token_endpoint_locks(user, settings):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        bad = client.post(
            "/api/v1/auth/token/",
            {"username": "zhibu9", "password": f"wrong-{i}"},
            content_type="application/json",
        )
        assert bad.status_code == 400
        assert bad.json() == {"non_field_errors": ["用户名或密码不正确。"]}
    client.post(
        "/api/v1/auth/token/",
        {"username": "zhibu9", "password": "wrong-last"},
        content_type="application/json",
    )
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "zhibu9", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 429
    assert "连续登录失败次数过多" in response.json()["detail"]
    assert "token" not in response.json()


def test_lockout_counts_the_real_client_behind_a_trusted_proxy(user, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for i in range(settings.AXES_FAILURE_LIMIT):
        _web_login(Client(), "zhibu9", f"wrong-{i}", HTTP_X_FORWARDED_FOR="203.0.113.7")
    # Another client behind the same proxy is not locked out by the first one's failures.
    ok = _web_login(Client(), "zhibu9", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert ok.status_code == 302
    locked = _web_login(Client(), "zhibu9", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert locked.status_code == 429
    ips = set(AuditEntry.objects.filter(action="login_failed").values_list("ip", flat=True))
    assert ips == {"203.0.113.7"}
