"""Web benchmark: committee and branch pages under concurrent readers while branches write.

A production server (gunicorn, several worker processes) on loopback, against a
database that is already there (`--database-url`) or a fresh demo database.
`--users` reader threads (16) log in, half as the work committee's
administrator, half as branch administrators, load each of their pages once (a warm-up,
not counted), then all together load their pages in a loop for `--seconds` (60),
without pause (the stress figure) or, with `--think S`, pausing 0.5–1.5 × S seconds after
each page as a person reading it would; meanwhile `--writers` branch administrators record
trainings through the API (token authentication) with a pause between writes.
Reported: requests, throughput and p50/p95/p99 latency per page, and for the
writes. Figures, not a test; loopback only, every loop bounded by the deadline.

    python -m bench.web_bench [--database-url URL] [--users 16] [--think 0] [--writers 4]
        [--seconds 60] [--workers 4] [--threads 1] [--worker] [--port 18790]
        [--workdir var/bench] [--json FILE]

`--worker` runs the findings worker (`dangjian run_huey`) beside the server, as in
production, so the writes' refreshes compete for the cores. Printed with the latencies:
the server's and the load generator's CPU per request (comparable on a shared machine).

Against a deployed production server instead (docs/deploy.md): load its environment
(the accounts are made with `dangjian shell` on its database) and name the server;
`--https-proxy` sends `X-Forwarded-Proto: https` as the TLS proxy would, so SSL redirect
and Secure cookies work over loopback http:

    set -a; . /etc/dangjian/production.env; set +a
    python -m bench.web_bench --base http://127.0.0.1:8000 --https-proxy --seconds 60
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-Pass-2026-x"

# Run inside `dangjian shell`: one committee account, one account per branch written to.
ACCOUNTS = """
import json
from datetime import date
from django.contrib.auth import get_user_model
from dangjian.access.models import Grant
from dangjian.core.actor import Actor
from dangjian.core.tokens import token_issue
from dangjian.orgs.models import Organization
from dangjian.people.models import Person

User = get_user_model()
def account(name, org, role):
    user, _ = User.objects.get_or_create(username=name)
    user.set_password({password!r}); user.save()
    Grant.objects.get_or_create(user=user, org=org, role=role)
    return user

roots = Organization.objects.filter(type="work_committee", parent__isnull=True)
root = roots.order_by("pk").first()
account("bench_wc", root, "work_committee_admin")
branches = []
for org in Organization.objects.filter(type="branch", dissolved__isnull=True).order_by("pk"):
    members = Person.objects.filter(org=org, status="full")
    people = list(members.values_list("ext_id", flat=True)[:20])
    if len(people) >= 3:
        branches.append((org, people))
    if len(branches) == {branches}:
        break
out = {{"root": root.pk, "branches": []}}
for i, (org, people) in enumerate(branches):
    user = account(f"bench_b{{i}}", org, "branch_admin")
    token = token_issue(user=user, actor=Actor.system("bench"))
    out["branches"].append(
        {{"user": user.username, "pk": org.pk, "ext": org.ext_id, "people": people,
          "token": token.key}}
    )
