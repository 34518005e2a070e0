import uuid
from datetime import date as date_type

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
