from django.contrib import admin

from dangjian.oversight.models import Assessment


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["year", "kind", "subject_org", "subject_person", "grade", "rank", "out_of"]
    list_filter = ["year", "kind", "grade"]
    raw_id_fields = ["subject_org", "subject_person"]
    list_select_related = ["subject_org", "subject_person"]
