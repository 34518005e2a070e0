"""Load on a running server: N signed-in users browsing for D seconds.

python -m bench.web_load --base http://127.0.0.1:8000 --users u1:pw,u2:pw,... [--seconds 60]
    [--pages /,/orgs/,/findings/,/rules/] [--https-proxy]

Each user signs in once (its own session), then requests the pages in turn, without
pause, until the time is up. `--https-proxy` sends `X-Forwarded-Proto: https` as the
TLS-terminating reverse proxy does (the server must trust 127.0.0.1 as its proxy), so a
production configuration (SSL redirect, Secure cookies) can be driven over plain http
on the same machine. Prints requests, requests/s, errors and latency percentiles.
Not part of `make bench` (it needs a server); docs/deploy.md has a run.
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import threading
import time
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)


class Browser:
    def __init__(self, base: str, https_proxy: bool) -> None:
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.cookies: dict[str, str] = {}
        self.extra = {"X-Forwarded-Proto": "https"} if https_proxy else {}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {**self.extra, "Host": self.host}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{self.host}{path}"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            raise
        text = response.read().decode("utf-8", "replace")
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def sign_in(self, username: str, password: str) -> bool:
        _, html = self.request("GET", "/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if not match:
            return False
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": match[1]}
        )
        status, _ = self.request("POST", "/login/", form)
        return status == 302


def run_user(
    base: str, cred: str, pages: list[str], until: float, https: bool, out: Result
) -> None:
    username, _, password = cred.partition(":")
    browser = Browser(base, https)
    if not browser.sign_in(username, password):
        out.errors[f"sign-in {username}"] = out.errors.get(f"sign-in {username}", 0) + 1
        return
    i = 0
    while time.monotonic() < until:
        path = pages[i % len(pages)]
        i += 1
        started = time.monotonic()
        try:
            status, _ = browser.request("GET", path)
        except (OSError, http.client.HTTPException) as exc:
            key = type(exc).__name__
            out.errors[key] = out.errors.get(key, 0) + 1
            continue
        out.latencies.append(time.monotonic() - started)
        if status != 200:
            out.errors[f"{status} {path}"] = out.errors.get(f"{status} {path}", 0) + 1


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m bench.web_load", description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--users", required=True, help="username:password,… (one thread each)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--pages", default="/,/orgs/,/findings/,/rules/")
    parser.add_argument("--https-proxy", action="store_true")
    opts = parser.parse_args(argv)
    creds = [c for c in opts.users.split(",") if c]
    pages = [p for p in opts.pages.split(",") if p]
    results = [Result() for _ in creds]
    until = time.monotonic() + opts.seconds
    threads = [
        threading.Thread(
            target=run_user, args=(opts.base, cred, pages, until, opts.https_proxy, res)
        )
        for cred, res in zip(creds, results, strict=True)
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies = sorted(x for r in results for x in r.latencies)
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r.errors.items():
            errors[k] = errors.get(k, 0) + v
    figures = {
        "users": float(len(creds)),
        "seconds": round(elapsed, 1),
        "requests": float(len(latencies)),
        "requests_per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "errors": float(sum(errors.values())),
    }
    if latencies:
        q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
        figures |= {
            "p50_ms": round(q[49] * 1000),
            "p95_ms": round(q[94] * 1000),
            "p99_ms": round(q[98] * 1000),
            "max_ms": round(latencies[-1] * 1000),
        }
    for key, value in figures.items():
        print(f"{key}: {value:g}")
    for key, value in sorted(errors.items()):
        print(f"error {key}: {value}")
    return figures


if __name__ == "__main__":
    main()
