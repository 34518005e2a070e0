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
