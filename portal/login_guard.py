"""Login protection with django-axes: whose failures count, and what a locked-out person sees.

Axes counts failed logins in the database (``axes.models.AccessAttempt``, one row per
user name, address and browser) and refuses a login before the password is checked
once a key has too many failures within ``LOGIN_FAILURE_WINDOW``. The keys and their
limits (docs/operations.md, "Login protection"):

- an account from one address (``LOGIN_FAILURE_LIMIT``): one guesser at one account;
- an account from every address (``LOGIN_ACCOUNT_FAILURE_LIMIT``): a guesser spread
  over many addresses;
- one address for every account (``LOGIN_ADDRESS_FAILURE_LIMIT``): one password tried
  against many accounts.

Axes compares a single number with a single limit; ``LoginAttemptHandler`` gives each
key its own limit. The client's address comes from ``client_ip``: behind
``TRUSTED_PROXY_COUNT`` reverse proxies, the address the outermost trusted proxy saw.
"""

import ipaddress
import math
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import (
    get_client_username,
    get_cool_off,
    get_failure_limit,
    get_lockout_parameters,
)
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone

# Each lockout key of AXES_LOCKOUT_PARAMETERS and the setting that holds its limit.
KEY_LIMITS = {
    ("username", "ip_address"): "LOGIN_FAILURE_LIMIT",
    ("username",): "LOGIN_ACCOUNT_FAILURE_LIMIT",
    ("ip_address",): "LOGIN_ADDRESS_FAILURE_LIMIT",
}


def _address(value: str) -> str | None:
    """``value`` as a normalised IP address, or None. Accepts ``[v6]:port`` and ``v4:port``,
    which some proxies write; an IPv4-mapped IPv6 address becomes the IPv4 address."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def client_ip(request) -> str | None:
    """The client's address.

    With ``TRUSTED_PROXY_COUNT`` = N > 0, the N-th entry of X-Forwarded-For counted from the
    right: each trusted proxy appends the address it received the request from, so that entry
    was written by the outermost trusted proxy. Entries left of it were written by the client
    and are ignored. Without enough entries (the request did not come through the proxies) or
    with N = 0, REMOTE_ADDR.
    """
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted:
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= trusted:
            forwarded = _address(hops[-trusted])
            if forwarded is not None:
                return forwarded
    return _address(request.META.get("REMOTE_ADDR", ""))


def failure_limit(request, credentials) -> int:
    """Failures of one account from one address before that pair is refused (AXES_FAILURE_LIMIT)."""
    return settings.LOGIN_FAILURE_LIMIT


def cool_off(request) -> timedelta:
    """How long a failure counts (AXES_COOLOFF_TIME)."""
    return timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)


def _key(parameter) -> tuple[str, ...]:
    key = (parameter,) if isinstance(parameter, str) else tuple(parameter)
    if key not in KEY_LIMITS:
        raise ImproperlyConfigured(f"AXES_LOCKOUT_PARAMETERS has {parameter!r}, which has no limit in KEY_LIMITS")
    return key


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per key, and a reset on success that clears only
    what the person who got in did (their account from their address)."""

    def _key_attempts(self, request, credentials):
        """(limit, recent attempts) for each lockout key of this request."""
        parameters = get_lockout_parameters(request, credentials)
        attempts_list = self.get_user_attempts(request, credentials)
        return [
            (getattr(settings, KEY_LIMITS[_key(parameter)]), attempts)
            for parameter, attempts in zip(parameters, attempts_list, strict=True)
        ]

    def get_failures(self, request, credentials=None) -> int:
        # Axes locks when get_failures() >= AXES_FAILURE_LIMIT. Each key's count is scaled onto
        # that limit, so "scaled >= AXES_FAILURE_LIMIT" holds exactly when "count >= key's limit".
        limit = get_failure_limit(request, credentials)
        worst = 0
        for own_limit, attempts in self._key_attempts(request, credentials):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            worst = max(worst, failures * limit // own_limit)
        return worst

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A success clears the account's failures from this address only: failures of the same
        # account elsewhere, and of other accounts from this address, may be an attack and stay.
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials), ip_address=request.axes_ip_address
        ).delete()
        return count

    def locked_until(self, request, credentials=None) -> datetime | None:
        """When every key of this request is below its limit again, if no failure is added."""
        cool_off = get_cool_off(request)
        until = None
        for own_limit, attempts in self._key_attempts(request, credentials):
            rows = list(attempts.order_by("attempt_time").values_list("attempt_time", "failures_since_start"))
            remaining = sum(failures for _, failures in rows)
            # The oldest rows leave the window first; the key is free once the rest is below its limit.
            for attempt_time, failures in rows:
                if remaining < own_limit:
                    break
                remaining -= failures
                free_at = attempt_time + cool_off
                until = free_at if until is None else max(until, free_at)
        return until


def lockout_response(request, original_response=None, credentials=None):
    """The page for a refused login (AXES_LOCKOUT_CALLABLE): when to try again, status 429."""
    from axes.handlers.proxy import AxesProxyHandler

    handler = AxesProxyHandler.get_implementation()
    until = handler.locked_until(request, credentials) if isinstance(handler, LoginAttemptHandler) else None
    if until is None:
        until = timezone.now() + get_cool_off(request)
    seconds = max(60, math.ceil((until - timezone.now()).total_seconds()))
    response = render(
        request, "registration/locked_out.html",
        {"until": until, "minutes": math.ceil(seconds / 60)},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(seconds)
    return response
