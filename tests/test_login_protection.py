"""Login protection (issue 9, findings 2, 4, 5 and 10).

2: login (and every page) answers while Redis is down.
4: failures are counted per account and per client address, the address taken from the
   trusted proxies only, so one guesser behind the proxy cannot lock everyone out.
5: /admin/login/ has the same protection.
10: signing in as someone else logs the previous person out; ``?next=`` reveals nothing.
"""

import shutil
import socket
import subprocess
import time

import pytest
import redis
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from portal.login_guard import client_ip
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
LOCKED = "登录失败次数过多"
PROXY = "10.0.0.2"  # the reverse proxy's address, as the app sees it


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 20
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 50
    settings.LOGIN_FAILURE_WINDOW = 900
    settings.TRUSTED_PROXY_COUNT = 0


def _post(client, url, username, password, *, ip=PROXY, forwarded=None, **data):
    headers = {"x-forwarded-for": forwarded} if forwarded else None
    return client.post(url, {"username": username, "password": password, **data}, REMOTE_ADDR=ip, headers=headers)


def _locked(response) -> bool:
    return response.status_code == 429 and LOCKED in response.content.decode()


def _logged_in_as(client, user) -> bool:
    return client.session.get("_auth_user_id") == str(user.pk)


# --- 4: the client's address and the keys ------------------------------------------------


def _request(remote="10.0.0.2", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, "10.0.0.2", "198.51.100.7", "10.0.0.2"),  # no trusted proxy: the header is the client's own
        (1, "10.0.0.2", "198.51.100.7", "198.51.100.7"),
        (1, "10.0.0.2", "6.6.6.6, 1.2.3.4, 198.51.100.7", "198.51.100.7"),  # spoofed entries ignored
        (2, "10.0.0.3", "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (2, "10.0.0.3", "198.51.100.7", "10.0.0.3"),  # not through both proxies: REMOTE_ADDR
        (1, "10.0.0.2", None, "10.0.0.2"),
        (1, "10.0.0.2", "6.6.6.6, not-an-address", "10.0.0.2"),  # garbage never reaches the database
        (1, "10.0.0.2", "198.51.100.7:51234", "198.51.100.7"),
        (1, "10.0.0.2", "[2001:db8::7]:443", "2001:db8::7"),
        (1, "10.0.0.2", "::ffff:198.51.100.7", "198.51.100.7"),
        (0, "", None, None),
    ],
)
def test_client_ip_takes_the_address_the_outermost_trusted_proxy_saw(settings, count, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(remote, forwarded)) == expected


