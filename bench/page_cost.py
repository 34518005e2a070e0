"""One page's warm cost alone: server CPU per request, queries and their time.

Django's test client in this process (no server, no other client), against an imported
and refreshed database whose bench accounts exist (`bench.web_bench` makes them:
`bench_wc` for the root, `bench_b0` for a branch). Each page is loaded once, then `N`
times: the median CPU and wall time, the query count and time of the last load.
`PROF=1` adds a cProfile listing and the slowest queries; `ONLY=text` keeps the pages
whose name contains it; `COLD=1` renews the kept pages' generation before every load, so
each load builds its page (what a write costs the next reader). Figures, not a test.

    DATABASE_URL=sqlite:////tmp/web200k.sqlite3 N=5 python -m bench.page_cost
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import time
from typing import Any


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client

    from dangjian.access.models import Grant
    from dangjian.orgs.models import Organization
    from dangjian.web.page_cache import renew_generation

    settings.ALLOWED_HOSTS = ["*"]
    users = get_user_model()
    root = Organization.objects.filter(type="work_committee", parent__isnull=True).order_by("pk")
    root_pk = root.values_list("pk", flat=True).first()
    branch_user = users.objects.get(username="bench_b0")
    branch_pk = Grant.objects.filter(user=branch_user).values_list("org_id", flat=True).first()
    pages = [
        ("wc", "工委 工作台 /", "/"),
        ("wc", "工委 问题清单 /findings/", "/findings/"),
        ("wc", "工委 学时 /orgs/<root>/hours/", f"/orgs/{root_pk}/hours/"),
        ("b", "支部 工作台 /", "/"),
        ("b", "支部 概况 /orgs/<branch>/", f"/orgs/{branch_pk}/"),
        ("b", "支部 问题 /orgs/<branch>/findings/", f"/orgs/{branch_pk}/findings/"),
    ]
    clients = {"wc": Client(), "b": Client()}
    clients["wc"].force_login(users.objects.get(username="bench_wc"))
    clients["b"].force_login(branch_user)
    n = int(os.environ.get("N", "5"))
    only = os.environ.get("ONLY")
    cold = bool(os.environ.get("COLD"))
    connection.force_debug_cursor = True  # keep connection.queries
    out: list[dict[str, Any]] = []
    for who, name, path in pages:
        if only and only not in name:
            continue
        client = clients[who]
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        cpu: list[float] = []
        wall: list[float] = []
        for _ in range(n):
            if cold:
                renew_generation()
            reset_queries()
            c0, w0 = time.process_time(), time.perf_counter()
            response = client.get(path)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        cpu.sort()
        wall.sort()
        row = {
            "page": name,
            "cpu_ms": round(cpu[len(cpu) // 2] * 1000, 1),
            "wall_ms": round(wall[len(wall) // 2] * 1000, 1),
            "queries": len(connection.queries),
            "query_ms": round(sum(float(q["time"]) for q in connection.queries) * 1000, 1),
            "bytes": len(response.content),
        }
        print(json.dumps(row, ensure_ascii=False), flush=True)
        out.append(row)
        if os.environ.get("PROF"):
            if cold:
                renew_generation()
            reset_queries()
            profile = cProfile.Profile()
            profile.enable()
            client.get(path)
            profile.disable()
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(45)
            print(text.getvalue())
            for q in sorted(connection.queries, key=lambda q: -float(q["time"]))[:8]:
                print("  query", q["time"], q["sql"][:300])
    return out


if __name__ == "__main__":
    main()
