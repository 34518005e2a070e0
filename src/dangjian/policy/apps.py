from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "dangjian.policy"
    verbose_name = "规定与检查"

    def ready(self) -> None:
        from dangjian.core.audit import record_written

        record_written.connect(_on_record_written, dispatch_uid="policy-data-version")


def _on_record_written(**kwargs: object) -> None:
    from dangjian.policy.selectors import bump_data_version

    bump_data_version()
