from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One write: who, when, what, from where. Written in the write's own transaction."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
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

    class Meta:
        db_table = "dj_audit_entry"
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"
