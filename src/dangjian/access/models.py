from django.conf import settings
from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    WORK_COMMITTEE_ADMIN = "work_committee_admin", "机关工委管理员"
    DEPARTMENT_ADMIN = "department_admin", "部门/机关党委管理员"
    BRANCH_ADMIN = "branch_admin", "支部管理员"


ADMIN_ROLES = tuple(Role.values)


class Grant(models.Model):
    """A role on an organisation node; it covers the node's whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="grants",
        verbose_name="用户",
    )
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="grants", verbose_name="党组织"
    )
    role = models.CharField("角色", max_length=32, choices=Role.choices)

    class Meta:
        db_table = "dj_grant"
        verbose_name = "授权"
        verbose_name_plural = "授权"
        constraints = [
            models.UniqueConstraint(fields=["user", "org", "role"], name="grant_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="grant_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} @ {self.org}"


class PersonAccount(models.Model):
    """Links a login to the member it belongs to: a member sees their own records."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="person_account",
        verbose_name="用户",
    )
    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="account", verbose_name="党员"
    )

    class Meta:
        db_table = "dj_person_account"
        verbose_name = "党员账号"
        verbose_name_plural = "党员账号"

    def __str__(self) -> str:
        return f"{self.user} → {self.person}"


class CalendarFeed(models.Model):
    """A user's secret link to one organisation's work calendar (.ics), for calendar apps
    that subscribe without signing in. One per user; a new link replaces the old one, and
    revoking deletes it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name="用户",
    )
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="党组织"
    )
    token = models.CharField("密钥", max_length=64, unique=True)
    created = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        db_table = "dj_calendar_feed"
        verbose_name = "日历订阅链接"
        verbose_name_plural = "日历订阅链接"

    def __str__(self) -> str:
        return f"{self.user} · {self.org}"
