"""Content-Security-Policy on every response: a nonce for scripts, nothing inline."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory

SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no CSP header on {response.request['PATH_INFO']}"
    return {d.split()[0]: d for d in (part.strip() for part in header.split(";")) if d}


def assert_strict_page(response):
    """The response carries a CSP with a nonce, and its HTML has nothing inline."""
    policy = _policy(response)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"])
    assert nonce, policy["script-src"]
    assert "'self'" in policy["style-src"] and "nonce" not in policy["style-src"]
    body = response.content.decode()
    assert not re.search(r"\sstyle\s*=", body, re.IGNORECASE), "inline style attribute"
    assert "<style" not in body.lower(), "inline <style> element"
    assert not INLINE_HANDLER.search(body), "inline event handler"
    assert "hx-on" not in body
    scripts = SCRIPT.findall(body)
    assert scripts, "the page loads htmx"
    for attributes in scripts:
        assert "src=" in attributes, f"inline <script{attributes}>"
        assert f'nonce="{nonce.group(1)}"' in attributes


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/does-not-exist/"])
def test_csp_anonymous_pages(client, db, path):
    assert_strict_page(client.get(path))


@pytest.mark.parametrize("path", ["/", "/me/", "/accounts/password/", "/accounts/login/?next=/me/"])
def test_csp_logged_in_pages(client, user, path):
    client.force_login(user)
    response = client.get(path)
    if response.status_code == 302:  # the login page sends a logged-in user on
        response = client.get(response["Location"])
    assert_strict_page(response)


def test_csp_on_form_errors_and_redirects(client, user):
    assert_strict_page(client.post("/accounts/login/", {"username": user.username, "password": "x"}))
    redirect = client.post("/settings/large-text/", {"large_text": "1", "next": "/"})
    assert redirect.status_code == 302
    assert "unsafe-inline" not in _policy(redirect)["script-src"]


def test_csp_nonce_changes_per_response(client, db):
    first = _policy(client.get("/"))["script-src"]
    second = _policy(client.get("/"))["script-src"]
    assert first != second


def test_csp_policy_forbids_framing_and_plugins(client, db):
    policy = _policy(client.get("/"))
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["object-src"] == "object-src 'none'"
    assert policy["default-src"] == "default-src 'self'"


def test_htmx_config_disables_inline_styles_and_eval(client, db):
    body = client.get(reverse("portal:home")).content.decode()
    assert '"includeIndicatorStyles": false' in body
    assert '"allowEval": false' in body
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
