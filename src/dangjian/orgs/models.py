from django.db import models
from django.db.models import F, Q


class OrgType(models.TextChoices):
    WORK_COMMITTEE = "work_committee", "机关工委"
    PARTY_GROUP = "party_group", "部门党组（党委）"
    ORGAN_COMMITTEE = "organ_committee", "机关党委"
    GENERAL_BRANCH = "general_branch", "机关党总支"
    BRANCH = "branch", "机关党支部"
    PARTY_CELL = "party_cell", "党小组"
    DISCIPLINE_COMMITTEE = "discipline_committee", "机关纪委"


class Organization(models.Model):
    """A node of the organisation tree.

    `path` is a materialised path of primary keys ("/1/7/42/"), so a subtree is
    one `path LIKE '/1/7/%'` query on every database.
    """

    ext_id = models.CharField("编号", max_length=64, unique=True)
    name = models.CharField("名称", max_length=200)
    type = models.CharField("类型", max_length=32, choices=OrgType.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="上级组织",
    )
    path = models.CharField("路径", max_length=512, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField("层级", default=0, editable=False)
    staff_count = models.PositiveIntegerField("机关工作人员总数", null=True, blank=True)
    established = models.DateField("成立日期", null=True, blank=True)
    dissolved = models.DateField("撤销日期", null=True, blank=True)
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_organization"
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=OrgType.values), name="organization_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(dissolved__isnull=True)
                | Q(established__isnull=True)
                | Q(dissolved__gte=F("established")),
                name="organization_dissolved_after_established",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PositionRole(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY_SECRETARY = "deputy_secretary", "副书记"
    COMMITTEE_MEMBER = "committee_member", "委员"
    DISCIPLINE_MEMBER = "discipline_member", "纪检委员"
    CELL_LEADER = "cell_leader", "党小组组长"


class Position(models.Model):
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="positions", verbose_name="党员"
    )
    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="positions", verbose_name="党组织"
    )
    role = models.CharField("职务", max_length=32, choices=PositionRole.choices)
    start = models.DateField("任职日期")
    end = models.DateField("离任日期", null=True, blank=True)
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_position"
        verbose_name = "职务"
        verbose_name_plural = "职务"
        ordering = ["org_id", "role", "start"]
        indexes = [models.Index(fields=["org", "role", "start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "org", "role", "start"], name="position_unique_holding"
            ),
            models.CheckConstraint(
                condition=Q(role__in=PositionRole.values), name="position_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="position_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.get_role_display()}"


class Term(models.Model):
    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="terms", verbose_name="党组织"
    )
    elected_on = models.DateField("选举日期")
    years = models.PositiveSmallIntegerField("任期（年）")
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_term"
        verbose_name = "任期"
        verbose_name_plural = "任期"
        ordering = ["org_id", "elected_on"]
        constraints = [
            models.UniqueConstraint(fields=["org", "elected_on"], name="term_unique_per_election"),
            models.CheckConstraint(condition=Q(years__gte=1), name="term_years_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.elected_on}（{self.years}年）"
