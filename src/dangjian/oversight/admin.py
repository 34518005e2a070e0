from django.contrib import admin

from dangjian.core.admin_mixins import AuditedModelAdmin
from dangjian.oversight.models import Assessment, Inspection, Rectification, ResponsibilityList


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
