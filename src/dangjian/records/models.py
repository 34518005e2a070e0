from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from dangjian.people.models import Person


class ActivityKind(models.TextChoices):
    BRANCH_ASSEMBLY = "branch_assembly", "支部党员大会"
    COMMITTEE_MEETING = "committee_meeting", "支部委员会会议/机关党委会议"
    CELL_MEETING = "cell_meeting", "党小组会"
    PARTY_LESSON = "party_lesson", "党课"
    THEME_DAY = "theme_day", "主题党日"
    ORG_LIFE_MEETING = "org_life_meeting", "组织生活会"
    DEMOCRATIC_LIFE_MEETING = "democratic_life_meeting", "民主生活会"
    MEMBER_REVIEW = "member_review", "民主评议党员"
    TALK = "talk", "谈心谈话"
    STUDY_SESSION = "study_session", "集中学习"
    CENTRAL_GROUP_STUDY = "central_group_study", "理论学习中心组学习"
    REPORT_HEARING = "report_hearing", "听取机关党建工作汇报"
    PARTY_WORK_MEETING = "party_work_meeting", "专题研究党建工作的会议"
    IDEOLOGY_MEETING = "ideology_meeting", "专题研究意识形态工作"
    MEMBER_CONGRESS = "member_congress", "机关党员（干部）大会"
    INSPECTION = "inspection", "督导检查"
    WARNING_EDUCATION = "warning_education", "警示教育"
    FIELD_RESEARCH = "field_research", "蹲点调研"


class Activity(models.Model):
    ext_id = models.CharField("编号", max_length=64, unique=True)
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name="组织单位",
    )
    kind = models.CharField("类型", max_length=32, choices=ActivityKind.choices)
    date = models.DateField("日期")
    title = models.CharField("主题", max_length=300, blank=True, default="")
    hours = models.DecimalField(
        "时长（学时）", max_digits=6, decimal_places=2, null=True, blank=True
    )
    speaker = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lessons_given",
        verbose_name="主讲人",
    )
    subject_org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities_about",
        verbose_name="对象组织",
    )
    subject_person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities_about",
        verbose_name="对象人员",
    )
    attendees: "models.ManyToManyField[Person, Attendance]" = models.ManyToManyField(
        "people.Person",
        through="Attendance",
        related_name="activities_attended",
        verbose_name="参加人员",
    )
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_activity"
        verbose_name = "组织生活/活动"
        verbose_name_plural = "组织生活/活动"
        ordering = ["-date", "ext_id"]
        indexes = [
            models.Index(fields=["org", "kind", "date"]),
            models.Index(fields=["kind", "date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ActivityKind.values), name="activity_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=0),
                name="activity_hours_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(subject_org__isnull=True) | Q(subject_person__isnull=True),
                name="activity_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.title}".strip()


class Attendance(models.Model):
    # No single-column indexes: attendance_unique (activity, person) and the (person,
    # activity) index serve both lookups; two fewer indexes over millions of rows to load.
    activity = models.ForeignKey(
        Activity,
        on_delete=models.CASCADE,
        related_name="attendance",
        verbose_name="活动",
        db_index=False,
    )
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.CASCADE,
        related_name="attendance",
        verbose_name="党员",
        db_index=False,
    )

    class Meta:
        db_table = "dj_attendance"
        verbose_name = "参加记录"
        verbose_name_plural = "参加记录"
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="attendance_unique"),
        ]
        indexes = [models.Index(fields=["person", "activity"])]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.activity_id}"


class AbsenceReason(models.TextChoices):
    SICK = "sick", "病假"
    PERSONAL = "personal", "事假"
    OFFICIAL = "official", "公差"
    OTHER = "other", "其他"


class Absence(models.Model):
    """A member expected at a meeting (应到) who did not attend, with the reason.

    Kept apart from `Attendance`, whose every row means "was there" (the rule
    engine and every page count it so). A make-up (补学) recorded later — its date
    and how it was done — counts as attending for the member-level rules
    (`person_quota` measures `attended` and `participated`), see docs/rule-engine.md.
    """

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="absences", verbose_name="活动"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="absences", verbose_name="党员"
    )
    reason = models.CharField("缺席原因", max_length=16, choices=AbsenceReason.choices)
    note = models.CharField("说明", max_length=200, blank=True, default="")
    made_up_on = models.DateField("补学日期", null=True, blank=True)
    made_up_how = models.CharField("补学方式", max_length=200, blank=True, default="")

    class Meta:
        db_table = "dj_absence"
        verbose_name = "缺席记录"
        verbose_name_plural = "缺席记录"
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="absence_unique"),
            models.CheckConstraint(
                condition=Q(reason__in=AbsenceReason.values), name="absence_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(made_up_on__isnull=False) | Q(made_up_how=""),
                name="absence_makeup_has_date",
            ),
        ]
        indexes = [models.Index(fields=["person", "activity"])]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.activity_id} {self.get_reason_display()}"


