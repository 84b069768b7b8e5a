"""Failed-login throttling, per username and per client address.

Counts live in the Django cache (Redis in production, so every worker sees the
same counts). A counter starts at the first failure and expires
``LOGIN_FAILURE_WINDOW`` seconds later; at ``LOGIN_FAILURE_LIMIT`` failures the
username, or the address, is refused until then — without checking the
password, so a guesser learns nothing from a refused attempt.
"""

import hashlib
import math

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    """The client's address. Behind ``LOGIN_TRUSTED_PROXIES`` reverse proxies, the
    address those proxies appended to X-Forwarded-For; otherwise REMOTE_ADDR (a
    client can write any X-Forwarded-For it likes)."""
    trusted = getattr(settings, "LOGIN_TRUSTED_PROXIES", 0)
    if trusted:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= trusted:
            return hops[-trusted]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(username: str | None, ip: str) -> list[str]:
    keys = [f"yishi:login-fail:ip:{ip}"]
    if username:
        digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
        keys.append(f"yishi:login-fail:user:{digest}")
    return keys


def _limit() -> int:
    return settings.LOGIN_FAILURE_LIMIT


def _window() -> int:
    return settings.LOGIN_FAILURE_WINDOW


def is_throttled(username: str | None, ip: str) -> bool:
    counts = cache.get_many(_keys(username, ip))
    return any(count >= _limit() for count in counts.values())


def record_failure(username: str | None, ip: str) -> None:
    for key in _keys(username, ip):
        # add() starts the window only for the first failure; incr() keeps its expiry.
        cache.add(key, 0, timeout=_window())
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=_window())


def clear_username(username: str) -> None:
    """A correct password clears that username's count (not the address's)."""
    cache.delete(_keys(username, "")[1])


def window_minutes() -> int:
    return max(1, math.ceil(_window() / 60))
