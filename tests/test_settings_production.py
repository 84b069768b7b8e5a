"""Production settings: `check --deploy` is clean and a bad environment stops the start.

Each case runs Django in a subprocess with a production environment, as
gunicorn would start it, so nothing of the test settings leaks in.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "YISHI_CHECKPOINT_KEY": secrets.token_urlsafe(32),
    "ALLOWED_HOSTS": "yishi.example.org",
}


def production_env(env_overrides, *, drop=()):
    """This process's environment without the test settings, plus ``env_overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST")) and k not in drop}
    env.pop("TEST_DATABASE_NAME", None)
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "yishi.settings"
    return env


def run(args, env_overrides, *, drop=()):
    env = production_env(env_overrides, drop=drop)
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )


def settings_of(env_overrides, *names):
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, default=str))"
    )
    result = run(["-c", code], env_overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_reports_no_warnings_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_is_not_clean_with_debug_on():
    # The same check does fail when something is wrong: it is not a test that cannot fail.
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], {**PRODUCTION, "DEBUG": "1"})
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("overrides", "drop", "message"),
    [
        ({"SECRET_KEY": ""}, (), "SECRET_KEY must be set"),
        ({}, ("SECRET_KEY",), "SECRET_KEY must be set"),
        ({"SECRET_KEY": "too-short"}, (), "at least 50 random characters"),
        ({}, ("YISHI_CHECKPOINT_KEY",), "YISHI_CHECKPOINT_KEY must be set"),
        ({"YISHI_CHECKPOINT_KEY": "short"}, (), "YISHI_CHECKPOINT_KEY must be at least 32"),
        ({"ALLOWED_HOSTS": ""}, (), "ALLOWED_HOSTS must be set"),
        ({"DEBUG": "maybe"}, (), "DEBUG must be a boolean"),
        ({"CONN_MAX_AGE": "-1"}, (), "CONN_MAX_AGE must be at least 0"),
        ({"DATABASE_URL": "mysql://u@h/db"}, (), "DATABASE_URL must point at PostgreSQL"),
        ({"YISHI_TRUSTED_PROXY_COUNT": "one"}, (), "YISHI_TRUSTED_PROXY_COUNT must be an integer"),
        ({"YISHI_TRUSTED_PROXY_COUNT": "1.5"}, (), "YISHI_TRUSTED_PROXY_COUNT must be an integer"),
        ({"YISHI_TRUSTED_PROXY_COUNT": "-1"}, (), "YISHI_TRUSTED_PROXY_COUNT must be at least 0"),
        ({"YISHI_TRUSTED_PROXY_COUNT": "10"}, (), "YISHI_TRUSTED_PROXY_COUNT must be at most 5"),
        ({"LOGIN_ACCOUNT_FAILURE_LIMIT": "0"}, (), "LOGIN_ACCOUNT_FAILURE_LIMIT must be at least 1"),
    ],
)
def test_a_bad_production_environment_stops_the_start(overrides, drop, message):
    env = {**PRODUCTION, **overrides}
    for name in drop:
        env.pop(name)
    result = run(["manage.py", "check"], env, drop=drop)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_production_settings_are_hardened():
    values = settings_of(
        {**PRODUCTION, "DATABASE_URL": "postgres://yishi:pw@db:5432/yishi"},
        "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER", "DATABASES", "MIDDLEWARE", "STORAGES", "LOGGING", "SECURE_CSP", "MAILERS",
    )
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    db = values["DATABASES"]["default"]
    assert db["CONN_MAX_AGE"] > 0 and db["CONN_HEALTH_CHECKS"] is True
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in values["MIDDLEWARE"]
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in values["MIDDLEWARE"]
    assert "Manifest" in values["STORAGES"]["staticfiles"]["BACKEND"]
    assert values["LOGGING"]["formatters"]["json"]["()"] == "yishi.logging.JsonFormatter"
    assert "'unsafe-inline'" not in json.dumps(values["SECURE_CSP"])
    assert values["MAILERS"]["default"]["BACKEND"].endswith("smtp.EmailBackend")


