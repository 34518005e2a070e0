from django.db import models

DEFAULT_PACK = "yunnan-2019"


class PackAssignment(models.Model):
    """The pack a work committee chose for its tree (the nearest assignment above an org wins)."""

    org = models.OneToOneField(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="pack_assignment",
        verbose_name="党组织",
    )
    pack_id = models.CharField("规定包", max_length=64, default=DEFAULT_PACK)
    # 党员积分 / 评星定级 (people.points): off unless the work committee switches it on.
    member_points = models.BooleanField("党员积分与评星定级", default=False)

    class Meta:
        db_table = "dj_pack_assignment"
        verbose_name = "适用规定"
        verbose_name_plural = "适用规定"

    def __str__(self) -> str:
        return f"{self.org} → {self.pack_id}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from dangjian.policy.packs import list_packs

        if self.pack_id not in list_packs():
            raise ValidationError({"pack_id": f"没有规定包 {self.pack_id!r}"})


class FindingScope(models.Model):
    """One unit of stored findings: a pack, a year and a department subtree.

    A department is a child of a top organisation (the work committee); its scope holds the
    findings of every organisation in its subtree. The top organisation's own scope
    (`top`) holds the findings that belong to it alone. A write bumps `dirty`; a refresh
    records the `dirty` it started from in `refreshed`: stale while dirty > refreshed.
    The claim columns are the lock two workers take turns on (a conditional UPDATE).
    """

    pack_id = models.CharField("规定包", max_length=64)
    year = models.PositiveSmallIntegerField("年度")
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="finding_scopes",
        verbose_name="范围组织",
    )
    top = models.BooleanField("仅本组织", default=False)
    path = models.CharField("路径", max_length=512, default="")
    as_of = models.DateField("计算截至日", null=True, blank=True)
    computed_at = models.DateTimeField("计算时间", null=True, blank=True)
    dirty = models.BigIntegerField("变更序号", default=1)
    refreshed = models.BigIntegerField("已计算序号", default=0)
    marked_at = models.DateTimeField("最近变更时间", null=True, blank=True)
    claimed_by = models.CharField("计算进程", max_length=64, blank=True, default="")
    claimed_until = models.DateTimeField("占用截止", null=True, blank=True)
    rules = models.PositiveIntegerField("规则数", default=0)
    subjects = models.PositiveIntegerField("检查对象数", default=0)

    class Meta:
        db_table = "dj_finding_scope"
        verbose_name = "检查结果范围"
        verbose_name_plural = "检查结果范围"
        constraints = [
            models.UniqueConstraint(fields=["pack_id", "year", "org"], name="finding_scope_unique")
        ]
        indexes = [models.Index(fields=["path"], name="finding_scope_path")]

    def __str__(self) -> str:
        return f"{self.pack_id} {self.year} {self.path}"

    @property
    def stale(self) -> bool:
        return self.dirty > self.refreshed


