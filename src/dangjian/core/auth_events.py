"""Sign-in, sign-out, failures, lock-outs, password and privilege changes: audited.

Connected in CoreConfig.ready. Every entry is written with notify=False: none of these
changes a party record, so the policy engine's data version stays as it is.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save
from django.http import HttpRequest

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record, cascade_summary
from dangjian.core.current import current_actor
from dangjian.core.middleware import client_ip, request_source, start_session_clock

WATCHED_USER_FIELDS = ("is_superuser", "is_staff", "is_active", "username")


def _http_request(request: Any) -> HttpRequest | None:
    """The Django request behind a DRF request, or the request itself."""
    return getattr(request, "_request", request) if request is not None else None


def _actor(request: Any, user: Any = None) -> Actor:
    http = _http_request(request)
    if http is None:
        return Actor(user=user, source="system")
    return Actor(user=user, source=request_source(http), ip=client_ip(http))


def _current_actor() -> Actor:
    return current_actor() or Actor.system()


def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    http = _http_request(request)
    if http is not None and hasattr(http, "session"):
        start_session_clock(http)
    with transaction.atomic():
        audit_record(
            actor=_actor(request, user),
            action="login",
            object_type="user",
            object_id=str(user.pk),
            notify=False,
        )


def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    http = _http_request(request)
    reason = getattr(http, "session_expired", "") if http is not None else ""
    with transaction.atomic():
        audit_record(
            actor=_actor(request, user),
            action="session_timeout" if reason else "logout",
            object_type="user",
            object_id=str(user.pk),
            changes={"reason": reason} if reason else None,
            notify=False,
        )


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    username = str(credentials.get("username", ""))[:64]
    http = _http_request(request)
    locked = bool(getattr(http, "axes_locked_out", False)) if http is not None else False
    with transaction.atomic():
        audit_record(
            actor=_actor(request),
            action="login_locked" if locked else "login_failed",
            object_type="user",
            object_id=username,
            changes={"username": username},
            notify=False,
        )


def on_user_pre_save(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Remember what the row held, so post_save can audit privilege and password changes."""
    if instance.pk is None:
        instance._dj_before = None
        return
    instance._dj_before = (
        sender.objects.filter(pk=instance.pk).values(*WATCHED_USER_FIELDS, "password").first()
    )


def on_user_post_save(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    from dangjian.core.tokens import tokens_revoke

    before = getattr(instance, "_dj_before", None)
    if created or before is None:
        return
    changes = {
        name: {"before": before[name], "after": getattr(instance, name)}
        for name in WATCHED_USER_FIELDS
        if before[name] != getattr(instance, name)
    }
    password_changed = before["password"] != instance.password
    if not changes and not password_changed:
        return
    with transaction.atomic():
        if password_changed:
            changes["password"] = {"changed": True, "tokens_revoked": tokens_revoke(user=instance)}
        action = "privilege_change" if {"is_superuser", "is_staff"} & changes.keys() else "update"
        audit_record(
            actor=_current_actor(),
            action=action,
            object_type="user",
            object_id=str(instance.pk),
            changes={"username": instance.get_username(), **changes},
            notify=False,
        )


def on_user_pre_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A user's deletion is audited with the grants and links that go with it."""
    from dangjian.access.models import Grant

    grants = [
        {"org": ext_id, "role": role}
        for ext_id, role in Grant.objects.filter(user=instance).values_list("org__ext_id", "role")
    ]
    with transaction.atomic():
        audit_record(
            actor=_current_actor(),
            action="delete",
            object_type="user",
            object_id=str(instance.pk),
            changes={
                "username": instance.get_username(),
                "is_superuser": instance.is_superuser,
                "grants": grants,
                "cascade": cascade_summary([instance]),
            },
            notify=False,
        )


def on_groups_changed(sender: Any, instance: Any, action: str, pk_set: Any, **kwargs: Any) -> None:
    """Duties (三员) are groups: adding or removing one is audited."""
    if action not in ("post_add", "post_remove", "pre_clear") or not isinstance(
        instance, get_user_model()
    ):
        return
    from django.contrib.auth.models import Group

    if action == "pre_clear":
        names = list(instance.groups.values_list("name", flat=True))
    else:
        names = list(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    if not names:
        return
    with transaction.atomic():
        audit_record(
            actor=_current_actor(),
            action="duty_grant" if action == "post_add" else "duty_revoke",
            object_type="user",
            object_id=str(instance.pk),
            changes={"username": instance.get_username(), "groups": sorted(names)},
            notify=False,
        )


def connect() -> None:
    user_model = get_user_model()
    user_logged_in.connect(on_logged_in, dispatch_uid="dj-audit-login")
    user_logged_out.connect(on_logged_out, dispatch_uid="dj-audit-logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="dj-audit-login-failed")
    pre_save.connect(on_user_pre_save, sender=user_model, dispatch_uid="dj-user-pre-save")
    post_save.connect(on_user_post_save, sender=user_model, dispatch_uid="dj-user-post-save")
    pre_delete.connect(on_user_pre_delete, sender=user_model, dispatch_uid="dj-user-pre-delete")
    m2m_changed.connect(
        on_groups_changed, sender=user_model.groups.through, dispatch_uid="dj-user-groups"
    )