def test_production_logs_are_one_json_object_a_line():
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('yishi.test').warning('公示 %s', 'ok', extra={'proposal_id': 7})"
    )
    result = run(["-c", code], PRODUCTION)
    assert result.returncode == 0, result.stderr
    line = json.loads((result.stdout + result.stderr).strip().splitlines()[-1])
    assert line["level"] == "WARNING" and line["message"] == "公示 ok" and line["proposal_id"] == 7


def test_login_protection_is_configured_from_the_environment():
    values = settings_of(
        {**PRODUCTION, "YISHI_TRUSTED_PROXY_COUNT": "1", "REDIS_URL": "redis://redis:6379/1",
         "LOGIN_FAILURE_LIMIT": "4", "LOGIN_ACCOUNT_FAILURE_LIMIT": "12", "LOGIN_ADDRESS_FAILURE_LIMIT": "40"},
        "TRUSTED_PROXY_COUNT", "CACHES", "AUTHENTICATION_BACKENDS", "MIDDLEWARE", "INSTALLED_APPS",
        "LOGIN_FAILURE_LIMIT", "LOGIN_ACCOUNT_FAILURE_LIMIT", "LOGIN_ADDRESS_FAILURE_LIMIT", "AXES_HANDLER",
    )
    assert values["TRUSTED_PROXY_COUNT"] == 1
    assert (values["LOGIN_FAILURE_LIMIT"], values["LOGIN_ACCOUNT_FAILURE_LIMIT"],
            values["LOGIN_ADDRESS_FAILURE_LIMIT"]) == (4, 12, 40)
    assert values["CACHES"]["default"]["BACKEND"] == "yishi.cache.DegradingRedisCache"
    assert values["AUTHENTICATION_BACKENDS"][0] == "axes.backends.AxesStandaloneBackend"
    assert values["MIDDLEWARE"][-1] == "axes.middleware.AxesMiddleware" and "axes" in values["INSTALLED_APPS"]
    assert values["AXES_HANDLER"] == "portal.login_guard.LoginAttemptHandler"
    assert settings_of(PRODUCTION, "TRUSTED_PROXY_COUNT")["TRUSTED_PROXY_COUNT"] == 0


def test_secret_key_fallbacks_are_read_for_key_rotation():
    old = secrets.token_urlsafe(50)
    values = settings_of({**PRODUCTION, "SECRET_KEY_FALLBACKS": old}, "SECRET_KEY_FALLBACKS")
    assert values["SECRET_KEY_FALLBACKS"] == [old]


def test_beat_schedule_names_only_registered_tasks():
    import django.conf

    import elections.tasks  # noqa: F401
    import funding.tasks  # noqa: F401
    import needs.tasks  # noqa: F401
    import notifications.tasks  # noqa: F401
    import outbox.tasks  # noqa: F401
    import proposals.tasks  # noqa: F401
    from yishi.celery import app

    schedule = django.conf.settings.CELERY_BEAT_SCHEDULE
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)
    assert {"close-due-ballots", "remind-ballot-electors", "notify-ended-notices", "remind-monthly-meetings",
            "warn-fund-calendar", "send-digests", "history-checkpoint", "relay-outbox", "tend-elections",
            "notify-overdue-needs", "post-foundation-accounts", "remind-activities", "open-closed-tenders"} == set(schedule)


def test_gunicorn_config_binds_and_logs_to_stdout():
    result = run(
        ["-c", "import runpy, json; c = runpy.run_path('gunicorn.conf.py'); "
               "print(json.dumps({k: c.get(k) for k in ('bind', 'workers', 'accesslog', 'errorlog', 'wsgi_app')}))"],
        {**PRODUCTION, "WEB_CONCURRENCY": "3", "PORT": "8001"},
    )
    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout.strip().splitlines()[-1])
    assert conf == {"bind": "0.0.0.0:8001", "workers": 3, "accesslog": "-", "errorlog": "-",
                    "wsgi_app": "yishi.wsgi:application"}


