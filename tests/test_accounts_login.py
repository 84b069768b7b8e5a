"""Accounts: log in, log out, change password, and failed-login protection (django-axes).

Limits in these tests: 3 failures of one account from one address, 6 of one account from
all addresses, 9 from one address for all accounts, within 15 minutes.
"""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.contrib.auth.backends import ModelBackend
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"
LOCKED = "登录失败次数过多"
WRONG = "用户名或密码不正确"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 6
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 9
    settings.LOGIN_FAILURE_WINDOW = 900
    settings.TRUSTED_PROXY_COUNT = 0


def _login(client, username, password, ip="10.0.0.1", next=None, forwarded=None):
    data = {"username": username, "password": password}
    if next is not None:
        data["next"] = next
    headers = {"x-forwarded-for": forwarded} if forwarded else None
    return client.post(LOGIN, data, REMOTE_ADDR=ip, headers=headers)


def _locked(response) -> bool:
    return response.status_code == 429 and LOCKED in response.content.decode()


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


def test_login_locked_after_limit_failures_of_one_account_from_one_address(client, db):
    user = UserFactory()
    for _ in range(2):
        response = _login(client, user.username, "wrong", ip="10.0.1.1")
        assert response.status_code == 200 and WRONG in response.content.decode()
    assert _locked(_login(client, user.username, "wrong", ip="10.0.1.1"))  # the third failure locks
    with mock.patch.object(ModelBackend, "authenticate") as authenticate:
        response = _login(client, user.username, PASSWORD, ip="10.0.1.1")
    assert _locked(response)
    authenticate.assert_not_called()  # the password is not even checked
    assert not _logged_in(client)
    # The same account from another address is not held back by that pair.
    response = _login(client, user.username, PASSWORD, ip="10.0.1.2")
    assert response.status_code == 302 and _logged_in(client)


def test_login_locked_after_limit_failures_of_one_account_from_many_addresses(client, db):
    user = UserFactory()
    # Two failures from each of three addresses: no pair reaches 3, the account reaches 6.
    for n in range(6):
        response = _login(client, user.username, "wrong", ip=f"10.0.2.{n // 2}")
    assert _locked(response)
    with mock.patch.object(ModelBackend, "authenticate") as authenticate:
        response = _login(client, user.username, PASSWORD, ip="10.0.2.99")
    assert _locked(response)
    authenticate.assert_not_called()
    assert not _logged_in(client)


def test_login_lock_cannot_be_got_round_by_spaces_or_case(client, db):
    user = UserFactory(username="zhanghua")
    for _ in range(3):
        _login(client, "zhanghua", "wrong", ip="10.0.3.1")
    # The form strips spaces, so " zhanghua " is the same locked account.
    assert _locked(_login(client, " zhanghua ", PASSWORD, ip="10.0.3.1"))
    # Another spelling is a key of its own, but user names are exact: it is not this account.
    response = _login(client, "ZhangHua", PASSWORD, ip="10.0.3.1")
    assert response.status_code == 200 and WRONG in response.content.decode()
    assert not _logged_in(client)
    assert user.pk


def test_login_locked_after_limit_failures_from_one_address_for_many_accounts(client, db):
    victims = [UserFactory() for _ in range(5)]
    for n in range(9):  # two guesses at each account: no pair and no account reaches its limit
        response = _login(client, victims[n % 5].username, "wrong", ip="10.0.4.7")
    assert _locked(response)
    other = UserFactory()
    with mock.patch.object(ModelBackend, "authenticate") as authenticate:
        response = _login(client, other.username, PASSWORD, ip="10.0.4.7")
    assert _locked(response)
    authenticate.assert_not_called()
    assert not _logged_in(client)
    # The same user from another address is not held back by that address.
    response = _login(client, other.username, PASSWORD, ip="10.0.4.8")
    assert response.status_code == 302 and _logged_in(client)


