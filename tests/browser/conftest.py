"""Fixtures of the browser tests: Debian's Chromium (never a downloaded browser), one per session,
and a fresh, watched browser context for each person in a test.

Without /usr/bin/chromium the tests skip on a workstation and FAIL in CI (``CI`` set),
so a CI image that lost its browser cannot pass by skipping them.
"""

import os
import threading
from pathlib import Path

import pytest

from .helpers import CHROMIUM, CHROMIUM_ARGS, Watch, new_context


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"the browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI is set, so this is a failure, not a skip")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def watch():
    return Watch()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _save_failure_pages(request, contexts) -> None:
    """A failed test leaves a screenshot of every open page in test-results/ (git-ignored)."""
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    out = Path(__file__).resolve().parents[2] / "test-results" / request.node.name
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for context in contexts:
        for page in context.pages:
            n += 1
            try:
                page.screenshot(path=str(out / f"page{n}.png"), full_page=True)
                (out / f"page{n}.url").write_text(page.url)
            except Exception:
                pass


class _OneRequestAtATime:
    """The live server's application, one request at a time.

    On SQLite the test database is in memory and the live server's threads share its one
    connection; a page with several photos makes the browser ask for them at once, and
    concurrent use of one SQLite connection fails ("bad parameter or other API misuse").
    The response body (a photo's bytes) is sent outside the lock; it reads no database.
    """

    def __init__(self, application):
        self.application = application
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return self.application(environ, start_response)


@pytest.fixture(scope="session", autouse=True)
def _serial_live_server_on_sqlite(live_server):
    from django.db import connection

    if connection.vendor == "sqlite":
        httpd = live_server.thread.httpd
        httpd.set_app(_OneRequestAtATime(httpd.get_app()))
    return live_server


@pytest.fixture
def people(request, browser, live_server, transactional_db, watch):
    """``people()`` opens a new browser context (a person on their own phone or desktop).

    Every page of every context is watched; the test ends with ``watch.assert_clean()``,
    and the contexts are closed afterwards.
    """
    contexts = []

    def open_context(**kwargs):
        context = new_context(browser, live_server.url, watch, **kwargs)
        contexts.append(context)
        return context

    yield open_context
    _save_failure_pages(request, contexts)
    for context in contexts:
        try:
            context.close()
        except Exception:  # a context already closed by the test
            pass

