from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "dangjian.access"
    verbose_name = "权限"

    def ready(self) -> None:
        from dangjian.access.selectors import can_administer
        from dangjian.core.writes import set_admin_check

        set_admin_check(can_administer)
