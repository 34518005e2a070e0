from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from dangjian.api import assessment, books, dues, notices, oversight, reviews, views

app_name = "api"

router = SimpleRouter()
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("people", views.PersonViewSet, basename="person")
router.register("positions", views.PositionViewSet, basename="position")
router.register("terms", views.TermViewSet, basename="term")
router.register("transfers", views.TransferViewSet, basename="transfer")
router.register("activities", views.ActivityViewSet, basename="activity")
router.register("trainings", views.TrainingViewSet, basename="training")
router.register("filings", views.FilingViewSet, basename="filing")
router.register("inspections", oversight.InspectionViewSet, basename="inspection")
router.register(
    "responsibility-lists", oversight.ResponsibilityListViewSet, basename="responsibility-list"
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/auth/token/", views.TokenView.as_view(), name="token"),
    path("v1/findings/", views.FindingsView.as_view(), name="findings"),
    path("v1/checks/", views.CheckRunView.as_view(), name="checks"),
    path("v1/schedule/", views.ScheduleView.as_view(), name="schedule"),
    path("v1/dues/", dues.DuesView.as_view(), name="dues"),
    path("v1/record-book/", books.RecordBookView.as_view(), name="record-book"),
    path("v1/ledger-book/", books.LedgerBookView.as_view(), name="ledger-book"),
    path("v1/statistics/", books.StatisticsView.as_view(), name="statistics"),
    path("v1/notices/", notices.NoticeListView.as_view(), name="notice-list"),
    path("v1/notices/<int:pk>/", notices.NoticeDetailView.as_view(), name="notice-detail"),
    path(
        "v1/notices/<int:pk>/receipts/",
        notices.NoticeReceiptsView.as_view(),
        name="notice-receipts",
    ),
    path("v1/disclosures/", notices.DisclosureListView.as_view(), name="disclosure-list"),
    path("v1/assessment/", assessment.AssessmentView.as_view(), name="assessment"),
    path(
        "v1/assessment/breakdown/",
        assessment.AssessmentBreakdownView.as_view(),
        name="assessment-breakdown",
    ),
    path(
        "v1/assessment/adjustments/",
        assessment.AssessmentAdjustView.as_view(),
        name="assessment-adjust",
    ),
    path("v1/stars/", assessment.StarsView.as_view(), name="stars"),
    path("v1/duty-reviews/", assessment.DutyReviewsView.as_view(), name="duty-reviews"),
    path("v1/reviews/", reviews.ReviewsView.as_view(), name="reviews"),
    path(
        "v1/reviews/<str:person>/<int:year>/",
        reviews.ReviewDetailView.as_view(),
        name="review-detail",
    ),
    path("v1/community/", reviews.CommunityView.as_view(), name="community"),
    path(
        "v1/community/registrations/",
        reviews.RegistrationView.as_view(),
        name="community-registrations",
    ),
    path("v1/community/services/", reviews.ServiceView.as_view(), name="community-services"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
    path("docs/assets/<str:name>", views.docs_asset, name="docs-asset"),
]
