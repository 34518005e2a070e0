from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dangjian.core"
    verbose_name = "审计与公共"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from dangjian.core import audit_guard, auth_events

        auth_events.connect()
        connection_created.connect(audit_guard.on_connection, dispatch_uid="dj_audit_guard")
