"""Production configuration: from the environment, refusing unsafe set-ups; Django's
deployment check reachable through the project's `check` and clean."""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENV_FILE = REPO / "deploy" / "production.env"
BIN = Path(sys.executable).parent


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANGJIAN_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    env.update(
        DANGJIAN_SECRET_KEY="k" * 20 + "-not-a-real-secret-" + "x" * 30,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DANGJIAN_STATIC_ROOT=str(tmp_path / "static"),
        DANGJIAN_MEDIA_ROOT=str(tmp_path / "media"),
    )
    env.update(overrides)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_operator_file_holds_placeholders_not_secrets():
    text = ENV_FILE.read_text(encoding="utf-8")
    assert "DANGJIAN_DEBUG=0" in text
    key_line = next(ln for ln in text.splitlines() if ln.startswith("DANGJIAN_SECRET_KEY="))
    assert "CHANGE-ME" in key_line
    assert "postgres://dangjian:CHANGE-ME@" in text


def test_django_deploy_check_is_clean_with_the_production_environment(tmp_path):
    env = production_env(tmp_path)
    result = run([str(BIN / "python"), "-m", "django", "check", "--deploy"], env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_our_check_delegates_to_djangos_for_its_options(tmp_path):
    env = production_env(tmp_path)
    deploy = run([str(BIN / "dangjian"), "check", "--deploy", "--fail-level", "WARNING"], env)
    assert deploy.returncode == 0 and "no issues" in deploy.stdout + deploy.stderr
    # In the development configuration the same check names what is unsafe (DEBUG on).
    dev = {**env, "DANGJIAN_DEBUG": "1"}
    unsafe = run([str(BIN / "dangjian"), "check", "--deploy", "--fail-level", "WARNING"], dev)
    assert unsafe.returncode != 0 and "security.W018" in unsafe.stdout + unsafe.stderr
    tags = run([str(BIN / "dangjian"), "check", "--list-tags"], env)
    assert tags.returncode == 0 and "security" in tags.stdout
    bare = run([str(BIN / "dangjian"), "check"], env)
    assert bare.returncode == 0 and "no issues" in bare.stdout + bare.stderr


def test_the_rule_engine_contract_of_check_is_kept(tmp_path):
    env = production_env(tmp_path, DANGJIAN_DEBUG="1")
    missing = run([str(BIN / "dangjian"), "check", "data.json"], env)
    assert missing.returncode == 2 and "--policy" in missing.stderr
    both = run([str(BIN / "dangjian"), "check", "--db", "--policy", "national"], env)
    assert both.returncode == 2


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    env = production_env(tmp_path)
    del env["DANGJIAN_SECRET_KEY"]
    result = run([str(BIN / "dangjian"), "check"], env)
    assert result.returncode != 0
    assert "DANGJIAN_SECRET_KEY" in result.stderr


def test_the_production_server_refuses_debug(tmp_path):
    env = production_env(tmp_path, DANGJIAN_DEBUG="1")
    result = run(["bash", str(REPO / "scripts" / "serve-production")], env)
    assert result.returncode == 2 and "DANGJIAN_DEBUG=0" in result.stderr


@pytest.mark.slow
def test_the_production_server_serves_with_the_security_headers(tmp_path):
    """scripts/serve-production (gunicorn) from the operator's file, behind a proxy."""
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = production_env(
        tmp_path,
        DANGJIAN_BIND=f"127.0.0.1:{port}",
        DANGJIAN_WORKERS="1",
        DANGJIAN_ALLOWED_HOSTS="127.0.0.1",
    )
    assert run([str(BIN / "dangjian"), "migrate", "-v", "0"], env).returncode == 0
    server = subprocess.Popen(
        ["bash", str(REPO / "scripts" / "serve-production")],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/login/", headers={"X-Forwarded-Proto": "https"}
        )
        for _ in range(120):
            try:
                response = urllib.request.urlopen(request, timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the production server did not start")
        headers = response.headers
        assert response.status == 200
        assert "max-age=31536000" in headers["Strict-Transport-Security"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "Secure" in headers["Set-Cookie"] and "no-store" in headers["Cache-Control"]
        # Plain http is redirected to https.
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirected:
            opener.open(f"http://127.0.0.1:{port}/login/", timeout=5)
        assert redirected.value.code == 301
        assert redirected.value.headers["Location"].startswith("https://")
    finally:
        server.terminate()
        server.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None
