import os

import pytest
from django.db import connection

# Playwright's browser runs in the same process as pytest-django.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def postgres():
    """Tests of real concurrency need PostgreSQL (row locks, parallel transactions).

    On the SQLite pass they are skipped with the reason; the PostgreSQL pass sets
    YISHI_REQUIRE_POSTGRES=1 (as .ci/run does), and there a missing PostgreSQL
    fails the test instead of hiding behind a skip.
    """
    if connection.vendor != "postgresql":
        message = "needs PostgreSQL (DATABASE_URL=postgres://...): row locks and real concurrency"
        if os.environ.get("YISHI_REQUIRE_POSTGRES"):
            pytest.fail(f"YISHI_REQUIRE_POSTGRES is set but the database is {connection.vendor}: {message}")
        pytest.skip(message + "; runs in the PostgreSQL pass")
    return connection


@pytest.fixture
def world(db):
    from tests.factories import build_world

    return build_world()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Factories make dozens of users; PBKDF2 would cost seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (zh-hans). LocaleMiddleware activates a request's
    language in the thread and leaves it there, so an English request in one test would otherwise
    turn the next test's refusal messages English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached public pages are keyed by the newest row ids,
    and SQLite hands out the ids of a rolled-back test again."""
    from django.core.cache import cache

    cache.clear()
