import os

import pytest
from django.db import connection

from dangjian.core import audit_guard

# Django's flush between transactional tests empties the audit table too (core.audit_guard);
# tests of the protection turn it back on with audit_guard.enforced().
audit_guard.MAINTENANCE = True


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    return f"dangjian database: {db['ENGINE'].rsplit('.', 1)[-1]} ({db.get('HOST') or db['NAME']})"


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    terminalreporter.write_line(f"dangjian tests ran on database: {connection.vendor}")


@pytest.fixture
def system_actor():
    from dangjian.core.actor import Actor

    return Actor.system("test")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _kept_pages_rebuilt_after_every_refresh(settings):
    """Tests see a committee's kept page built again right after a refresh (production
    waits PAGE_REBUILD_SECONDS between rebuilds; the test of that sets it)."""
    settings.PAGE_REBUILD_SECONDS = 0
