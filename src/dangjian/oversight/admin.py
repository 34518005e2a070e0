from django.contrib import admin

from dangjian.core.admin_mixins import AuditedModelAdmin
from dangjian.oversight.models import (
    Assessment,
    AssessmentAdjustment,
    DutyReview,
    Inspection,
    Rectification,
    ResponsibilityList,
)


@admin.register(Assessment)
class AssessmentAdmin(AuditedModelAdmin):
    list_display = ["year", "kind", "subject_org", "subject_person", "grade", "rank", "out_of"]
    list_filter = ["year", "kind", "grade"]
    raw_id_fields = ["subject_org", "subject_person"]
    list_select_related = ["subject_org", "subject_person"]


@admin.register(Rectification)
class RectificationAdmin(AuditedModelAdmin):
    list_display = [
        "org",
        "title",
        "found_on",
        "assigned_on",
        "due_on",
        "rectified_on",
        "closed_on",
    ]
    list_filter = ["accountability"]
    search_fields = ["title", "source_rule"]
    raw_id_fields = ["org", "source_activity"]
    list_select_related = ["org"]
    date_hierarchy = "found_on"


@admin.register(AssessmentAdjustment)
class AssessmentAdjustmentAdmin(AuditedModelAdmin):
    list_display = ["year", "subject", "assessor", "points", "reason", "recorded_by", "created_at"]
    list_filter = ["year"]
    raw_id_fields = ["subject", "assessor"]
    list_select_related = ["subject", "assessor"]


@admin.register(DutyReview)
class DutyReviewAdmin(AuditedModelAdmin):
    list_display = ["year", "org", "reporter", "role", "held_on", "reviewed_by", "score", "grade"]
    list_filter = ["year", "role", "grade"]
    raw_id_fields = ["org", "reporter", "reviewed_by"]
    list_select_related = ["org", "reporter", "reviewed_by"]


@admin.register(Inspection)
class InspectionAdmin(AuditedModelAdmin):
    list_display = ["org", "year", "quarter", "title", "activity"]
    list_filter = ["year", "quarter"]
    search_fields = ["title", "ext_id"]
    raw_id_fields = ["org", "targets", "inspectors", "activity"]
    list_select_related = ["org", "activity"]


@admin.register(ResponsibilityList)
class ResponsibilityListAdmin(AuditedModelAdmin):
    list_display = ["org", "year", "filing"]
    list_filter = ["year"]
    raw_id_fields = ["org", "filing"]
    list_select_related = ["org", "filing"]
