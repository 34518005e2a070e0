"""Password policy, audited sign-in/out, session time limits, no-store, client address."""

import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from dangjian.access.services import DEMO_PASSWORD
from dangjian.core.middleware import SESSION_SEEN, SESSION_STARTED
from dangjian.core.models import AuditEntry

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "password",
    [
        "12345678",  # short, digits only, common
        "password",  # short, common
        "abcdefghij",  # long enough, one class
        "1234567890",  # digits only
        "Pass12",  # short
        "password123",  # common
    ],
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", [DEMO_PASSWORD, "Zhibu-pass-2026", "hongqi-2026-06"])
def test_the_policy_accepts_sound_passwords(password):
    validate_password(password)


def test_a_password_like_the_username_is_refused(user):
    with pytest.raises(ValidationError):
        validate_password("zhibu9_2026", user=user)


def test_sign_in_and_out_are_audited_with_the_address(user):
    client = Client(REMOTE_ADDR="10.1.1.5")
    assert client.post("/login/", {"username": "zhibu9", "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    client.post("/login/", {"username": "zhibu9", "password": "nope-nope-1"})
    rows = list(AuditEntry.objects.order_by("id").values_list("action", "actor_label", "ip"))
    assert rows == [
        ("login", "zhibu9", "10.1.1.5"),
        ("logout", "zhibu9", "10.1.1.5"),
        ("login_failed", "web", "10.1.1.5"),
    ]
    failed = AuditEntry.objects.get(action="login_failed")
    assert failed.object_id == "zhibu9" and "password" not in str(failed.changes)


def test_forwarded_address_is_ignored_from_an_untrusted_peer(user, settings):
    settings.TRUSTED_PROXIES = []
    client = Client(REMOTE_ADDR="10.1.1.6")
    client.post(
        "/login/",
        {"username": "zhibu9", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="1.2.3.4",
    )
    assert AuditEntry.objects.get(action="login").ip == "10.1.1.6"


def test_forwarded_address_is_used_behind_a_trusted_proxy(user, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client()
    client.post(
        "/login/",
        {"username": "zhibu9", "password": PASSWORD},
        # A client-sent first hop cannot choose the address: the proxy appends the peer.
        HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.4",
    )
    assert AuditEntry.objects.get(action="login").ip == "198.51.100.4"


def _signed_in(user) -> Client:
    client = Client()
    assert client.post("/login/", {"username": "zhibu9", "password": PASSWORD}).status_code == 302
    return client


def _age_session(client: Client, *, started: float, seen: float) -> None:
    session = client.session
    session[SESSION_STARTED] = time.time() - started
    session[SESSION_SEEN] = time.time() - seen
    session.save()


def test_idle_session_is_signed_out(user, settings):
    client = _signed_in(user)
    assert client.get("/rules/").status_code == 200
    _age_session(
        client, started=settings.SESSION_IDLE_SECONDS + 5, seen=settings.SESSION_IDLE_SECONDS + 5
    )
    response = client.get("/rules/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.get(action="session_timeout")
    assert entry.changes == {"reason": "idle"}
    assert "长时间未操作，已自动退出登录" in client.get(response["Location"]).content.decode()


def test_active_session_ends_at_the_absolute_limit(user, settings):
    client = _signed_in(user)
    _age_session(client, started=settings.SESSION_ABSOLUTE_SECONDS + 5, seen=10)
    response = client.get("/rules/")
    assert response.status_code == 302
    assert AuditEntry.objects.get(action="session_timeout").changes == {"reason": "absolute"}


def test_session_within_limits_stays(user, settings):
    client = _signed_in(user)
    _age_session(
        client, started=settings.SESSION_IDLE_SECONDS * 2, seen=settings.SESSION_IDLE_SECONDS - 60
    )
    assert client.get("/rules/").status_code == 200
    # The request refreshed the last-seen time.
    assert time.time() - client.session[SESSION_SEEN] < 30
    assert settings.SESSION_ABSOLUTE_SECONDS < 14 * 24 * 3600
    assert settings.SESSION_IDLE_SECONDS < settings.SESSION_ABSOLUTE_SECONDS


def test_signed_in_pages_are_not_stored(user):
    client = _signed_in(user)
    cache_control = client.get("/rules/")["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control


def test_pages_carry_a_content_security_policy_and_inline_scripts_a_nonce(user):
    from dangjian.web.testing import build_tree

    tree = build_tree()
    client = Client()
    client.force_login(tree.users["b1"])
    response = client.get(f"/orgs/{tree.branch1.pk}/activities/new/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "object-src 'none'" in policy
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    html = response.content.decode()
    assert f'<script nonce="{nonce}">' in html
    assert " onchange=" not in html and " onsubmit=" not in html
