"""Freshness benchmark: how long after an API write a branch's stored findings show it.

With the findings worker (`dangjian run_huey`) running beside, as in production, each
round picks a branch with a member short of study hours (a stored `hours` finding),
records a training for them through the API (token authentication, the real view,
in this process) and polls the stored findings until that finding's figure changes
or the finding goes. Reported per round: seconds from the write's answer until the
store shows it, and until the branch's page (`web.page_findings.freshness`) is no
longer 正在更新. Figures, not a test: the target is under 10 s (issue 9).

    python -m bench.freshness_bench --database-url sqlite:////tmp/web200k.sqlite3 \
        [--rounds 3] [--timeout 120] [--no-worker]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def _setup(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    os.environ["DANGJIAN_TASKS_IMMEDIATE"] = "0"  # the worker refreshes, not this process
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def _candidates(rounds: int) -> list[dict[str, Any]]:
    """Branches with a member short of hours this year, in different departments."""
    import datetime

    from dangjian.orgs.models import Organization
    from dangjian.policy.models import StoredFinding
    from dangjian.policy.store import scope_pk_of_path

    year = datetime.date.today().year
    picked: list[dict[str, Any]] = []
    scopes: set[int | None] = set()
    rows = (
        StoredFinding.objects.filter(year=year, hours=True, subject_type="person")
        .exclude(subject_pk=None)
        .order_by("org_path", "pk")
        .values("pk", "org_id", "org_path", "subject_pk", "subject_ext", "key", "actual")
    )
    for row in rows.iterator(chunk_size=2000):
        scope = scope_pk_of_path(row["org_path"])
        if scope in scopes:
            continue
        org = Organization.objects.get(pk=row["org_id"])
        if org.type not in ("branch", "party_cell"):
            continue
        scopes.add(scope)
        picked.append({**row, "org": org})
        if len(picked) == rounds:
            break
    return picked


def _token_for(org: Any) -> str:
    from django.contrib.auth import get_user_model

    from dangjian.access.models import Grant
    from dangjian.core.actor import Actor
    from dangjian.core.tokens import token_issue

    user, _ = get_user_model().objects.get_or_create(username=f"fresh_{org.pk}")
    Grant.objects.get_or_create(user=user, org=org, role="branch_admin")
    return str(token_issue(user=user, actor=Actor.system("cli")).key)


def _shown(key: str, before: Any) -> bool:
    from dangjian.policy.models import StoredFinding

    row = StoredFinding.objects.filter(key=key).values_list("actual", flat=True).first()
    return row is None or str(row) != str(before)


def run(opts: argparse.Namespace) -> dict[str, Any]:
    _setup(opts.database_url)
    import datetime

    from django.db import close_old_connections
    from django.test import Client

    from dangjian.web import page_findings

    worker = (
        None
        if opts.no_worker
        else subprocess.Popen(
            [sys.executable, "-m", "dangjian", "run_huey", "--quiet"], cwd=REPO, env=os.environ
        )
    )
    rounds: list[dict[str, Any]] = []
    try:
        time.sleep(3)  # the worker's start
        for cand in _candidates(opts.rounds):
            org = cand["org"]
            token = _token_for(org)
            body = {
                "person": cand["subject_ext"],
                "date": f"{datetime.date.today().year}-01-15",
                "hours": 2,
                "kind": "general",
            }
            client = Client()
            answer = client.post(
                "/api/v1/trainings/",
                data=json.dumps(body),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Token {token}",
                secure=True,
            )
            written = time.monotonic()
            if answer.status_code != 201:
                raise SystemExit(f"write refused: {answer.status_code} {answer.content[:300]!r}")
            stored_after = page_after = None
            deadline = written + opts.timeout
            while time.monotonic() < deadline and (stored_after is None or page_after is None):
                time.sleep(0.25)
                close_old_connections()
                if stored_after is None and _shown(cand["key"], cand["actual"]):
                    stored_after = time.monotonic() - written
                if page_after is None:
                    fresh = page_findings.freshness(type(org).objects.get(pk=org.pk), body_year())
                    if not fresh.pending:
                        page_after = time.monotonic() - written
            rounds.append(
                {
                    "branch": org.name,
                    "stored_s": None if stored_after is None else round(stored_after, 1),
                    "page_s": None if page_after is None else round(page_after, 1),
                }
            )
            print(json.dumps(rounds[-1], ensure_ascii=False), flush=True)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
    shown = [r["stored_s"] for r in rounds if r["stored_s"] is not None]
    return {
        "rounds": rounds,
        "median_stored_s": round(statistics.median(shown), 1) if shown else None,
        "max_stored_s": max(shown) if shown else None,
    }


def body_year() -> int:
    import datetime

    return datetime.date.today().year


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.freshness_bench", description=__doc__)
    parser.add_argument("--database-url", help="an imported, refreshed database")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--no-worker", action="store_true", help="a worker already runs")
    opts, _ = parser.parse_known_args(argv)
    figures = run(opts)
    print(
        f"write → stored findings: median {figures['median_stored_s']} s, "
        f"max {figures['max_stored_s']} s over {len(figures['rounds'])} rounds"
    )
    return figures


if __name__ == "__main__":
    main()
