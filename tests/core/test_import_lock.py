"""One import at a time: a second import fails at once with exit 2 and a Chinese message."""

import fcntl
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections

from dangjian.core.locks import Busy, exclusive

DATASET = {
    "format": "dangjian/1",
    "organizations": [{"id": "LK1", "name": "锁测试党支部", "type": "branch"}],
}


def hold_import_lock(acquired: threading.Event, release: threading.Event) -> None:
    try:
        with exclusive("import"):
            acquired.set()
            release.wait(30)
    finally:
        connections.close_all()  # this thread's own connection


@pytest.mark.django_db(transaction=True)
def test_second_import_while_one_runs_exits_2(tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text(json.dumps(DATASET), encoding="utf-8")
    acquired, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_import_lock, args=(acquired, release))
    holder.start()
    try:
        assert acquired.wait(30)
        with pytest.raises(SystemExit) as exit_info:
            call_command("import", str(path))
        assert exit_info.value.code == 2
        assert "另一个导入正在进行" in capsys.readouterr().err
    finally:
        release.set()
        holder.join()
    call_command("import", str(path))  # once the other has finished, it goes through
    from dangjian.orgs.models import Organization

    assert Organization.objects.filter(ext_id="LK1").exists()


@pytest.mark.django_db
def test_the_lock_is_exclusive_and_released():
    with exclusive("test-lock"):
        if connection.vendor == "postgresql":
            return  # advisory locks are re-entrant within one session; see the test above
        with pytest.raises(Busy), exclusive("test-lock"):
            pass
    with exclusive("test-lock"):
        pass


def test_cli_import_refused_cleanly_while_another_holds_the_lock(tmp_path):
    """The real command on an SQLite file: exit 2, a Chinese message, no traceback."""
    db = tmp_path / "db.sqlite3"
    path = tmp_path / "x.json"
    path.write_text(json.dumps(DATASET), encoding="utf-8")
    with open(f"{db}.import.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # "another import"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
        env.pop("DANGJIAN_TEST_DB_NAME", None)
        done = subprocess.run(
            [str(Path(sys.executable).parent / "dangjian"), "import", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2, done.stderr
    assert "另一个导入正在进行" in done.stderr
    assert "Traceback" not in done.stderr
