from django.urls import URLPattern, URLResolver, path

from dangjian.spreadsheets import views

app_name = "spreadsheets"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("templates/<str:key>.xlsx", views.template, name="template"),
    path("upload/", views.upload, name="upload"),
    path("uploads/<str:token>/", views.preview, name="preview"),
    path("uploads/<str:token>/choose/", views.choose, name="choose"),
    path("uploads/<str:token>/import/", views.commit, name="commit"),
    path("uploads/<str:token>/discard/", views.discard, name="discard"),
    path("uploads/<str:token>/failed.xlsx", views.failed_rows, name="failed"),
    path("export/<str:kind>.xlsx", views.export, name="export"),
]
