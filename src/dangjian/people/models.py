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
