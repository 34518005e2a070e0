from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import defaults

admin.site.site_header = "机关党建管理后台"
admin.site.site_title = "机关党建"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("dangjian.api.urls")),
    path("excel/", include("dangjian.spreadsheets.urls")),
    path("", include("dangjian.web.urls")),
]


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The Chinese 404 page; under /api/ the API's JSON shape (its schema documents JSON)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "未找到。"}, status=404)
    return defaults.page_not_found(request, exception)


handler404 = not_found
