from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "dangjian.policy"
    verbose_name = "规定与检查"
