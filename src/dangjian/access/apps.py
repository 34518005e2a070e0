from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "dangjian.access"
    verbose_name = "权限"
