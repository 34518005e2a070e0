from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dangjian.web"
    verbose_name = "网页"
