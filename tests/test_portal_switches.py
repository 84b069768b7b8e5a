"""The language switch and the larger-text switch in the header."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

LARGE = "/settings/large-text/"


def test_language_switch_to_english_and_back(client, db):
    page = client.get("/").content.decode()
    assert '<html lang="zh-hans"' in page
    assert 'action="/i18n/setlang/"' in page and 'value="en"' in page
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="en"' in page
    assert 'value="zh-hans"' in page  # the switch now offers Chinese
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans"' in client.get("/").content.decode()


def test_large_text_switch_sets_cookie_and_class(client, db):
    assert 'class="large-text"' not in client.get("/").content.decode()
    response = client.post(LARGE, {"large_text": "1", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert response.cookies["large_text"].value == "1"
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans" class="large-text">' in page
    assert 'value="0" aria-pressed="true"' in page
    response = client.post(LARGE, {"large_text": "0", "next": "/"})
    assert response.cookies["large_text"].value == "0"
    assert 'class="large-text"' not in client.get("/").content.decode()


def test_large_text_switch_is_saved_on_the_account(client, db):
    user = UserFactory()
    client.force_login(user)
    client.post(LARGE, {"large_text": "1", "next": "/me/"})
    user.refresh_from_db()
    assert user.large_text is True
    # Another device without the cookie still gets large text from the account.
    other = client.__class__()
    other.force_login(user)
    assert 'class="large-text"' in other.get("/").content.decode()
    client.post(LARGE, {"large_text": "0", "next": "/me/"})
    user.refresh_from_db()
    assert user.large_text is False


def test_large_text_switch_refuses_get(client, db):
    assert client.get(LARGE).status_code == 405


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_large_text_switch_never_redirects_off_site(client, db, next_url):
    response = client.post(LARGE, {"large_text": "1", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_large_text_switch_with_bad_value_changes_nothing(client, db):
    response = client.post(LARGE, {"large_text": "huge", "next": "/"})
    assert response.status_code == 302
    assert "large_text" not in response.cookies
