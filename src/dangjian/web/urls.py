from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from dangjian.web import views_rectification as rectification
from dangjian.web.views import calendar, findings, home, orgs, people, records, rules

app_name = "web"
urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home.home, name="home"),
    path("orgs/", orgs.org_list, name="org_list"),
    path("orgs/<int:pk>/", orgs.org_overview, name="org"),
    path("orgs/<int:pk>/pack/", orgs.org_pack, name="org_pack"),
    path("orgs/<int:pk>/ledger/", orgs.org_ledger, name="org_ledger"),
    path("orgs/<int:pk>/hours/", orgs.org_hours, name="org_hours"),
    path("orgs/<int:pk>/filings/", records.org_filings, name="org_filings"),
    path("orgs/<int:pk>/findings/", findings.org_findings, name="org_findings"),
    path("orgs/<int:pk>/calendar/", calendar.org_calendar, name="org_calendar"),
    path("orgs/<int:pk>/calendar.ics", calendar.org_calendar_ics, name="org_calendar_ics"),
    path("orgs/<int:org_pk>/activities/new/", records.activity_new, name="activity_new"),
    path("orgs/<int:org_pk>/trainings/new/", records.training_new, name="training_new"),
    path("orgs/<int:org_pk>/filings/new/", records.filing_new, name="filing_new"),
    path("activities/<int:pk>/", records.activity_detail, name="activity"),
    path("activities/<int:pk>/edit/", records.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/delete/", records.activity_delete, name="activity_delete"),
    path(
        "activities/<int:pk>/absences/<int:absence_pk>/makeup/",
        records.absence_makeup,
        name="absence_makeup",
    ),
    path("attachments/<int:pk>/", records.attachment_download, name="attachment"),
    path("people/<int:pk>/", people.person_detail, name="person"),
    path("me/", people.me, name="me"),
    path("findings/", findings.findings_list, name="findings"),
    path("findings/<int:org_pk>/<int:year>/<str:key>/", findings.finding_detail, name="finding"),
    path("rules/", rules.rule_book, name="rules"),
    path("rules/<str:pack_id>/", rules.rule_pack, name="rule_pack"),
    path("orgs/<int:pk>/rectifications/", rectification.rectification_list, name="rectifications"),
    path(
        "orgs/<int:org_pk>/rectifications/new/",
        rectification.rectification_new,
        name="rectification_new",
    ),
    path("rectifications/<int:pk>/", rectification.rectification_detail, name="rectification"),
]
