"""`check --db` of every policy pack over an already-imported database, beside the floor.

The floor is one raw aggregate scan of the attendance table (COUNT(*) GROUP BY org and
month), the cheapest query any org-frequency rule could run. Both the floor and each pack
run `--repeat` times (default 3): the best run against the best floor (so neither counts a
cold cache or a neighbour's burst on a shared machine), and the median beside it.
Figures, not a test.

    python -m bench --only check [--sqlite PATH] [--pg-url URL] [--year 2025] [--repeat 3]

By default it uses the databases `python -m bench --keep` leaves behind (`make bench`).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import time
from typing import Any

import psycopg

from bench.import_bench import pg_reachable, run_child

DEFAULT_SQLITE = "var/bench/bench.sqlite3"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/dangjian_bench"
PACKS = ("national", "yunnan-2019", "ningxia-2018", "henan-2015", "danyang-2020", "hubei-2022")
FLOOR_SQL = (
    "SELECT a.org_id, substr(CAST(a.date AS TEXT), 1, 7) AS m, COUNT(*)"
    " FROM dj_attendance t JOIN dj_activity a ON a.id = t.activity_id GROUP BY 1, 2"
)


def floor_seconds(run_query: Any, repeat: int = 3) -> tuple[float, float]:
    """Best and median of `repeat` runs (at least three, so a cold cache never counts)."""
    runs = []
    for _ in range(max(3, repeat)):
        started = time.perf_counter()
        run_query()
        runs.append(time.perf_counter() - started)
    return round(min(runs), 2), round(statistics.median(runs), 2)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench --only check")
    # Defaults: what `python -m bench --keep` leaves behind after the import benchmark.
    parser.add_argument("--sqlite", default=DEFAULT_SQLITE, help="an imported SQLite database")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="an imported PostgreSQL database")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--packs", nargs="*", default=list(PACKS))
    parser.add_argument("--repeat", type=int, default=3, help="runs of each pack (best, median)")
    opts, _ = parser.parse_known_args(argv)
    targets: list[tuple[str, str, Any]] = []
    if opts.sqlite and os.path.exists(opts.sqlite):

        def sqlite_floor() -> None:
            with sqlite3.connect(opts.sqlite) as conn:
                conn.execute(FLOOR_SQL).fetchall()

        targets.append(("sqlite", f"sqlite:///{os.path.abspath(opts.sqlite)}", sqlite_floor))
    if opts.pg_url and pg_reachable(opts.pg_url):

        def pg_floor() -> None:
            with psycopg.connect(opts.pg_url) as conn:
                conn.execute(FLOOR_SQL).fetchall()

        targets.append(("postgresql", opts.pg_url, pg_floor))
    if not targets:
        raise SystemExit("give --sqlite PATH and/or --pg-url URL of an imported database")
    figures: dict[str, Any] = {}
    for name, url, floor in targets:
        env = {**os.environ, "DATABASE_URL": url}
        floor_s, floor_median = floor_seconds(floor, opts.repeat)
        print(
            f"{name}: floor (attendance COUNT(*) GROUP BY org, month)"
            f" best {floor_s} s, median {floor_median} s"
        )
        for pack in opts.packs:
            args = ["check", "--db", "--policy", pack, "--year", str(opts.year)]
            steps = [
                run_child(f"{name} check {pack}", args, env) for _ in range(max(1, opts.repeat))
            ]
            best = min(step.seconds for step in steps)
            median = round(statistics.median(step.seconds for step in steps), 1)
            figures[f"{name}/{pack}"] = {
                "seconds": best,
                "median_seconds": median,
                "peak_rss_mb": max(step.peak_rss_mb for step in steps),
                "floor_seconds": floor_s,
                "times_floor": round(best / floor_s, 1) if floor_s else None,
                "median_times_floor": round(median / floor_s, 1) if floor_s else None,
            }
            if len(steps) > 1:
                print(
                    f"  {name} {pack}: best {best} s ({figures[f'{name}/{pack}']['times_floor']}×"
                    f" the floor), median {median} s"
                    f" ({figures[f'{name}/{pack}']['median_times_floor']}×)"
                )
    return figures