class TrainingKind(models.TextChoices):
    GENERAL = "general", "集中学习培训"
    SECRETARY_INDUCTION = "secretary_induction", "新任书记培训"
    PARTY_WORKER = "party_worker", "党务干部培训"
    PARTY_SCHOOL = "party_school", "党校轮训"


class Training(models.Model):
    ext_id = models.CharField("编号", max_length=64, unique=True)
    # Looked up through the (person, date) index below.
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.CASCADE,
        related_name="trainings",
        verbose_name="党员",
        db_index=False,
    )
    date = models.DateField("日期")
    hours = models.DecimalField("学时", max_digits=6, decimal_places=2)
    kind = models.CharField("类型", max_length=32, choices=TrainingKind.choices)
    title = models.CharField("名称", max_length=300, blank=True, default="")
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_training"
        verbose_name = "学习培训"
        verbose_name_plural = "学习培训"
        ordering = ["-date", "ext_id"]
        indexes = [
            # Covering, on both databases: a year's hours per person (the quota rules' pass
            # over every member) come from the index alone, in the person's order, not from
            # two million table rows. Key columns, not `include` (which SQLite leaves out).
            models.Index(fields=["person", "date", "kind", "hours"], name="training_person_date")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TrainingKind.values), name="training_kind_valid"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="training_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.date} {self.hours}学时"


class FilingKind(models.TextChoices):
    DUTY_REPORT = "duty_report", "述职（述责述廉）"
    RESPONSIBILITY_LIST = "responsibility_list", "党建责任清单"
    POLITICAL_ECOLOGY_REPORT = "political_ecology_report", "政治生态情况报告"
    THOUGHT_REPORT = "thought_report", "思想动态情况报告"
    WORK_REPORT = "work_report", "向上级党组织报告工作"


class Filing(models.Model):
    """That a filing was made, when and for what period; never its content."""

    ext_id = models.CharField("编号", max_length=64, unique=True)
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="filings",
        verbose_name="报送组织",
    )
    kind = models.CharField("类型", max_length=32, choices=FilingKind.choices)
    date = models.DateField("报送日期")
    period = models.CharField("所属期间", max_length=16)
    by = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="filings",
        verbose_name="报送人",
    )
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_filing"
        verbose_name = "报告/清单/述职"
        verbose_name_plural = "报告/清单/述职"
        ordering = ["-date", "ext_id"]
        indexes = [models.Index(fields=["org", "kind", "period"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=FilingKind.values), name="filing_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.get_kind_display()} {self.period}"


class ActivityMinutes(models.Model):
    """The written minutes of a meeting (会议记录), kept apart from the dataset fields."""

    activity = models.OneToOneField(
        Activity, on_delete=models.CASCADE, related_name="minutes", verbose_name="活动"
    )
    text = models.TextField("会议记录", blank=True, default="")

    class Meta:
        db_table = "dj_activity_minutes"
        verbose_name = "会议记录"
        verbose_name_plural = "会议记录"

    def __str__(self) -> str:
        return f"{self.activity_id} 会议记录"


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    # Stored under a random name: the user's file name is kept in `name` only.
    import uuid

    ext = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
        instance.content_type, ""
    )
    return f"attachments/{instance.activity_id}/{uuid.uuid4().hex}{ext}"


class Attachment(models.Model):
    """A scan of the minutes or sign-in sheet (PDF, JPEG or PNG)."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="attachments", verbose_name="活动"
    )
    file = models.FileField("文件", upload_to=attachment_upload_to, max_length=300)
    name = models.CharField("文件名", max_length=255)
    content_type = models.CharField("类型", max_length=64)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="上传人",
    )

    class Meta:
        db_table = "dj_attachment"
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["activity_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
