from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "dangjian.people"
    verbose_name = "党员"