def test_gunicorn_starts_with_its_config_and_serves_healthz(tmp_path):
    """Not only the values: gunicorn really starts with gunicorn.conf.py (its logging merges with
    gunicorn's defaults), answers /healthz with production settings, and logs JSON lines."""
    import time
    import urllib.request

    from tests.test_healthz import closed_port

    port = closed_port()
    env = production_env({**PRODUCTION, "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0",
                          "WEB_CONCURRENCY": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'g.sqlite3'}"},
                         drop=("CELERY_BROKER_URL",))
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        answer, deadline = None, time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    answer = (response.status, json.loads(response.read()))
                break
            except OSError:
                time.sleep(0.3)
        assert server.poll() is None, "gunicorn exited:\n" + log.read_text()
        assert answer == (200, {"database": "ok", "broker": "eager"}), log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines and all(json.loads(line)["message"] for line in lines), lines[:5]
    assert any("/healthz" in json.loads(line)["message"] for line in lines), "no access log line"


def test_python_warnings_are_logged_as_json_lines():
    # A fresh checkout has no staticfiles/ yet and whitenoise warns about it at start; the warning
    # must reach the log collector as JSON like every other line, not as bare text on stderr.
    code = (
        "import django, warnings; django.setup(); "
        "warnings.warn('static directory missing', UserWarning)"
    )
    result = run(["-W", "always", "-c", code], PRODUCTION)
    assert result.returncode == 0, result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    assert any(r["logger"] == "py.warnings" and "static directory missing" in r["message"] for r in records), lines


def test_every_environment_variable_is_documented():
    import re

    read = set()
    for path in ("yishi/settings.py", "gunicorn.conf.py"):
        text = (BASE_DIR / path).read_text()
        read |= set(re.findall(r'(?:environ\.get|env_bool|env_int|env_list)\(\s*["\']([A-Z_]+)["\']', text))
    example = set(re.findall(r"^([A-Z_]+)=", (BASE_DIR / ".env.example").read_text(), re.M))
    docs = (BASE_DIR / "docs" / "operations.md").read_text()
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "TEST_DATABASE_NAME", "PORT"} <= read
    missing = sorted(name for name in read | example if f"`{name}`" not in docs)
    assert not missing, f"not in docs/operations.md: {missing}"


def _docker_compose_plugin() -> bool:
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


def test_docker_compose_file_is_valid_where_a_compose_client_exists(tmp_path):
    import shutil

    if shutil.which("docker-compose"):
        command = ["docker-compose"]
    elif shutil.which("docker") and _docker_compose_plugin():
        command = ["docker", "compose"]
    elif os.environ.get("CI"):
        pytest.fail("CI installs a docker compose client (.ci/run) and it is missing")
    else:
        pytest.skip("no docker compose client on this machine (Debian: apt-get install docker-compose)")
    for name in ("docker-compose.yml", ".env.example"):
        shutil.copy(BASE_DIR / name, tmp_path / name)
    env_file = (tmp_path / ".env.example").read_text()
    env_file = env_file.replace("YISHI_CHECKPOINT_KEY=\n", f"YISHI_CHECKPOINT_KEY={'k' * 40}\n")
    (tmp_path / ".env").write_text(env_file.replace("POSTGRES_PASSWORD=\n", "POSTGRES_PASSWORD=check123\n"))
    result = subprocess.run([*command, "config", "--services"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"web", "worker", "beat", "postgres", "redis"}
    (tmp_path / ".env").write_text(env_file)  # no POSTGRES_PASSWORD: compose must refuse
    refused = subprocess.run([*command, "config"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "POSTGRES_PASSWORD" in refused.stderr


def test_a_request_warning_is_logged_once_in_the_demo():
    # With DEBUG on, Django's own console handler on "django" used to print every request warning
    # a second time beside the JSON line.
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.request').warning('Not Found: %s', '/nowhere/')"
    )
    result = run(["-c", code], {**PRODUCTION, "DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if "/nowhere/" in line]
    assert len(lines) == 1, lines
    assert json.loads(lines[0])["message"] == "Not Found: /nowhere/"
