from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "dangjian.records"
    verbose_name = "组织生活与学习"
