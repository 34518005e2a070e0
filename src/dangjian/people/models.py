from django.db import models
from django.db.models import F, Q


class PersonStatus(models.TextChoices):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"
    CANDIDATE = "candidate", "发展对象"
    ACTIVIST = "activist", "入党积极分子"
    APPLICANT = "applicant", "入党申请人"


MEMBER_STATUSES = (PersonStatus.FULL, PersonStatus.PROBATIONARY)


class PartyWorker(models.TextChoices):
    FULL_TIME = "full_time", "专职党务工作人员"
    PART_TIME = "part_time", "兼职党务工作人员"


class Employment(models.TextChoices):
    IN_SERVICE = "in_service", "在职"
    RETIRED = "retired", "离退休"
    FARMER = "farmer", "农民"
    STUDENT = "student", "学生"
    UNEMPLOYED = "unemployed", "下岗失业/依靠抚恤救济"
    SELF_EMPLOYED = "self_employed", "个体"


class LeftReason(models.TextChoices):
    TRANSFERRED_OUT = "transferred_out", "组织关系转出本系统"
    DECEASED = "deceased", "去世"
    EXPELLED = "expelled", "开除党籍"
    REMOVED = "removed", "除名"
    QUIT = "quit", "退党（出党）"
    OTHER = "other", "其他"


# A person's record fields as `dangjian/1` names them (the id aside), in contract order:
# the importer, the services and the API serializer share this one list.
PERSON_RECORD_FIELDS = [
    "name",
    "org",
    "status",
    "applied_on",
    "activist_on",
    "candidate_on",
    "joined_on",
    "full_on",
    "birth_date",
    "leading_cadre",
    "party_worker",
    "employment",
    "monthly_income",
    "probation_extended_to",
    "mobile",
    "hosted_by",
    "left_on",
    "left_reason",
]


