"""Notices (通知) sent down an organisation's subtree with read receipts, and 党务公开
items an organisation publishes to its own members."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

# Attachments: bounded like activity scans; the type is read from the first bytes.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_BODY_CHARS = 20000
ATTACHMENT_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


def notice_attachment_upload_to(instance: Notice, filename: str) -> str:
    # A random name: the user's file name is kept in `attachment_name` only.
    ext = ATTACHMENT_TYPES.get(instance.attachment_type, "")
    return f"notices/{uuid.uuid4().hex}{ext}"


class Notice(models.Model):
    """A notice from `org` to its whole subtree, or to the organisations in `targets`
    (each with its subtree), all inside `org`'s subtree."""

    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name="发布组织",
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    published_on = models.DateField("发布日期")
    reply_by = models.DateField("回复截止日期", null=True, blank=True)
    whole_subtree = models.BooleanField("发至全部下级组织", default=True)
    attachment = models.FileField(
        "附件", upload_to=notice_attachment_upload_to, max_length=300, blank=True
    )
    attachment_name = models.CharField("附件名", max_length=255, blank=True)
    attachment_type = models.CharField("附件类型", max_length=120, blank=True)
    attachment_size = models.PositiveIntegerField("附件大小（字节）", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="发布人",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        db_table = "dj_notice"
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-published_on", "-pk"]
        indexes = [models.Index(fields=["org", "published_on"], name="notice_org_published")]
        constraints = [
            models.CheckConstraint(
                condition=Q(reply_by__isnull=True) | Q(reply_by__gte=models.F("published_on")),
                name="notice_reply_after_publish",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.published_on} {self.title}"


class NoticeTarget(models.Model):
    """An organisation (with its subtree) a notice was sent to when not the whole subtree."""

    notice = models.ForeignKey(
        Notice, on_delete=models.CASCADE, related_name="targets", verbose_name="通知"
    )
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="接收组织"
    )

    class Meta:
        db_table = "dj_notice_target"
        verbose_name = "通知接收组织"
        verbose_name_plural = "通知接收组织"
        constraints = [
            models.UniqueConstraint(fields=["notice", "org"], name="notice_target_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.org_id}"


class NoticeRead(models.Model):
    """Who opened a notice and when (the first time only): the user, and the member the
    login belongs to when it is linked to one."""

    notice = models.ForeignKey(
        Notice, on_delete=models.CASCADE, related_name="reads", verbose_name="通知"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notice_reads",
        verbose_name="用户",
    )
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notice_reads",
        verbose_name="党员",
    )
    read_at = models.DateTimeField("阅读时间", auto_now_add=True)

    class Meta:
        db_table = "dj_notice_read"
        verbose_name = "通知阅读记录"
        verbose_name_plural = "通知阅读记录"
        ordering = ["read_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="notice_read_once"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} · {self.user_id} · {self.read_at:%Y-%m-%d %H:%M}"


class DisclosureCategory(models.TextChoices):
    ORG_BUILDING = "org_building", "组织建设"
    DUES = "dues", "党费收缴"
    RECRUITMENT = "recruitment", "发展党员"
    COMMENDATION = "commendation", "评先评优"
    OTHER = "other", "其他"


class Disclosure(models.Model):
    """A 党务公开 item: what an organisation makes known to its members (and those of
    its subtree)."""

    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="disclosures",
        verbose_name="公开组织",
    )
    category = models.CharField("公开类别", max_length=32, choices=DisclosureCategory.choices)
    title = models.CharField("标题", max_length=200)
    content = models.TextField("公开内容")
    published_on = models.DateField("公开日期")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="发布人",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        db_table = "dj_disclosure"
        verbose_name = "党务公开"
        verbose_name_plural = "党务公开"
        ordering = ["-published_on", "-pk"]
        indexes = [models.Index(fields=["org", "published_on"], name="disclosure_org_published")]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=DisclosureCategory.values),
                name="disclosure_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.published_on} {self.title}"
