from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dangjian.web"
    verbose_name = "网页"

    def ready(self) -> None:
        from dangjian.core.audit import record_written
        from dangjian.web.page_cache import on_record_written

        # After policy's receiver (INSTALLED_APPS order): the write's scopes are marked
        # stale before the kept pages read their dirty counts.
        record_written.connect(on_record_written, dispatch_uid="web-page-cache")
