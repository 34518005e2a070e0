import uuid
from datetime import date as date_type
from typing import Any

from django.db import models
from django.db.models import Q


class AssessmentKind(models.TextChoices):
    PARTY_BUILDING = "party_building", "党建工作考核"
    PERFORMANCE = "performance", "年度考核/效能考核"
    STAR_RATING = "star_rating", "星级评定"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    GOOD = "good", "良好/称职"
    FAIR = "fair", "一般/基本称职"
    POOR = "poor", "较差/不称职"


STAR_GRADES = ("1", "2", "3", "4", "5")


class Assessment(models.Model):
    """An annual assessment of an organisation or a person.

    `grade` holds a Grade value, or "1"–"5" for a star rating.
    """

    subject_org = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name="对象组织",
    )
    subject_person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name="对象人员",
    )
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("类型", max_length=32, choices=AssessmentKind.choices)
    grade = models.CharField("等次", max_length=16)
    rank = models.PositiveIntegerField("排名", null=True, blank=True)
    out_of = models.PositiveIntegerField("参评数", null=True, blank=True)
    extra = models.JSONField("扩展字段", default=dict, blank=True)

    class Meta:
        db_table = "dj_assessment"
        verbose_name = "考核评定"
        verbose_name_plural = "考核评定"
        ordering = ["-year", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(subject_org__isnull=False) & Q(subject_person__isnull=True))
                | (Q(subject_org__isnull=True) & Q(subject_person__isnull=False)),
                name="assessment_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AssessmentKind.values), name="assessment_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind="star_rating") & Q(grade__in=STAR_GRADES))
                | (~Q(kind="star_rating") & Q(grade__in=Grade.values)),
                name="assessment_grade_valid",
            ),
            models.UniqueConstraint(
                fields=["subject_org", "year", "kind"],
                condition=Q(subject_org__isnull=False),
                name="assessment_unique_org_year_kind",
            ),
            models.UniqueConstraint(
                fields=["subject_person", "year", "kind"],
                condition=Q(subject_person__isnull=False),
                name="assessment_unique_person_year_kind",
            ),
        ]

    def __str__(self) -> str:
        subject = self.subject_org or self.subject_person
        return f"{subject} {self.year} {self.get_kind_display()} {self.grade}"


class RectificationStatus(models.TextChoices):
    FOUND = "found", "待交办"
    ASSIGNED = "assigned", "待核实"
    VERIFIED = "verified", "整改中"
    RECTIFIED = "rectified", "待回访"
    REVISITED = "revisited", "待销号"
    CLOSED = "closed", "已销号"


# The loop's steps in order: (step, date field, status once done).
RECTIFICATION_STEPS: tuple[tuple[str, str, str], ...] = (
    ("assign", "assigned_on", RectificationStatus.ASSIGNED),
    ("verify", "verified_on", RectificationStatus.VERIFIED),
    ("rectify", "rectified_on", RectificationStatus.RECTIFIED),
    ("revisit", "revisit_on", RectificationStatus.REVISITED),
    ("close", "closed_on", RectificationStatus.CLOSED),
)
STEP_LABELS = {
    "assign": "交办",
    "verify": "核实",
    "rectify": "整改完成",
    "revisit": "回访反馈",
    "close": "销号",
}


def _after(later: str, earlier: str) -> Q:
    """`later` is empty, or set on or after a set `earlier` (steps never go backwards)."""
    return Q(**{f"{later}__isnull": True}) | (
        Q(**{f"{earlier}__isnull": False}) & Q(**{f"{later}__gte": models.F(earlier)})
    )


def new_rectification_ext_id() -> str:
    """An external id for a rectification recorded here (imported ones keep the file's id)."""
    return f"R-{uuid.uuid4().hex[:12]}"


