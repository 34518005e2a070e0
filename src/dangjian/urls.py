from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "机关党建管理后台"
admin.site.site_title = "机关党建"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("dangjian.api.urls")),
    path("excel/", include("dangjian.spreadsheets.urls")),
    path("", include("dangjian.web.urls")),
]
