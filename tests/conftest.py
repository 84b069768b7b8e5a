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
def _media_in_tmp(settings, tmp_path_factory):
    """Uploaded photos (and the demo seed's) go to a temporary folder, never to var/media."""
    root = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}}


@pytest.fixture(autouse=True)
def _empty_cache():
    # The rate limits count in the cache (local memory in tests): each test starts from zero,
    # as a new day would, so one test's posts never count against the next.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def pytest_collection_modifyitems(config, items):
    # Tests that start real Celery workers or Redis share one Redis database (YISHI_TEST_REDIS_URL):
    # under pytest-xdist (scripts/test.sh, --dist loadgroup) they all run on one worker, in turn.
    for item in items:
        if item.get_closest_marker("services"):
            item.add_marker(pytest.mark.xdist_group("redis"))
