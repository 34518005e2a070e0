from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "dangjian.notices"
    verbose_name = "通知与党务公开"
