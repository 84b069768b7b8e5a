"""/healthz: database and broker reachability, 200 or 503, no secrets."""

import os
import socket

import pytest
import redis

REDIS_URL = os.environ.get("YISHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def require_redis(url: str = REDIS_URL) -> str:
    """Skip without Redis, or fail when YISHI_REQUIRE_REDIS is set (CI), never silently pass."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"needs Redis at {url}: {exc}"
        if os.environ.get("YISHI_REQUIRE_REDIS"):
            pytest.fail(f"YISHI_REQUIRE_REDIS is set but {message}")
        pytest.skip(message)
    return url


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_200_with_database_and_redis_up(client, db, settings):
    settings.CELERY_BROKER_URL = require_redis()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_503_with_redis_unreachable(client, db, settings):
    settings.CELERY_BROKER_URL = f"redis://:s3cret-password@127.0.0.1:{closed_port()}/9"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "error"}
    # No secrets, hosts or error text in the answer.
    assert b"s3cret" not in response.content and b"127.0.0.1" not in response.content


def test_healthz_eager_without_a_broker_is_healthy(client, db, settings):
    settings.CELERY_BROKER_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "eager"}


def test_healthz_503_when_the_database_cannot_be_reached(client, settings):
    # Without the db fixture pytest-django refuses every database access, as a down database would.
    settings.CELERY_BROKER_URL = ""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_healthz_is_not_cached_and_takes_only_get(client, db):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405
