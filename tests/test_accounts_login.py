"""Accounts: log in, log out, change password, and failed-login throttling."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"
THROTTLED = "登录失败次数过多"
WRONG = "用户名或密码不正确"


@pytest.fixture(autouse=True)
def _clean_cache(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW = 900
    cache.clear()
    yield
    cache.clear()


def _login(client, username, password, ip="10.0.0.1", next=None, forwarded=None):
    data = {"username": username, "password": password}
    if next is not None:
        data["next"] = next
    headers = {"x-forwarded-for": forwarded} if forwarded else None
    return client.post(LOGIN, data, REMOTE_ADDR=ip, headers=headers)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_url_names_match_settings():
    assert reverse("portal:login") == LOGIN
    assert reverse("portal:logout") == "/accounts/logout/"
    assert reverse("portal:password_change") == "/accounts/password/"
    assert reverse("portal:dashboard") == "/me/"


def test_login_page_renders_for_anonymous(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and 'name="password"' in body
    assert '<label for="id_username">' in body


def test_login_with_right_password_goes_to_dashboard(client, db):
    user = UserFactory()
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    assert _logged_in(client)


def test_login_follows_a_local_next_but_not_an_outside_one(client, db):
    user = UserFactory()
    response = _login(client, user.username, PASSWORD, next="/me/?x=1")
    assert response["Location"] == "/me/?x=1"
    client.logout()
    response = _login(client, user.username, PASSWORD, next="https://evil.example/steal")
    assert response["Location"] == reverse("portal:dashboard")


def test_login_with_wrong_password_says_so_and_stays_anonymous(client, db):
    user = UserFactory()
    response = _login(client, user.username, "not-the-password")
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert not _logged_in(client)


def test_login_throttled_after_limit_failures_for_one_username(client, db):
    user = UserFactory()
    # Failures from three different addresses: only the username's count reaches the limit.
    for n in range(3):
        response = _login(client, user.username, "wrong", ip=f"10.0.1.{n}")
        assert WRONG in response.content.decode()
    with mock.patch("portal.forms.authenticate") as authenticate:
        response = _login(client, user.username, PASSWORD, ip="10.0.1.99")
    assert response.status_code == 200
    assert THROTTLED in response.content.decode()
    assert "15 分钟" in response.content.decode()
    authenticate.assert_not_called()  # the password is not even checked
    assert not _logged_in(client)


def test_login_throttled_username_ignores_case_and_spaces(client, db):
    user = UserFactory(username="zhanghua")
    for n in range(3):
        _login(client, "ZhangHua", "wrong", ip=f"10.0.2.{n}")
    response = _login(client, "zhanghua", PASSWORD, ip="10.0.2.99")
    assert THROTTLED in response.content.decode()
    assert not _logged_in(client)
    assert user.pk


def test_login_throttled_after_limit_failures_from_one_address(client, db):
    victims = [UserFactory() for _ in range(3)]
    for victim in victims:
        _login(client, victim.username, "wrong", ip="10.0.3.7")
    other = UserFactory()
    with mock.patch("portal.forms.authenticate") as authenticate:
        response = _login(client, other.username, PASSWORD, ip="10.0.3.7")
    assert THROTTLED in response.content.decode()
    authenticate.assert_not_called()
    assert not _logged_in(client)
    # The same user from another address is not held back by that address.
    response = _login(client, other.username, PASSWORD, ip="10.0.3.8")
    assert response.status_code == 302 and _logged_in(client)


def test_login_below_limit_still_works(client, db):
    user = UserFactory()
    for n in range(2):
        _login(client, user.username, "wrong", ip=f"10.0.4.{n}")
    response = _login(client, user.username, PASSWORD, ip="10.0.4.9")
    assert response.status_code == 302 and _logged_in(client)


def test_login_success_clears_the_username_count(client, db):
    user = UserFactory()
    for n in range(2):
        _login(client, user.username, "wrong", ip=f"10.0.5.{n}")
    _login(client, user.username, PASSWORD, ip="10.0.5.9")
    client.post(reverse("portal:logout"))
    for n in range(2):
        _login(client, user.username, "wrong", ip=f"10.0.6.{n}")
    response = _login(client, user.username, PASSWORD, ip="10.0.6.9")
    assert response.status_code == 302


def test_login_throttle_ends_after_the_window(client, db):
    user = UserFactory()
    with time_machine.travel("2026-03-01 09:00:00+08:00", tick=False) as clock:
        for n in range(3):
            _login(client, user.username, "wrong", ip=f"10.0.7.{n}")
        assert THROTTLED in _login(client, user.username, PASSWORD, ip="10.0.7.9").content.decode()
        clock.shift(timedelta(seconds=901))
        response = _login(client, user.username, PASSWORD, ip="10.0.7.9")
        assert response.status_code == 302 and _logged_in(client)


def test_login_throttle_uses_forwarded_address_only_behind_trusted_proxies(client, db, settings):
    user = UserFactory()
    # Without trusted proxies a client-written X-Forwarded-For is ignored: all three share REMOTE_ADDR.
    for n in range(3):
        _login(client, f"nobody{n}", "wrong", ip="10.0.8.1", forwarded=f"192.0.2.{n}")
    assert THROTTLED in _login(client, user.username, PASSWORD, ip="10.0.8.1").content.decode()
    cache.clear()
    settings.LOGIN_TRUSTED_PROXIES = 1
    for n in range(3):
        _login(client, f"nobody{n}", "wrong", ip="10.0.8.1", forwarded=f"192.0.2.{n}")
    response = _login(client, user.username, PASSWORD, ip="10.0.8.1", forwarded="192.0.2.50")
    assert response.status_code == 302


def test_logout_refuses_get(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("portal:logout"))
    assert response.status_code == 405
    assert _logged_in(client)


def test_logout_by_post_ends_the_session(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("portal:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert not _logged_in(client)
    assert "您已退出登录" in client.get(reverse("portal:home")).content.decode()


def test_password_change_needs_login(client, db):
    response = client.get(reverse("portal:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_password_change_with_wrong_old_password_changes_nothing(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("portal:password_change"), {
        "old_password": "wrong", "new_password1": "Qingshui-river-2026", "new_password2": "Qingshui-river-2026",
    })
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_works_and_keeps_the_session(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("portal:password_change"), {
        "old_password": PASSWORD, "new_password1": "Qingshui-river-2026", "new_password2": "Qingshui-river-2026",
    })
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")
    user.refresh_from_db()
    assert user.check_password("Qingshui-river-2026")
    page = client.get(reverse("portal:dashboard"))
    assert page.status_code == 200  # still logged in
    assert "密码已修改" in page.content.decode()