class Person(models.Model):
    ext_id = models.CharField("编号", max_length=64, unique=True)
    name = models.CharField("姓名", max_length=100)
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="people",
        verbose_name="所在党组织",
    )
    status = models.CharField("身份", max_length=16, choices=PersonStatus.choices)
    applied_on = models.DateField("递交入党申请日期", null=True, blank=True)
    activist_on = models.DateField("确定为积极分子日期", null=True, blank=True)
    candidate_on = models.DateField("确定为发展对象日期", null=True, blank=True)
    joined_on = models.DateField("入党日期", null=True, blank=True)
    full_on = models.DateField("转正日期", null=True, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    leading_cadre = models.BooleanField("党员领导干部", default=False)
    party_worker = models.CharField(
        "党务工作人员", max_length=16, choices=PartyWorker.choices, null=True, blank=True
    )
    employment = models.CharField(
        "就业状况", max_length=16, choices=Employment.choices, default=Employment.IN_SERVICE
    )
    monthly_income = models.DecimalField(
        "月收入（元，税后）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    probation_extended_to = models.DateField("预备期延长至", null=True, blank=True)
    mobile = models.BooleanField("流动党员", default=False)
    hosted_by = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hosted_people",
        verbose_name="流入地党组织",
    )
    left_on = models.DateField("离开日期", null=True, blank=True)
    left_reason = models.CharField(
        "离开原因", max_length=16, choices=LeftReason.choices, blank=True, default=""
    )
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_person"
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["org_id", "ext_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PersonStatus.values), name="person_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(party_worker__isnull=True) | Q(party_worker__in=PartyWorker.values),
                name="person_party_worker_valid",
            ),
            models.CheckConstraint(
                condition=Q(employment__in=Employment.values), name="person_employment_valid"
            ),
            models.CheckConstraint(
                condition=Q(monthly_income__isnull=True) | Q(monthly_income__gte=0),
                name="person_income_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(full_on__isnull=True)
                | Q(joined_on__isnull=True)
                | Q(full_on__gte=F("joined_on")),
                name="person_full_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_member(self) -> bool:
        return self.status in MEMBER_STATUSES and self.left_on is None


class Transfer(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="transfers", verbose_name="党员"
    )
    from_org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_out",
        verbose_name="转出组织",
    )
    to_org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
        verbose_name="转入组织",
    )
    date = models.DateField("转接日期")
    letter = models.CharField("介绍信编号", max_length=64, blank=True, default="")
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_transfer"
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["person_id", "date"]
        constraints = [
            models.UniqueConstraint(fields=["person", "date"], name="transfer_unique_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.date}"


class TransferStatus(models.TextChoices):
    PENDING = "pending", "待接收"
    ACCEPTED = "accepted", "已接收"
    CANCELLED = "cancelled", "已撤回"
    REFUSED = "refused", "已退回"


class TransferRequest(models.Model):
    """A transfer within the system the sending side issued: nothing moves until the
    receiving side accepts it; accepting writes the `Transfer` and moves the person."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="transfer_requests", verbose_name="党员"
    )
    from_org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="transfer_requests_out",
        verbose_name="转出组织",
    )
    to_org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="transfer_requests_in",
        verbose_name="转入组织",
    )
    date = models.DateField("转接日期")
    letter = models.CharField("介绍信编号", max_length=64, blank=True, default="")
    status = models.CharField(
        "状态", max_length=16, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    issued_at = models.DateTimeField("开具时间", auto_now_add=True)
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    transfer = models.OneToOneField(
        Transfer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request",
        verbose_name="转接记录",
    )

    class Meta:
        db_table = "dj_transfer_request"
        verbose_name = "组织关系转接（待接收）"
        verbose_name_plural = "组织关系转接（待接收）"
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="pending"),
                name="transfer_request_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TransferStatus.values), name="transfer_request_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.date} {self.get_status_display()}"


class Due(models.Model):
    # Looked up through due_unique_per_month (person, month).
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="dues", verbose_name="党员", db_index=False
    )
    month = models.DateField("所属月份")  # first day of the month paid for
    amount = models.DecimalField("金额（元）", max_digits=10, decimal_places=2)
    paid_on = models.DateField("交纳日期")
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_due"
        verbose_name = "党费"
        verbose_name_plural = "党费"
        ordering = ["person_id", "month"]
        constraints = [
            # On PostgreSQL its index also carries amount and paid_on (migration 0006): a
            # year's dues per person (the dues rules) come from the index alone. Not said
            # here: Django leaves out a unique constraint with `include` where covering
            # indexes are unknown (SQLite), and the dues would lose their uniqueness.
            models.UniqueConstraint(fields=["person", "month"], name="due_unique_per_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="due_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.month:%Y-%m}"


class AdmissionStepKind(models.TextChoices):
    """The steps of 发展党员, in the order they must be taken."""

    APPLIED = "applied", "递交入党申请"
    TALKED = "talked", "派人谈话"
    ACTIVIST = "activist", "确定为入党积极分子"
    CANDIDATE = "candidate", "确定为发展对象"
    ADMITTED = "admitted", "支部大会接收为预备党员"
    EXTENDED = "extended", "延长预备期"
    CONVERTED = "converted", "转为正式党员"


class AdmissionStep(models.Model):
    """One dated step of a person's admission, with its evidence (the meeting, the talk,
    the document) and who recorded it; the person's status and dates follow it."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="admission_steps", verbose_name="人员"
    )
    step = models.CharField("步骤", max_length=16, choices=AdmissionStepKind.choices)
    date = models.DateField("日期")
    evidence = models.CharField("依据材料", max_length=200)
    until = models.DateField("预备期延长至", null=True, blank=True)
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_admission_step"
        verbose_name = "发展党员步骤"
        verbose_name_plural = "发展党员步骤"
        ordering = ["person_id", "date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "step"], name="admission_step_once"),
            models.CheckConstraint(
                condition=Q(step__in=AdmissionStepKind.values), name="admission_step_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_step_display()} {self.date}"


class ReviewOutcome(models.TextChoices):
    """民主评议党员: the outcome category only (never what anyone said)."""

    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    BASICALLY_QUALIFIED = "basically_qualified", "基本合格"
    UNQUALIFIED = "unqualified", "不合格"


class ReviewDecision(models.TextChoices):
    """What was decided about a member found 不合格, after 限期改正 or at once."""

    CORRECTED = "corrected", "限期改正后合格"
    PERSUADED_TO_QUIT = "persuaded_to_quit", "劝其退党"
    REMOVED = "removed", "除名"
    OTHER = "other", "其他处置"


class MemberReview(models.Model):
    """One member's outcome of a year's 民主评议党员, and for 不合格 its handling:
    限期改正 until `correction_due`, then the `decision` on `decided_on`."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="reviews", verbose_name="党员"
    )
    year = models.PositiveSmallIntegerField("年度")
    outcome = models.CharField("评议结果", max_length=24, choices=ReviewOutcome.choices)
    reviewed_on = models.DateField("评议日期")
    correction_due = models.DateField("限期改正期限", null=True, blank=True)
    decision = models.CharField(
        "处置结果", max_length=24, choices=ReviewDecision.choices, blank=True, default=""
    )
    decided_on = models.DateField("处置日期", null=True, blank=True)
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_member_review"
        verbose_name = "民主评议党员结果"
        verbose_name_plural = "民主评议党员结果"
        ordering = ["person_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="member_review_once_a_year"),
            models.CheckConstraint(
                condition=Q(outcome__in=ReviewOutcome.values), name="member_review_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(decision="") | Q(decision__in=ReviewDecision.values),
                name="member_review_decision_valid",
            ),
            # Handling belongs to 不合格 only.
            models.CheckConstraint(
                condition=Q(outcome="unqualified")
                | (Q(correction_due__isnull=True) & Q(decision="") & Q(decided_on__isnull=True)),
                name="member_review_handling_only_unqualified",
            ),
            models.CheckConstraint(
                condition=Q(correction_due__isnull=True) | Q(correction_due__gte=F("reviewed_on")),
                name="member_review_due_after_review",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("reviewed_on")),
                name="member_review_decided_after_review",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.year} {self.get_outcome_display()}"


class CommunityRegistration(models.Model):
    """在职党员到社区报到: the community a member registered with, from `registered_on`
    (until `ended_on`, when they registered elsewhere or stopped)."""

    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        related_name="community_registrations",
        verbose_name="党员",
    )
    community = models.CharField("报到社区", max_length=200)
    registered_on = models.DateField("报到日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_community_registration"
        verbose_name = "到社区报到"
        verbose_name_plural = "到社区报到"
        ordering = ["person_id", "registered_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "registered_on"], name="community_registration_once_a_day"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("registered_on")),
                name="community_registration_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.community} {self.registered_on}"


class CommunityService(models.Model):
    """One day's community service (下沉社区/志愿服务) by a member: the date and hours."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="community_services", verbose_name="党员"
    )
    date = models.DateField("服务日期")
    hours = models.DecimalField("服务时长（小时）", max_digits=5, decimal_places=2)
    community = models.CharField("服务社区", max_length=200, blank=True, default="")
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_community_service"
        verbose_name = "社区服务"
        verbose_name_plural = "社区服务"
        ordering = ["person_id", "date"]
        constraints = [
            models.UniqueConstraint(fields=["person", "date"], name="community_service_once_a_day"),
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24), name="community_service_hours_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.date} {self.hours}"