def test_one_guesser_behind_the_proxy_does_not_lock_out_other_users(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    victim, neighbour = UserFactory(), UserFactory()
    for n in range(30):
        response = _post(client, LOGIN, victim.username, "wrong", forwarded=f"203.0.113.{n}, 198.51.100.7")
    assert _locked(response)
    # Every user comes through the same proxy address; only the guesser's address is held back.
    response = _post(client, LOGIN, neighbour.username, PASSWORD, forwarded="198.51.100.8")
    assert response.status_code == 302 and _logged_in_as(client, neighbour)
    client.post(reverse("portal:logout"))
    response = _post(client, LOGIN, victim.username, PASSWORD, forwarded="198.51.100.9")
    assert response.status_code == 302 and _logged_in_as(client, victim)


def test_spoofed_forwarded_entries_do_not_make_a_new_client(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory()
    for n in range(5):
        # The guesser writes a different X-Forwarded-For each time; the proxy appends the real address.
        response = _post(client, LOGIN, user.username, "wrong", forwarded=f"192.0.2.{n}, 198.51.100.7")
    assert _locked(response)
    assert _locked(_post(client, LOGIN, user.username, PASSWORD, forwarded="192.0.2.77, 198.51.100.7"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_one_account_is_not_brute_forced_from_many_addresses(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory()
    for n in range(20):  # 4 guesses from each of 5 addresses: every pair stays below 5
        _post(client, LOGIN, user.username, "wrong", forwarded=f"198.51.100.{n // 4}")
    assert _locked(_post(client, LOGIN, user.username, PASSWORD, forwarded="198.51.100.200"))


def test_staff_unlock_an_account_with_the_axes_command(client):
    user = UserFactory()
    for _ in range(5):
        _post(client, LOGIN, user.username, "wrong")
    assert _locked(_post(client, LOGIN, user.username, PASSWORD))
    call_command("axes_reset_username", user.username)
    response = _post(client, LOGIN, user.username, PASSWORD)
    assert response.status_code == 302 and _logged_in_as(client, user)


def test_staff_see_and_clear_attempts_in_the_admin(client):
    user = UserFactory()
    for _ in range(5):
        _post(client, LOGIN, user.username, "wrong")
    attempt = AccessAttempt.objects.get(username=user.username)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert page.status_code == 200 and user.username in page.content.decode()
    response = client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302 and not AccessAttempt.objects.exists()


# --- 5: the admin's login --------------------------------------------------------------


def test_admin_login_is_locked_after_wrong_superuser_passwords(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    statuses = [
        _post(client, ADMIN_LOGIN, admin.username, f"guess-{n}", next="/admin/").status_code for n in range(6)
    ]
    assert statuses == [200, 200, 200, 200, 429, 429]
    response = _post(client, ADMIN_LOGIN, admin.username, PASSWORD, next="/admin/")
    assert _locked(response)
    assert "_auth_user_id" not in client.session
    # From another address the admin still gets in.
    response = _post(client, ADMIN_LOGIN, admin.username, PASSWORD, ip="10.0.0.9", next="/admin/")
    assert response.status_code == 302 and _logged_in_as(client, admin)


def test_lockout_page_keeps_the_strict_policy(client):
    from tests.test_csp_headers import assert_strict_page

    user = UserFactory()
    for _ in range(5):
        response = _post(client, LOGIN, user.username, "wrong")
    assert _locked(response)
    assert_strict_page(response)


def test_admin_and_portal_failures_count_together(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    for _ in range(3):
        _post(client, ADMIN_LOGIN, admin.username, "wrong", next="/admin/")
    for _ in range(2):
        response = _post(client, LOGIN, admin.username, "wrong")
    assert _locked(response)


# --- 2: Redis down --------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of this test's own on a free port; ``stop()`` ends exactly that process."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (Debian: apt-get install redis-server)")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    pytest.fail(f"private redis-server on port {self.port} did not start")
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    yield server
    server.stop()


def _caches(backend, url):
    return {"default": {"BACKEND": backend, "LOCATION": url,
                        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}


@pytest.mark.parametrize("backend", ["django.core.cache.backends.redis.RedisCache", "yishi.cache.DegradingRedisCache"])
def test_login_and_pages_answer_while_redis_is_down(client, settings, private_redis, backend):
    settings.CACHES = _caches(backend, private_redis.url)
    cache.set("probe", 1)
    assert cache.get("probe") == 1  # the cache really is that Redis
    user = UserFactory()
    private_redis.stop()
    assert client.get(LOGIN).status_code == 200
    response = _post(client, LOGIN, user.username, "wrong")
    assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
    response = _post(client, LOGIN, user.username, PASSWORD)
    assert response.status_code == 302 and _logged_in_as(client, user)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    assert client.get(reverse("portal:home")).status_code == 200


def test_lockout_holds_while_redis_is_down(client, settings, private_redis):
    settings.CACHES = _caches("yishi.cache.DegradingRedisCache", private_redis.url)
    user = UserFactory()
    private_redis.stop()
    for _ in range(5):
        response = _post(client, LOGIN, user.username, "wrong")
    assert _locked(response)
    assert _locked(_post(client, LOGIN, user.username, PASSWORD))


def test_degrading_cache_misses_and_drops_writes_while_redis_is_down(settings, private_redis):
    settings.CACHES = _caches("yishi.cache.DegradingRedisCache", private_redis.url)
    cache.set("kept", "yes")
    cache.set("count", 1)
    assert cache.get("kept") == "yes" and cache.incr("count", 2) == 3  # a working cache while Redis is up
    private_redis.stop()
    assert cache.get("kept") is None
    assert cache.get("kept", "fallback") == "fallback"
    assert cache.get_many(["kept", "other"]) == {}
    assert cache.get_or_set("computed", lambda: 42) == 42
    cache.set("new", 1)  # dropped, no error
    assert cache.add("new", 1) is False
    assert cache.incr("counter", 3) == 3
    assert cache.has_key("kept") is False
    cache.delete("kept")
    cache.delete_many(["kept", "new"])
    assert cache.set_many({"a": 1}) == ["a"]


def test_stock_redis_cache_fails_while_redis_is_down(settings, private_redis):
    # The degradation is the wrapper's doing: the stock backend raises (this test can fail).
    settings.CACHES = _caches("django.core.cache.backends.redis.RedisCache", private_redis.url)
    private_redis.stop()
    with pytest.raises(redis.ConnectionError):
        cache.get("kept")


# --- 10: one device, two people -------------------------------------------------------


def test_login_page_offers_the_form_to_a_signed_in_visitor(client):
    first = UserFactory()
    client.force_login(first)
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and "会先让当前账户退出" in body


def test_signing_in_as_someone_else_logs_the_previous_user_out(client):
    first, second = UserFactory(full_name="王秀兰"), UserFactory(full_name="李建国")
    assert _post(client, LOGIN, first.username, PASSWORD).status_code == 302
    first_session = client.session.session_key
    client.post(reverse("portal:password_change"), {
        "old_password": PASSWORD, "new_password1": "Qingshui-river-2026", "new_password2": "Qingshui-river-2026",
    })  # leaves "密码已修改" waiting for the first user
    response = _post(client, LOGIN, second.username, PASSWORD)
    assert response.status_code == 302 and _logged_in_as(client, second)
    assert client.session.session_key != first_session
    assert not Session.objects.filter(session_key=first_session).exists()
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "李建国" in page
    assert "王秀兰" not in page and "密码已修改" not in page


def test_a_failed_sign_in_as_someone_else_changes_nothing(client):
    first, second = UserFactory(), UserFactory()
    client.force_login(first)
    response = _post(client, LOGIN, second.username, "wrong")
    assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
    assert _logged_in_as(client, first)


@pytest.mark.parametrize("next_url", ["/me/", "/admin/", "https://evil.example/", "/nothing-here/"])
def test_next_probe_answers_the_same_signed_in_or_not(client, next_url):
    anonymous = client.get(LOGIN, {"next": next_url})
    client.force_login(UserFactory())
    signed_in = client.get(LOGIN, {"next": next_url})
    assert anonymous.status_code == signed_in.status_code == 200
    assert not anonymous.has_header("Location") and not signed_in.has_header("Location")


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/me/?tab=1", "/me/?tab=1"),
        ("http://testserver/me/", "/me/"),  # same host, but not a path: dropped
        ("//testserver/me/", "/me/"),
        ("//evil.example/", "/me/"),
        ("/\\evil.example/", "/me/"),
        ("https://evil.example/", "/me/"),
        ("javascript:alert(1)", "/me/"),
    ],
)
def test_login_follows_only_a_path_on_this_site(client, next_url, expected):
    user = UserFactory()
    response = _post(client, LOGIN, user.username, PASSWORD, next=next_url)
    assert response.status_code == 302 and response["Location"] == expected


def test_login_page_echoes_only_a_safe_next(client):
    body = client.get(LOGIN, {"next": "https://evil.example/"}).content.decode()
    assert '<input type="hidden" name="next" value="">' in body
    body = client.get(LOGIN, {"next": "/me/"}).content.decode()
    assert 'name="next" value="/me/"' in body