print("ACCOUNTS" + json.dumps(out))
"""


@dataclass
class Series:
    name: str
    seconds: list[float] = field(default_factory=list)
    errors: int = 0

    def summary(self, elapsed: float) -> dict[str, Any]:
        s = sorted(self.seconds)

        def pct(p: float) -> float:
            return round(s[min(len(s) - 1, int(p * len(s)))] * 1000, 1) if s else 0.0

        return {
            "page": self.name,
            "requests": len(s),
            "errors": self.errors,
            "per_second": round(len(s) / elapsed, 2),
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "mean_ms": round(statistics.fmean(s) * 1000, 1) if s else 0.0,
        }


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.series: dict[str, Series] = {}

    def add(self, name: str, seconds: float | None) -> None:
        with self.lock:
            series = self.series.setdefault(name, Series(name))
            if seconds is None:
                series.errors += 1
            else:
                series.seconds.append(seconds)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _ProxiedPolicy(http.cookiejar.DefaultCookiePolicy):
    """Behind the TLS proxy the browser speaks https: Secure cookies go back over loopback."""

    def return_ok_secure(self, cookie: Any, request: Any) -> bool:
        return True


# A reader whose sign-in or first loads failed (the run stops: no figures).
WARM_UP_FAILED: list[str] = []

# Set by --https-proxy: what the TLS-terminating proxy adds to every request.
PROXY_HEADERS: list[tuple[str, str]] = []


def _opener(*handlers: Any) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(*handlers)
    opener.addheaders = [*opener.addheaders, *PROXY_HEADERS]
    return opener


def _session(base: str, username: str) -> urllib.request.OpenerDirector:
    """A logged-in session (the login's redirect is not followed: no page is loaded)."""
    jar = http.cookiejar.CookieJar(_ProxiedPolicy() if PROXY_HEADERS else None)
    opener = _opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    html = opener.open(base + "/login/", timeout=300).read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if match is None:
        raise RuntimeError("no CSRF token on the login page")
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1)}
    request = urllib.request.Request(
        base + "/login/",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Referer": _origin(base) + "/login/"},
    )
    try:
        opener.open(request, timeout=300).read()
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            raise
    if not any(c.name == "sessionid" for c in jar):
        raise RuntimeError(f"could not log in as {username}")
    return _opener(urllib.request.HTTPCookieProcessor(jar))


def _origin(base: str) -> str:
    """The origin the browser sees (https behind the proxy), for the CSRF Referer check."""
    return base.replace("http://", "https://", 1) if PROXY_HEADERS else base


