"""Import benchmark: generate a province-sized dataset, import it into fresh databases.

Each step runs as a child process (`python -m dangjian ...`), so its wall time
and peak resident memory (from `os.wait4`) are its own. Figures, not a test:
nothing here passes or fails on speed.

    python -m bench.import_bench [--orgs 5000] [--members 200000] [--year 2025]
        [--workdir var/bench] [--pg-url postgres://postgres@127.0.0.1:5432/postgres]
        [--no-postgres] [--keep] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TABLES = (
    "dj_organization",
    "dj_person",
    "dj_transfer",
    "dj_position",
    "dj_term",
    "dj_activity",
    "dj_attendance",
    "dj_training",
    "dj_filing",
    "dj_due",
    "dj_assessment",
)
PG_DB = "dangjian_bench"


@dataclass
class Step:
    name: str
    seconds: float
    cpu_seconds: float  # user + system: wall time minus waiting, on a busy machine
    peak_rss_mb: float
    returncode: int
    rows: dict[str, int] = field(default_factory=dict)


def run_child(name: str, args: list[str], env: dict[str, str]) -> Step:
    """Run `python -m dangjian ARGS`; wall time and the child's own peak RSS."""
    cmd = [sys.executable, "-m", "dangjian", *args]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB.
    cpu = round(usage.ru_utime + usage.ru_stime, 1)
    step = Step(name, round(seconds, 1), cpu, round(usage.ru_maxrss / 1024, 1), proc.returncode)
    print(
        f"  {name}: {step.seconds} s ({cpu} s CPU), peak RSS {step.peak_rss_mb} MB,"
        f" exit {step.returncode}"
    )
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed (exit {proc.returncode}): {' '.join(cmd)}")
    return step


def sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def pg_reachable(url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:
        return False


def pg_recreate(url: str) -> str:
    """Drop and create the benchmark database; return its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    base = url.rsplit("/", 1)[0]
    return f"{base}/{PG_DB}"


def pg_counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        out = {}
        for t in TABLES:
            row = conn.execute(f"SELECT count(*) FROM {t}").fetchone()
            out[t] = int(row[0]) if row else 0
        return out


def pg_drop(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.import_bench", description=__doc__)
    parser.add_argument("--orgs", type=int, default=5000)
    parser.add_argument("--members", type=int, default=200000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", default=str(REPO / "var" / "bench"))
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a maintenance database on the server; the benchmark creates its own database",
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the dataset and databases")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    opts, _ = parser.parse_known_args(argv)

    work = Path(opts.workdir)
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"dataset-{opts.orgs}-{opts.members}-{opts.year}.json"
    env = {k: v for k, v in os.environ.items() if k != "DANGJIAN_TEST_DB_NAME"}
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    results: dict[str, Any] = {
        "size": {"orgs": opts.orgs, "members": opts.members, "year": opts.year},
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "steps": [],
    }
    steps: list[Step] = []
    print(f"import benchmark: --orgs {opts.orgs} --members {opts.members} --year {opts.year}")

    gen_args = ["generate", "--orgs", str(opts.orgs), "--members", str(opts.members)]
    gen_args += ["--year", str(opts.year), "--seed", str(opts.seed), "--output", str(data)]
    step = run_child("generate", gen_args, env)
    results["dataset_mb"] = round(data.stat().st_size / 2**20, 1)
    print(f"  dataset: {results['dataset_mb']} MB")
    steps.append(step)

    db = work / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    sqlite_env = {**env, "DATABASE_URL": f"sqlite:///{db}"}
    run_child("sqlite migrate", ["migrate", "--noinput", "-v", "0"], sqlite_env)
    step = run_child("sqlite import", ["import", str(data)], sqlite_env)
    step.rows = sqlite_counts(db)
    steps.append(step)

    if opts.no_postgres:
        print("  PostgreSQL: skipped (--no-postgres)")
    elif not pg_reachable(opts.pg_url):
        print(f"  PostgreSQL: not reachable at {opts.pg_url}, skipped")
    else:
        url = pg_recreate(opts.pg_url)
        pg_env = {**env, "DATABASE_URL": url}
        run_child("postgres migrate", ["migrate", "--noinput", "-v", "0"], pg_env)
        step = run_child("postgres import", ["import", str(data)], pg_env)
        step.rows = pg_counts(url)
        steps.append(step)
        if not opts.keep:
            pg_drop(opts.pg_url)

    if not opts.keep:
        data.unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    results["steps"] = [asdict(s) for s in steps]
    print()
    print(f"{'step':<18}{'wall s':>9}{'CPU s':>9}{'peak RSS MB':>13}")
    for s in steps:
        print(f"{s.name:<18}{s.seconds:>9}{s.cpu_seconds:>9}{s.peak_rss_mb:>13}")
    for s in steps:
        if s.rows:
            print(f"{s.name} rows: " + ", ".join(f"{t[3:]} {n:,}" for t, n in s.rows.items()))
    if opts.json:
        Path(opts.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