def test_one_guesser_at_one_account_does_not_lock_out_others_at_the_same_address(client, db):
    victim, neighbour = UserFactory(), UserFactory()
    for _ in range(20):  # far past every limit; refused attempts are not counted
        _login(client, victim.username, "wrong", ip="10.0.5.1")
    response = _login(client, neighbour.username, PASSWORD, ip="10.0.5.1")
    assert response.status_code == 302 and _logged_in(client)
    client.post(reverse("portal:logout"))
    # Nor the victim elsewhere: one address adds at most 3 to the account's count of 6.
    response = _login(client, victim.username, PASSWORD, ip="10.0.5.2")
    assert response.status_code == 302 and _logged_in(client)


def test_login_below_limit_still_works(client, db):
    user = UserFactory()
    for _ in range(2):
        _login(client, user.username, "wrong", ip="10.0.6.1")
    response = _login(client, user.username, PASSWORD, ip="10.0.6.1")
    assert response.status_code == 302 and _logged_in(client)


def test_login_success_clears_the_failures_of_that_account_from_that_address(client, db):
    user = UserFactory()
    for _ in range(2):
        _login(client, user.username, "wrong", ip="10.0.7.1")
    _login(client, user.username, PASSWORD, ip="10.0.7.1")
    client.post(reverse("portal:logout"))
    for _ in range(2):
        _login(client, user.username, "wrong", ip="10.0.7.1")
    response = _login(client, user.username, PASSWORD, ip="10.0.7.1")
    assert response.status_code == 302


def test_login_success_keeps_failures_from_other_addresses(client, db):
    user = UserFactory()
    for n in range(5):  # someone else, spread over addresses: 5 of the account's 6
        _login(client, user.username, "wrong", ip=f"10.0.8.{n}")
    assert _login(client, user.username, PASSWORD, ip="10.0.8.50").status_code == 302
    client.post(reverse("portal:logout"))
    # The owner's success did not wipe the guesser's count: one more failure locks the account.
    assert _locked(_login(client, user.username, "wrong", ip="10.0.8.60"))


def test_login_lock_ends_after_the_window(client, db):
    user = UserFactory()
    with time_machine.travel("2026-03-01 09:00:00+08:00", tick=False) as clock:
        for _ in range(3):
            _login(client, user.username, "wrong", ip="10.0.9.1")
        assert _locked(_login(client, user.username, PASSWORD, ip="10.0.9.1"))
        clock.shift(timedelta(seconds=901))
        response = _login(client, user.username, PASSWORD, ip="10.0.9.1")
        assert response.status_code == 302 and _logged_in(client)


def test_lockout_page_says_when_to_try_again(client, db):
    user = UserFactory()
    with time_machine.travel("2026-03-01 09:00:00+08:00", tick=False) as clock:
        for _ in range(2):
            _login(client, user.username, "wrong", ip="10.0.10.1")
        clock.shift(timedelta(minutes=5))
        response = _login(client, user.username, "wrong", ip="10.0.10.1")
        assert _locked(response)
        body = response.content.decode()
        # The last failure was at 09:05 (Shanghai time); the lock lifts 15 minutes later.
        assert "09:20" in body and "约 15 分钟" in body
        assert response["Retry-After"] == "900"
        clock.shift(timedelta(minutes=10))
        body = _login(client, user.username, PASSWORD, ip="10.0.10.1").content.decode()
        assert "09:20" in body and "约 5 分钟" in body


def test_lockout_page_in_english(client, db):
    user = UserFactory()
    for _ in range(3):
        response = client.post(LOGIN, {"username": user.username, "password": "wrong"},
                               REMOTE_ADDR="10.0.11.1", headers={"accept-language": "en"})
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed login attempts" in body and "minutes" in body


def test_login_uses_forwarded_address_only_behind_trusted_proxies(client, db, settings):
    user = UserFactory()
    # Without trusted proxies a client-written X-Forwarded-For is ignored: all share REMOTE_ADDR.
    for n in range(3):
        _login(client, user.username, "wrong", ip="10.0.12.1", forwarded=f"192.0.2.{n}")
    assert _locked(_login(client, user.username, PASSWORD, ip="10.0.12.1", forwarded="192.0.2.50"))
    settings.TRUSTED_PROXY_COUNT = 1
    # Behind one trusted proxy each forwarded address is a client of its own.
    response = _login(client, user.username, PASSWORD, ip="10.0.12.1", forwarded="192.0.2.50")
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
