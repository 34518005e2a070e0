"""API tokens: issued on sign-in at /api/v1/auth/token/, hashed at rest, expiring,
revoked when the password changes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.models import ApiToken


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def password_stamp(user: Any) -> str:
    """Changes whenever the password does (the stored hash has a fresh salt each time)."""
    return hashlib.sha256(str(user.password).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    key: str  # shown once, never stored
    expires_at: datetime


def token_issue(*, user: Any, actor: Actor) -> IssuedToken:
    """A new token for `user`; its expired tokens are removed on the way."""
    key = secrets.token_hex(20)
    expires_at = timezone.now() + timedelta(days=settings.API_TOKEN_DAYS)
    with transaction.atomic():
        ApiToken.objects.filter(user=user, expires_at__lte=timezone.now()).delete()
        token = ApiToken.objects.create(
            user=user,
            digest=token_digest(key),
            expires_at=expires_at,
            password_stamp=password_stamp(user),
        )
        audit_record(
            actor=actor,
            action="token_issue",
            object_type="api_token",
            object_id=str(token.pk),
            changes={"user": user.get_username(), "expires_at": expires_at.isoformat()},
            notify=False,
        )
    return IssuedToken(key=key, expires_at=expires_at)


def token_user(key: str) -> Any | None:
    """The user a presented key belongs to, or None if unknown, expired or revoked."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(key), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if not secrets.compare_digest(token.password_stamp, password_stamp(token.user)):
        return None
    return token.user


def tokens_revoke(*, user: Any) -> int:
    """Remove every token of `user` (called when the password changes)."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` checked against the stored digests."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, None]:
        user = token_user(key)
        if user is None:
            raise exceptions.AuthenticationFailed("令牌无效、已过期或已被撤销，请重新获取。")
        return user, None