def _timed(
    results: Results,
    name: str,
    opener: Any,
    request: Any,
    timeout: float,
    deadline: float | None = None,
) -> None:
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read()
        results.add(name, time.perf_counter() - started)
    except OSError:  # HTTP errors, timeouts, resets
        if deadline is not None and time.monotonic() >= deadline - 0.1:
            return  # cut off by the end of the run: neither a figure nor an error
        results.add(name, None)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (gunicorn's master and workers)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        return 0.0
    for p in set(pids):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def reader(
    base: str,
    username: str,
    pages: list[tuple[str, str]],
    start: threading.Barrier,
    clock: list[float],
    results: Results,
    think: float = 0.0,
) -> None:
    try:
        opener = _session(base, username)
        for _, path in pages:  # warm-up, not counted: sign-in and first loads
            opener.open(base + path, timeout=600).read()
    except (OSError, RuntimeError) as exc:
        WARM_UP_FAILED.append(f"{username}: {exc}")
        start.abort()  # the others stop waiting: no figures from a half-started run
        return
    try:
        start.wait()
    except threading.BrokenBarrierError:
        return
    deadline = clock[0]
    pause_draw = random.Random(username)
    i = 0
    while time.monotonic() < deadline:
        name, path = pages[i % len(pages)]
        timeout = max(1.0, deadline - time.monotonic())
        _timed(results, name, opener, base + path, timeout=timeout, deadline=deadline)
        i += 1
        if think:
            # a person reads the page before the next click: 0.5–1.5 × the mean, so the
            # readers do not move in step
            time.sleep(
                min(think * (0.5 + pause_draw.random()), max(0.0, deadline - time.monotonic()))
            )


def writer(
    base: str,
    branch: dict[str, Any],
    pause: float,
    start: threading.Barrier,
    clock: list[float],
    results: Results,
) -> None:
    opener = _opener()
    try:
        start.wait()
    except threading.BrokenBarrierError:
        return
    deadline = clock[0]
    i = 0
    while time.monotonic() < deadline:
        person = branch["people"][i % len(branch["people"])]
        # this year's date: the pages show this year's findings, so the writes change them
        day = f"{time.gmtime().tm_year}-01-15"
        body = {"person": person, "date": day, "hours": 1.5, "kind": "general"}
        request = urllib.request.Request(
            base + "/api/v1/trainings/",
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Token {branch['token']}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        _timed(results, "API 写入 trainings (POST)", opener, request, timeout=60)
        i += 1
        time.sleep(pause)


def run(opts: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ)
    workdir = Path(opts.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if opts.https_proxy:
        PROXY_HEADERS[:] = [("X-Forwarded-Proto", "https")]
    if not opts.base:
        # one key for every gunicorn worker: the development default is per process, and a
        # session signed by one worker would be refused by the others (readers logged out)
        env.setdefault("DANGJIAN_SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
        # compiled modules kept outside the repository (as an installed server has them)
        env.setdefault("PYTHONPYCACHEPREFIX", str(workdir / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    if opts.base:
        pass  # a deployed server: its environment (database) is this process's
    elif opts.database_url:
        env["DATABASE_URL"] = opts.database_url
    else:
        db = workdir / "web_bench.sqlite3"
        db.unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{db}"
        dj = [sys.executable, "-m", "dangjian"]
        subprocess.run([*dj, "migrate", "-v", "0"], env=env, cwd=REPO, check=True)
        subprocess.run([*dj, "demo"], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    script = ACCOUNTS.format(password=PASSWORD, branches=max(opts.writers, opts.users))
    out = subprocess.run(
        [sys.executable, "-m", "dangjian", "shell", "-c", script],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    accounts = json.loads(out[out.index("ACCOUNTS") + len("ACCOUNTS") :])
    branches = accounts["branches"]
    if not branches:
        raise SystemExit("no branch with members to write to")

    base = opts.base.rstrip("/") if opts.base else f"http://127.0.0.1:{opts.port}"
    # The server and worker run the production configuration (DEBUG off: no query log,
    # no debug pages), over plain http on loopback (no TLS proxy in front here).
    served = dict(env)
    for name, value in (
        ("DANGJIAN_DEBUG", "0"),
        ("DANGJIAN_SSL_REDIRECT", "0"),
        ("DANGJIAN_SECURE_COOKIES", "0"),
        ("DANGJIAN_HSTS_SECONDS", "0"),
    ):
        served.setdefault(name, value)
    server = (
        None
        if opts.base
        else subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "dangjian.wsgi:application",
                "--workers",
                str(opts.workers),
                "--threads",
                str(opts.threads),
                "--bind",
                f"127.0.0.1:{opts.port}",
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            env=served,
            cwd=REPO,
        )
    )
    worker = (
        subprocess.Popen(
            [sys.executable, "-m", "dangjian", "run_huey", "--quiet"], env=served, cwd=REPO
        )
        if opts.worker
        else None
    )
    try:
        for _ in range(120):
            try:
                _opener().open(base + "/login/", timeout=5).read()
                break
            except OSError:  # refused, reset, timed out: not up yet
                time.sleep(0.5)
        root = accounts["root"]
        committee = [
            ("工委 工作台 /", "/"),
            ("工委 问题清单 /findings/", "/findings/"),
            ("工委 学时 /orgs/<root>/hours/", f"/orgs/{root}/hours/"),
        ]
        results = Results()
        sessions: list[tuple[str, list[tuple[str, str]]]] = []
        for i in range(opts.users):
            if i % 2 == 0:
                sessions.append(("bench_wc", committee))
            else:
                b = branches[(i // 2) % len(branches)]
                pages = [
                    ("支部 工作台 /", "/"),
                    ("支部 概况 /orgs/<branch>/", f"/orgs/{b['pk']}/"),
                    ("支部 问题 /orgs/<branch>/findings/", f"/orgs/{b['pk']}/findings/"),
                ]
                sessions.append((b["user"], pages))
        # Every reader signs in and loads its pages once (the server's workers import and
        # warm up), then all start together: the figures are the steady state.
        clock = [0.0]
        readings: dict[str, Any] = {}

        def begin() -> None:
            clock[0] = time.monotonic() + opts.seconds
            with open("/proc/loadavg") as fh:
                readings["load_before"] = fh.read().split()[:3]
            readings["server_cpu"] = _cpu_seconds(server.pid) if server is not None else 0.0
            readings["worker_cpu"] = _cpu_seconds(worker.pid) if worker is not None else 0.0
            readings["own"] = os.times()
            readings["started"] = time.monotonic()

        start = threading.Barrier(len(sessions) + opts.writers, action=begin)
        threads = [
            threading.Thread(
                target=reader, args=(base, user, pages, start, clock, results, opts.think)
            )
            for user, pages in sessions
        ]
        threads += [
            threading.Thread(
                target=writer,
                args=(base, branches[i % len(branches)], opts.pause, start, clock, results),
            )
            for i in range(opts.writers)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if WARM_UP_FAILED:
            raise SystemExit("warm-up failed (is the database migrated?): " + WARM_UP_FAILED[0])
        started, own = readings["started"], readings["own"]
        load_before = readings["load_before"]
        server_cpu, worker_cpu = readings["server_cpu"], readings["worker_cpu"]
        elapsed = time.monotonic() - started
        own_after = os.times()
        client_cpu = own_after.user + own_after.system - own.user - own.system
        if server is not None:
            server_cpu = _cpu_seconds(server.pid) - server_cpu
        if worker is not None:
            worker_cpu = _cpu_seconds(worker.pid) - worker_cpu
        with open("/proc/loadavg") as fh:
            load_after = fh.read().split()[:3]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
    rows = [s.summary(elapsed) for s in results.series.values()]
    total = sum(r["requests"] for r in rows)
    return {
        "users": opts.users,
        "think_seconds": opts.think,
        "writers": opts.writers,
        "workers": "?" if opts.base else opts.workers,
        "seconds": round(elapsed, 1),
        "requests": total,
        "per_second": round(total / elapsed, 1),
        "load_average_before": load_before,
        "load_average_after": load_after,
        # CPU per request: the comparable figure on a shared machine
        "server_cpu_ms_per_request": round(server_cpu * 1000 / total, 1) if total else 0.0,
        "client_cpu_ms_per_request": round(client_cpu * 1000 / total, 1) if total else 0.0,
        "worker_cpu_seconds": round(worker_cpu, 1),
        "pages": rows,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.web_bench", description=__doc__)
    parser.add_argument("--database-url", help="an imported database (default: a demo one)")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between writes")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a reader pauses after each page (0: none, the stress figure)",
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=18790)
    parser.add_argument(
        "--worker", action="store_true", help="run `dangjian run_huey` beside the server"
    )
    parser.add_argument("--workdir", default=str(REPO / "var" / "bench"))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--base", help="a running server to load (e.g. http://127.0.0.1:8000)")
    parser.add_argument(
        "--https-proxy", action="store_true", help="send X-Forwarded-Proto: https (production)"
    )
    opts, _ = parser.parse_known_args(argv)
    figures = run(opts)
    print(
        f"{figures['users']} readers (think {figures['think_seconds']} s) + "
        f"{figures['writers']} writers, {figures['workers']} "
        f"gunicorn workers, {figures['seconds']} s: {figures['requests']} requests, "
        f"{figures['per_second']}/s; load average {' '.join(figures['load_average_before'])} "
        f"→ {' '.join(figures['load_average_after'])}"
    )
    print(
        f"CPU per request: server {figures['server_cpu_ms_per_request']} ms, load generator "
        f"{figures['client_cpu_ms_per_request']} ms; worker {figures['worker_cpu_seconds']} s"
    )
    print(f"{'page':<40} {'n':>6} {'err':>4} {'/s':>7} {'p50':>8} {'p95':>8} {'p99':>8}")
    for r in figures["pages"]:
        print(
            f"{r['page']:<40} {r['requests']:>6} {r['errors']:>4} {r['per_second']:>7} "
            f"{r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8}"
        )
    if opts.json:
        Path(opts.json).write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    return figures


if __name__ == "__main__":
    main()
