from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "dangjian.policy"
    verbose_name = "规定与检查"

    def ready(self) -> None:
        from dangjian.core.audit import record_written

        record_written.connect(_on_record_written, dispatch_uid="policy-stored-findings")


def _on_record_written(**kwargs: object) -> None:
    """Every audited write marks the stored findings it can affect as stale."""
    from dangjian.policy.store import mark_for_entry

    mark_for_entry(kwargs["entry"])
