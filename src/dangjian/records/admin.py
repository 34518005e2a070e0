from django.contrib import admin

from dangjian.core.admin_mixins import AuditedModelAdmin
from dangjian.records.models import Activity, Attendance, Filing, Training


class AttendanceInline(admin.TabularInline):
    model = Attendance
    raw_id_fields = ["person"]
    extra = 0


@admin.register(Activity)
class ActivityAdmin(AuditedModelAdmin):
    list_display = ["date", "kind", "title", "org", "hours"]
    list_filter = ["kind"]
    search_fields = ["title", "ext_id", "org__name"]
    date_hierarchy = "date"
    raw_id_fields = ["org", "speaker", "subject_org", "subject_person"]
    list_select_related = ["org"]
    inlines = [AttendanceInline]


@admin.register(Training)
class TrainingAdmin(AuditedModelAdmin):
    list_display = ["date", "person", "kind", "hours", "title"]
    list_filter = ["kind"]
    search_fields = ["person__name", "title", "ext_id"]
    raw_id_fields = ["person"]
    list_select_related = ["person"]


@admin.register(Filing)
class FilingAdmin(AuditedModelAdmin):
    list_display = ["date", "org", "kind", "period"]
    list_filter = ["kind"]
    raw_id_fields = ["org", "by"]
    list_select_related = ["org"]
