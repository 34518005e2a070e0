from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AuditImmutable(Exception):
    """An audit entry cannot be changed or deleted once written."""


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditImmutable("审计记录不可修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutable("审计记录不可删除")


class AuditEntry(models.Model):
    """One write: who, when, what, from where. Written in the write's own transaction.

    Append-only: the model refuses updates and deletes, and on PostgreSQL a trigger
    refuses them in the database. The actor is kept as a plain id plus the username at
    the time (`actor_label`), so deleting a user rewrites no audit row.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name="操作人",
    )
    actor_label = models.CharField("操作人标识", max_length=150)
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    action = models.CharField("操作", max_length=64)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    source = models.CharField("来源", max_length=16)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    changes = models.JSONField("内容", default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        db_table = "dj_audit_entry"
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or kwargs.get("force_update"):
            raise AuditImmutable("审计记录不可修改")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditImmutable("审计记录不可删除")


class ApiToken(models.Model):
    """An API access token: only its SHA-256 digest is stored; it expires, and it stops
    working when its user's password changes (`password_stamp`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name="用户",
    )
    digest = models.CharField("令牌摘要", max_length=64, unique=True)
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    expires_at = models.DateTimeField("失效时间", db_index=True)
    password_stamp = models.CharField("签发时密码摘要", max_length=64)

    class Meta:
        db_table = "dj_api_token"
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.user} 令牌（至 {self.expires_at:%Y-%m-%d %H:%M}）"
