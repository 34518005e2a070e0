from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import defaults


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


# The API answers in JSON even where no API view matched (an id of the wrong shape).
def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": "未找到。"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": "服务器内部错误，请稍后再试。"}, status=500)
    return defaults.server_error(request)


handler404 = not_found
handler500 = server_error

admin.site.site_header = "机关党建管理后台"
admin.site.site_title = "机关党建"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("dangjian.api.urls")),
    path("excel/", include("dangjian.spreadsheets.urls")),
    path("", include("dangjian.web.urls")),
]
