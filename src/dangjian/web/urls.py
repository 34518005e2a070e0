from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path, reverse_lazy

from dangjian.web.views import (
    audit,
    books,
    calendar,
    compare,
    dues,
    findings,
    home,
    keeping,
    orgs,
    people,
    pipeline,
    records,
    rectification,
    rules,
)

app_name = "web"
urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="registration/password_change.html",
            success_url=reverse_lazy("web:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_done.html"
        ),
        name="password_change_done",
    ),
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
    path("orgs/<int:pk>/compare/", compare.org_compare, name="org_compare"),
    path("orgs/<int:pk>/calendar/feed/", calendar.org_calendar_feed, name="org_calendar_feed"),
    path("calendar/feed/<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
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
    path("me/activities/<int:pk>/", people.my_activity, name="my_activity"),
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
    # Keeping records: members, posts and elections, transfers, the organisation tree.
    path("orgs/tree/", keeping.org_tree, name="org_tree"),
    path("orgs/<int:pk>/manage/", keeping.org_manage, name="org_manage"),
    path("orgs/<int:pk>/members/", keeping.members, name="members"),
    path("orgs/<int:org_pk>/members/new/", keeping.member_new, name="member_new"),
    path("people/<int:pk>/edit/", keeping.person_edit, name="person_edit"),
    path("people/<int:pk>/leave/", keeping.person_leave, name="person_leave"),
    path("orgs/<int:pk>/leadership/", keeping.leadership, name="leadership"),
    path("positions/<int:pk>/end/", keeping.position_end, name="position_end"),
    path("orgs/<int:org_pk>/election/", keeping.election_new, name="election_new"),
    path("orgs/<int:pk>/transfers/", keeping.transfers, name="transfers"),
    path("transfers/<int:pk>/accept/", keeping.transfer_accept, name="transfer_accept"),
    path("transfers/<int:pk>/cancel/", keeping.transfer_cancel, name="transfer_cancel"),
    path("audit/", audit.audit_log, name="audit_log"),
    # Members' lifecycle: dues, the admission pipeline.
    path("orgs/<int:pk>/dues/", dues.dues_ledger, name="dues_ledger"),
    path("orgs/<int:pk>/dues.xlsx", dues.dues_export, name="dues_export"),
    path("orgs/<int:pk>/pipeline/", pipeline.pipeline, name="pipeline"),
    # Printable books for inspections and the annual statistics (docs/web.md).
    path("orgs/<int:pk>/books/", books.org_books, name="org_books"),
    path(
        "orgs/<int:pk>/books/record-book.docx",
        books.record_book_file,
        {"fmt": "docx"},
        name="record_book_docx",
    ),
    path(
        "orgs/<int:pk>/books/record-book.pdf",
        books.record_book_file,
        {"fmt": "pdf"},
        name="record_book_pdf",
    ),
    path(
        "orgs/<int:pk>/books/ledger.docx",
        books.ledger_book_file,
        {"fmt": "docx"},
        name="ledger_book_docx",
    ),
    path(
        "orgs/<int:pk>/books/ledger.pdf", books.ledger_book_file, {"fmt": "pdf"}, name="ledger_book_pdf"
    ),
    path("orgs/<int:pk>/statistics/", books.org_statistics, name="org_statistics"),
    path("orgs/<int:pk>/statistics.xlsx", books.statistics_export, name="statistics_export"),
]
