from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "dangjian.oversight"
    verbose_name = "考核与整改"
