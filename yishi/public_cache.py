"""Cached bodies of the anonymous pages (home, public list, proposal page, notice poster).

The key carries a version of everything those pages show: the newest proposal
event, vote and ledger entry (every service that changes what the public sees
writes one of them in its own transaction), and the current minute (notices
end and ballots close by the clock; "还剩 3 天" moves with it). So a new event,
vote or notice changes the key at once and the next request renders afresh; no
page waits for a timeout. The timeout only frees memory.

While one request renders a new version, concurrent ones get the previous body (a second old at
most); the next request after a change that finds no render under way gets the new one.

One caveat, bounded by the minute: two transactions may commit out of id order
(id 101 visible before id 100); a page rendered in between is keyed by 101 and
misses the event 100 until the minute turns.

Only the page's ``content`` partial is cached, never the whole response: the
layout around it carries the per-response CSP nonce, the CSRF token and the
language switch. Measured with scripts/bench.sh (docs/operations.md, Benchmark).
"""

from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

TIMEOUT = 300
LOCK_TIMEOUT = 10
# Append-only tables whose newest id versions the public pages (named, so this base module imports no app).
VERSION_MODELS = ("proposals.ProposalEvent", "proposals.Vote", "funding.LedgerEntry")


def public_version() -> str:
    """``<last event id>.<last vote id>.<last ledger id>.<minute>``: one query of three index lookups."""
    tables = [apps.get_model(label)._meta.db_table for label in VERSION_MODELS]
    sql = "SELECT " + ", ".join(f"(SELECT MAX(id) FROM {t})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        ids = cursor.fetchone()
    minute = int(timezone.now().timestamp() // 60)
    return ".".join(str(i or 0) for i in ids) + f".{minute}"


def cached_content(request, *, template: str, name: str, parts=(), context) -> str:
    """The ``content`` partial of ``template`` for an anonymous viewer, from the cache or rendered now.

    ``context`` is a callable building the page's context, called only on a miss.
    """
    page = ":".join(["public", name, translation.get_language() or "", *map(str, parts)])
    key = f"{page}:{public_version()}"
    body = cache.get(key)
    if body is not None:
        return body
    # One request renders a new version; the others meanwhile get the version before it rather
    # than all rendering the same page at once (at 16 connections every worker missed together
    # when the minute turned, and the page took seconds under that load).
    if cache.add(f"{key}:lock", 1, LOCK_TIMEOUT):
        body = render_to_string(f"{template}#content", context(), request)
        cache.set_many({key: body, f"{page}:last": body}, TIMEOUT)
        return body
    body = cache.get(f"{page}:last")
    if body is None:
        body = render_to_string(f"{template}#content", context(), request)
    return body


def is_anonymous(request) -> bool:
    return not request.user.is_authenticated