class Rectification(models.Model):
    """One organisational problem followed through 发现问题 → 交办核实 → 问责整改 → 回访反馈.

    Holds dates only; the status is derived from which dates are set. The problem is
    described at the level of the organisation's duties, never a person's opinions.
    """

    ext_id = models.CharField("编号", max_length=64, unique=True, default=new_rectification_ext_id)
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="rectifications",
        verbose_name="整改组织",
    )
    title = models.CharField("问题", max_length=200)
    source_rule = models.CharField("来源规则", max_length=120, blank=True)
    source_period = models.CharField("来源期间", max_length=40, blank=True)
    source_subject = models.CharField("来源对象", max_length=200, blank=True)
    source_activity = models.ForeignKey(
        "records.Activity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifications",
        verbose_name="来源检查活动",
    )
    found_on = models.DateField("发现日期")
    assigned_on = models.DateField("交办日期", null=True, blank=True)
    verified_on = models.DateField("核实日期", null=True, blank=True)
    due_on = models.DateField("整改期限", null=True, blank=True)
    rectified_on = models.DateField("整改完成日期", null=True, blank=True)
    accountability = models.BooleanField("已问责", default=False)
    accountability_on = models.DateField("问责日期", null=True, blank=True)
    revisit_on = models.DateField("回访反馈日期", null=True, blank=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    # db_default: the importer writes rows with raw INSERTs naming only the format's columns
    evidence = models.TextField("整改情况及佐证", blank=True, default="", db_default="")
    extra = models.JSONField("扩展字段", default=dict, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        db_table = "dj_rectification"
        verbose_name = "问题整改"
        verbose_name_plural = "问题整改"
        ordering = ["-found_on", "-pk"]
        indexes = [models.Index(fields=["org", "closed_on"], name="rect_org_closed")]
        constraints = [
            models.CheckConstraint(
                condition=_after("assigned_on", "found_on"), name="rect_assigned_after_found"
            ),
            models.CheckConstraint(
                condition=_after("verified_on", "assigned_on"), name="rect_verified_after_assigned"
            ),
            models.CheckConstraint(
                condition=_after("rectified_on", "verified_on"),
                name="rect_rectified_after_verified",
            ),
            models.CheckConstraint(
                condition=_after("revisit_on", "rectified_on"), name="rect_revisit_after_rectified"
            ),
            models.CheckConstraint(
                condition=_after("closed_on", "revisit_on"), name="rect_closed_after_revisit"
            ),
            models.CheckConstraint(
                condition=_after("due_on", "found_on"), name="rect_due_after_found"
            ),
            models.CheckConstraint(
                condition=Q(accountability_on__isnull=True) | Q(accountability=True),
                name="rect_accountability_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.found_on} {self.title}"

    @property
    def status(self) -> str:
        current: str = RectificationStatus.FOUND.value
        for _step, field, done in RECTIFICATION_STEPS:
            if getattr(self, field) is None:
                break
            current = done
        return str(current)

    @property
    def status_label(self) -> str:
        return RectificationStatus(self.status).label

    @property
    def next_step(self) -> str | None:
        for step, field, _done in RECTIFICATION_STEPS:
            if getattr(self, field) is None:
                return step
        return None

    @property
    def last_date(self) -> date_type:
        last = self.found_on
        for _step, field, _done in RECTIFICATION_STEPS:
            value = getattr(self, field)
            if value is None:
                break
            last = value
        return last


class AssessmentAdjustment(models.Model):
    """A manual change of an organisation's computed 党建工作考核 score, with its reason.

    Recorded by the assessing body (`assessor`: the organisation whose ranking it is on),
    never by the organisation assessed; shown on the score's breakdown with who and why.
    """

    subject = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="assessment_adjustments",
        verbose_name="被考核组织",
    )
    assessor = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="考核组织",
    )
    year = models.PositiveSmallIntegerField("年度")
    points = models.DecimalField("加减分", max_digits=6, decimal_places=2)
    reason = models.CharField("理由", max_length=300)
    recorded_by = models.CharField("登记人", max_length=150, blank=True, default="")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        db_table = "dj_assessment_adjustment"
        verbose_name = "考核加减分"
        verbose_name_plural = "考核加减分"
        ordering = ["year", "subject", "pk"]
        indexes = [models.Index(fields=["year", "subject"], name="assess_adj_year_subject")]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="assess_adj_points_nonzero"),
            models.CheckConstraint(condition=~Q(reason=""), name="assess_adj_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.year} {self.points:+}"


class DutyReviewRole(models.TextChoices):
    BRANCH_SECRETARY = "branch_secretary", "党支部（党总支）书记"
    ORGAN_SECRETARY = "organ_secretary", "机关党委书记"
    PARTY_GROUP_SECRETARY = "party_group_secretary", "党组（党委）书记"


class DutyReview(models.Model):
    """述职评议: that an organisation's secretary reported on the year's party-building
    duties to a reviewing body, when, and the rating given. No content of what was said."""

    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="duty_reviews",
        verbose_name="述职组织",
    )
    reporter = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="duty_reviews",
        verbose_name="述职人",
    )
    role = models.CharField("述职人身份", max_length=32, choices=DutyReviewRole.choices)
    year = models.PositiveSmallIntegerField("述职年度")
    held_on = models.DateField("述职日期")
    reviewed_by = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="duty_reviews_held",
        verbose_name="评议组织",
    )
    score = models.DecimalField("评议得分", max_digits=5, decimal_places=2, null=True, blank=True)
    grade = models.CharField("评议等次", max_length=16, choices=Grade.choices, blank=True)
    recorded_by = models.CharField("登记人", max_length=150, blank=True, default="")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        db_table = "dj_duty_review"
        verbose_name = "述职评议"
        verbose_name_plural = "述职评议"
        ordering = ["-year", "-held_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "year", "reviewed_by"], name="duty_review_unique_org_year_body"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="duty_review_score_range",
            ),
            models.CheckConstraint(
                condition=Q(grade="") | Q(grade__in=Grade.values), name="duty_review_grade_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.year} 述职评议"


# ---------------------------------------------------------------- inspections (督查)

# Organisations that inspect those under them: 机关工委, 党组（党委）, 机关党委 (and 党总支).
INSPECTING_TYPES = ("work_committee", "party_group", "organ_committee", "general_branch")


def new_inspection_ext_id() -> str:
    return f"I-{uuid.uuid4().hex[:12]}"


class Inspection(models.Model):
    """A quarter's planned inspection (督查) by a committee of organisations under it.

    Once carried out, `activity` is its 督导检查 activity: that activity is the one record
    the rules (org_frequency over `inspection`) and dangjian/1 count, so an inspection is
    never counted twice. The problems found are rectifications whose `source_activity` is
    that activity, each in the inspected organisation.
    """

    ext_id = models.CharField("编号", max_length=64, unique=True, default=new_inspection_ext_id)
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="inspections_held",
        verbose_name="督查组织",
    )
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("季度")
    title = models.CharField("督查事项", max_length=200)
    targets: "models.ManyToManyField[Any, Any]" = models.ManyToManyField(
        "orgs.Organization", related_name="inspections_received", verbose_name="被督查组织"
    )
    inspectors: "models.ManyToManyField[Any, Any]" = models.ManyToManyField(
        "people.Person", blank=True, related_name="inspections_done", verbose_name="督查人员"
    )
    inspector_names = models.CharField("其他督查人员", max_length=200, blank=True, default="")
    activity = models.OneToOneField(
        "records.Activity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspection",
        verbose_name="督导检查活动",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        db_table = "dj_inspection"
        verbose_name = "督查"
        verbose_name_plural = "督查"
        ordering = ["-year", "-quarter", "-pk"]
        indexes = [models.Index(fields=["org", "year", "quarter"], name="inspection_org_quarter")]
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="inspection_quarter_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.year}年第{self.quarter}季度 {self.title}"

    @property
    def period(self) -> str:
        """The quarter's key as the rule engine names it (`policy.periods`)."""
        return f"{self.year}-Q{self.quarter}"

    @property
    def held_on(self) -> date_type | None:
        return self.activity.date if self.activity_id and self.activity else None


# ---------------------------------------------------------------- responsibility lists

# The three levels of 三级责任清单: 党组（党委）, 机关党委（党总支）, 党支部.
RESPONSIBILITY_TYPES = ("party_group", "organ_committee", "general_branch", "branch")


class ResponsibilityList(models.Model):
    """An organisation's 党建责任清单 for a year. Filing it records the year's
    `responsibility_list` Filing (`filing`), which is what the rules count."""

    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.CASCADE,
        related_name="responsibility_lists",
        verbose_name="组织",
    )
    year = models.PositiveSmallIntegerField("年度")
    filing = models.OneToOneField(
        "records.Filing",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responsibility_list",
        verbose_name="报送记录",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        db_table = "dj_responsibility_list"
        verbose_name = "责任清单"
        verbose_name_plural = "责任清单"
        ordering = ["-year", "org__path"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="responsibility_list_org_year"),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.year}年责任清单"


class ResponsibilityItem(models.Model):
    """One duty of a list: what, who is responsible, by when, and the rules that check it."""

    checklist = models.ForeignKey(
        ResponsibilityList, on_delete=models.CASCADE, related_name="items", verbose_name="清单"
    )
    position = models.PositiveIntegerField("序号", default=0)
    task = models.CharField("责任事项", max_length=300)
    responsible = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responsibility_items",
        verbose_name="责任人",
    )
    responsible_name = models.CharField("责任人（姓名/职务）", max_length=100, blank=True)
    due_on = models.DateField("完成时限", null=True, blank=True)
    rules = models.JSONField("对应规则", default=list, blank=True)

    class Meta:
        db_table = "dj_responsibility_item"
        verbose_name = "责任事项"
        verbose_name_plural = "责任事项"
        ordering = ["checklist", "position", "pk"]

    def __str__(self) -> str:
        return self.task
