"""Cached bodies of the public pages (home, public list, proposal page, notice poster) and the tally.

Keyed by what changes them, never by a timeout alone. The key of an anonymous page carries
``public_version()``: the newest proposal event, vote and ledger entry (every service that changes
what those pages show writes one of them in its own transaction: a notice, an objection and its
answer, a withdrawal, a ballot's result, a hold, a rating, money in or out), and the current minute
(notices end and ballots close by the clock; "还剩 3 天" moves with it). So the next request after a
change renders afresh; the timeout only frees memory. A page that shows something written without
such a row adds its own part to the key (the paid refunds of a settled proposal's accounts).

One caveat, bounded by the minute: two transactions may commit out of id order (id 101 visible
before id 100); a page rendered in between is keyed by 101 and misses the event 100 until the
minute turns.

While one request renders a new version, concurrent requests for the same page get the body it
replaces instead of all rendering the same page at once (at 16 connections every worker missed
together when the minute turned); the lock lasts as long as one render at most (LOCK_TIMEOUT).

Only the page's ``content`` partial is cached, never the whole response: the layout around it
carries the per-response CSP nonce, the CSRF token, the language switch and the large-text switch.
The cache is Django's default (Redis in production, shared by every worker; each worker's memory
without ``REDIS_URL``); while Redis is down every request renders: yishi.cache degrades quietly,
and with any other backend the lookups here catch the error themselves (a page never fails
because its cache is unreachable).
"""

import logging

from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

TIMEOUT = 300
LOCK_TIMEOUT = 5
# Append-only tables whose newest id versions the public pages (named, so this module imports no app).
# Each MAX(id) is one step down the primary key's index.
VERSION_MODELS = ("proposals.ProposalEvent", "proposals.Vote", "funding.LedgerEntry")


def minute() -> int:
    return int(timezone.now().timestamp() // 60)


def public_version() -> str:
    """``<last event id>.<last vote id>.<last ledger id>.<minute>``, in one query."""
    tables = [apps.get_model(label)._meta.db_table for label in VERSION_MODELS]
    sql = "SELECT " + ", ".join(f"(SELECT MAX(id) FROM {connection.ops.quote_name(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        ids = cursor.fetchone()
    return ".".join(str(i or 0) for i in ids) + f".{minute()}"


def paid_refunds(proposal_id: int) -> int:
    """How many refunds of a proposal's contributions are paid back: the final accounts show it and
    ``refund_pay`` writes no event (named by label, so proposals need not import funding)."""
    refund = apps.get_model("funding.Refund")
    return refund.objects.filter(contribution__proposal_id=proposal_id, paid_on__isnull=False).count()


def cached_fragment(page: str, version: str, render, *, fresh=None):
    """What ``render()`` made of ``page`` at ``version``, from the cache, or ``render()`` now (and stored).

    ``page`` names the page and everything the viewer chose (language, filters, page number);
    ``version`` names the state of the data it shows; ``fresh(entry)``, if given, may still
    refuse a cached entry (a part of the state that is cheaper to check after the lookup).
    ``render`` may raise (a 404): nothing is stored then.
    """
    key = f"{page}:{version}"
    try:
        body = cache.get(key)
        if body is not None and (fresh is None or fresh(body)):
            return body
        rendering_here = cache.add(f"{key}:lock", 1, LOCK_TIMEOUT)
    except Exception:  # the cache (Redis) is unreachable: render, as with no cache at all
        logger.warning("public page rendered without its cache, the cache is unreachable: %s", page, exc_info=True)
        return render()
    if rendering_here:
        body = render()
        try:
            cache.set_many({key: body, f"{page}:last": body}, TIMEOUT)
        except Exception:
            logger.warning("public page not stored, the cache is unreachable: %s", page, exc_info=True)
        return body
    # Another request is rendering this version right now: the version before it, rendered
    # moments ago, rather than one more render of the same page.
    try:
        body = cache.get(f"{page}:last")
    except Exception:  # unreachable since the lookup above: render
        body = None
    return body if body is not None and (fresh is None or fresh(body)) else render()


def cached_content(request, *, template: str, name: str, parts=(), context, version: str | None = None) -> str:
    """The ``content`` partial of ``template`` for an anonymous viewer, from the cache or rendered now.

    ``context`` is a callable building the page's context, called only on a miss; ``parts`` name
    what the viewer chose (filters, page); ``version`` adds to ``public_version()`` what only this
    page shows.
    """
    page = ":".join(["public", name, translation.get_language() or "", *map(str, parts)])
    full_version = public_version() + (f".{version}" if version else "")
    return cached_fragment(page, full_version,
                           lambda: render_to_string(f"{template}#content", context(), request))


def is_anonymous(request) -> bool:
    return not request.user.is_authenticated
