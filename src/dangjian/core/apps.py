from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dangjian.core"
    verbose_name = "审计与公共"

    def ready(self) -> None:
        from dangjian.core import auth_events

        auth_events.connect()
