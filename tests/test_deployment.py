"""The deployment shapes: production settings pass Django's deploy checks, a missing SECRET_KEY
is refused, and the zero-configuration `make run` setup (SQLite + filesystem broker) serves pages.

Each test runs `manage.py` in a subprocess so settings are read fresh from the environment it is
given, exactly as a real deployment would read them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent
MANAGE = str(REPO_ROOT / "manage.py")
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/brm"


def manage(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, MANAGE, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def base_env(**overrides: str) -> dict[str, str]:
    """A copy of this process's environment without the settings a test must choose itself."""
    env = dict(os.environ)
    for name in ("SECRET_KEY_FILE", "SECURE_SSL_REDIRECT", "BEHIND_TLS_PROXY", "DEBUG"):
        env.pop(name, None)
    env.update(overrides)
    return env


def test_production_settings_pass_deploy_checks() -> None:
    # The production values of `.env.example` / docker-compose.yml.
    env = base_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="brm.example.org",
        EMAIL_HOST="smtp.example.org",  # a console mailer is a deploy-check error
        SECURE_SSL_REDIRECT="1",
        # Without it Django warns (security.W021); .env.example sets it for production too.
        STATIC_STORAGE="manifest",
        DATABASE_URL=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    # pytest-env sets it for the Playwright tests; Django rightly refuses it in deployment.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_secret_key_is_refused_when_debug_is_off() -> None:
    env = base_env(DEBUG="0")
    env.pop("SECRET_KEY", None)
    env.pop("SECRET_KEY_FILE", None)
    result = manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr
    # The web server refuses to start: loading the WSGI application raises.
    serve = subprocess.run(
        [sys.executable, "-c", "import brm.wsgi"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert serve.returncode != 0
    assert "SECRET_KEY" in serve.stderr


def test_offline_commands_work_without_a_secret_key() -> None:
    """makemigrations and friends need no key; only serving does."""
    env = base_env(DEBUG="0")
    env.pop("SECRET_KEY", None)
    env.pop("SECRET_KEY_FILE", None)
    result = manage("makemigrations", "--check", "--dry-run", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_page(url: str, timeout: float) -> str | None:
    """The body of `url` once it answers 200, or None when it has not within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    body: str = response.read().decode()
                    return body
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    return None


def embedded_env(var_dir: Path) -> dict[str, str]:
    """What `make run` does: no DATABASE_URL / REDIS_URL, so SQLite (and the filesystem broker)
    under `var_dir`."""
    env = base_env(DEBUG="1", BRM_VAR_DIR=str(var_dir))
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "STATIC_STORAGE"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="module")
def embedded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make run`'s SQLite database, migrated from nothing once for this module's embedded runs
    (a migration from scratch takes tens of seconds); each test works on a copy of it."""
    folder = tmp_path_factory.mktemp("embedded")
    migrate = manage("migrate", "--noinput", env=embedded_env(folder), timeout=300)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    database = folder / "brm.sqlite3"
    assert database.is_file()
    return database


def test_embedded_run_configuration_serves_the_login_page(
    tmp_path: Path, embedded_database: Path
) -> None:
    env = embedded_env(tmp_path)
    shutil.copy(embedded_database, tmp_path / "brm.sqlite3")

    port = free_port()
    log_path = tmp_path / "runserver.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, MANAGE, "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            body = wait_for_page(f"http://127.0.0.1:{port}/accounts/login/", timeout=20)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    if body is None:
        pytest.fail("runserver did not answer 200 on /accounts/login/:\n" + log_path.read_text())
    assert 'name="login"' in body


# Every page in the navigation and every API list, per role, on `make run`'s SQLite database
# with the demo data: the fast paths written as PostgreSQL SQL (issue 14) fall back to the ORM
# elsewhere, and this is where that fallback is served. Run in a subprocess so the settings
# choose SQLite from the environment, as `make run` does.
EMBEDDED_PAGES_SCRIPT = """
from django.contrib.auth import get_user_model
from django.test import override_settings

from brm import bench_web
from brm.core.roles import leader_unit_id

failures = []
with override_settings(ALLOWED_HOSTS=["testserver"], BRM_MFA_REQUIRED_ROLES=[]):
    browsers = bench_web.clients()
    unit = leader_unit_id(get_user_model().objects.get(username="leader"))
    asked = [
        (role, pattern.format(unit=unit))
        for _name, pattern, roles in bench_web.PAGES
        for role in roles
    ] + [(role, url) for _name, url in bench_web.api_lists() for role in bench_web.API_ROLES]
    for role, url in asked:
        try:
            status = browsers[role].get(url).status_code
        except Exception as error:  # noqa: BLE001 - reported, not raised: one list of all
            status = repr(error)
        if status not in bench_web.ANSWERS:
            failures.append(f"{url} as {role}: {status}")
print(f"asked {len(asked)}")
print("FAILURES:" + "|".join(failures))
"""


def test_embedded_run_serves_every_page_and_list_per_role(
    tmp_path: Path, embedded_database: Path
) -> None:
    env = embedded_env(tmp_path)
    shutil.copy(embedded_database, tmp_path / "brm.sqlite3")
    done = manage("seed_demo", env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

    result = manage("shell", "-c", EMBEDDED_PAGES_SCRIPT, env=env, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "asked " in result.stdout, result.stdout
    failures = result.stdout.rsplit("FAILURES:", 1)[1].strip()
    assert failures == "", failures.replace("|", "\n")
