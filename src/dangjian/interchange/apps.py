from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "dangjian.interchange"
    verbose_name = "数据交换"