class StoredFinding(models.Model):
    """One finding of the engine, as last computed for its scope."""

    scope = models.ForeignKey(
        FindingScope, on_delete=models.CASCADE, related_name="findings", verbose_name="范围"
    )
    pack_id = models.CharField("规定包", max_length=64)
    year = models.PositiveSmallIntegerField("年度")
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        verbose_name="所属党组织",
    )
    org_path = models.CharField("所属组织路径", max_length=512)
    org_ext = models.CharField("所属组织编号", max_length=64, blank=True, default="")
    org_name = models.CharField("所属组织名称", max_length=200, blank=True, default="")
    key = models.CharField("标识", max_length=16)
    rule = models.CharField("规则", max_length=128)
    rule_kind = models.CharField("规则类型", max_length=32, blank=True, default="")
    hours = models.BooleanField("学时规则", default=False)
    severity = models.CharField("程度", max_length=16)
    period = models.CharField("期间", max_length=32, blank=True, default="")
    due = models.DateField("期限", null=True, blank=True)
    subject_type = models.CharField("对象类型", max_length=16)
    subject_ext = models.CharField("对象编号", max_length=64)
    subject_name = models.CharField("对象名称", max_length=200, blank=True, default="")
    subject_pk = models.IntegerField("对象主键", null=True, blank=True)
    required = models.JSONField("要求", null=True, blank=True)
    actual = models.JSONField("实际", null=True, blank=True)
    evidence = models.JSONField("依据记录", default=list, blank=True)
    source = models.JSONField("出处", default=dict, blank=True)
    message = models.TextField("说明", blank=True, default="")

    class Meta:
        db_table = "dj_stored_finding"
        verbose_name = "检查结果"
        verbose_name_plural = "检查结果"
        indexes = [
            models.Index(fields=["pack_id", "year", "org_path"], name="stored_finding_path"),
            models.Index(
                fields=["pack_id", "year", "severity", "org_path"], name="stored_finding_sev"
            ),
            models.Index(fields=["pack_id", "year", "key"], name="stored_finding_key"),
            models.Index(
                fields=["pack_id", "year", "rule_kind", "org_path"], name="stored_finding_kind"
            ),
            models.Index(
                fields=["pack_id", "year", "subject_type", "subject_pk"],
                name="stored_finding_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject_name} {self.period}"


class FindingTally(models.Model):
    """How many stored findings an organisation has, by severity and due month: written
    with its scope's findings, so a committee's counts, ranking and chart sum a few
    rows per organisation instead of every finding."""

    scope = models.ForeignKey(
        FindingScope, on_delete=models.CASCADE, related_name="tallies", verbose_name="范围"
    )
    pack_id = models.CharField("规定包", max_length=64)
    year = models.PositiveSmallIntegerField("年度")
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name="党组织"
    )
    org_path = models.CharField("组织路径", max_length=512)
    severity = models.CharField("程度", max_length=16)
    month = models.PositiveSmallIntegerField("期限月份", default=0)  # 0: not due in the year
    count = models.PositiveIntegerField("数量", default=0)

    class Meta:
        db_table = "dj_finding_tally"
        verbose_name = "检查结果统计"
        verbose_name_plural = "检查结果统计"
        indexes = [models.Index(fields=["pack_id", "year", "org_path"], name="finding_tally_path")]

    def __str__(self) -> str:
        return f"{self.org_path} {self.severity} {self.month}: {self.count}"


class StoredScheduleLine(models.Model):
    """One line of the engine's schedule (`policy.schedule.Item`), stored with its scope's
    findings: a committee's calendar, .ics, 工作日程 sheet and schedule API read these rows
    instead of evaluating the tree. A line carrying a finding links to it by `finding_key`
    (the `StoredFinding.key` of the same scope)."""

    scope = models.ForeignKey(
        FindingScope, on_delete=models.CASCADE, related_name="schedule_lines", verbose_name="范围"
    )
    pack_id = models.CharField("规定包", max_length=64)
    year = models.PositiveSmallIntegerField("年度")
    org_path = models.CharField("所属组织路径", max_length=512)
    org_ext = models.CharField("所属组织编号", max_length=64, blank=True, default="")
    org_name = models.CharField("所属组织名称", max_length=200, blank=True, default="")
    rule = models.CharField("规则", max_length=128)
    subject_type = models.CharField("对象类型", max_length=16)
    subject_ext = models.CharField("对象编号", max_length=64)
    subject_name = models.CharField("对象名称", max_length=200, blank=True, default="")
    period = models.CharField("期间", max_length=32, blank=True, default="")
    start = models.DateField("开始日")
    due = models.DateField("期限")
    status = models.CharField("状态", max_length=16)
    required = models.JSONField("要求", null=True, blank=True)
    actual = models.JSONField("实际", null=True, blank=True)
    evidence = models.JSONField("依据记录", default=list, blank=True)
    made_on = models.DateField("报送日", null=True, blank=True)
    finding_key = models.CharField("检查结果标识", max_length=16, blank=True, default="")

    class Meta:
        db_table = "dj_stored_schedule_line"
        verbose_name = "工作日程"
        verbose_name_plural = "工作日程"
        indexes = [
            models.Index(fields=["pack_id", "year", "org_path"], name="stored_schedule_path"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject_name} {self.period}"
