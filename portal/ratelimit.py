"""Rate limits on every form that creates rows: a flood gets a clear 429 page, never a 500.

One table, keyed by URL name, says how many POSTs one person (or, signed out,
one address) may send to a form in a window; the middleware counts in the
cache (Redis in production, so every worker sees the same count) and answers
429 with a sentence when the count is spent. A new app's creating form is one
more line in ``LIMITS``.

When the cache is down the limit lets the request through and logs a warning.
Refusing every resident's objection or vote during a Redis outage would stop
the process for everyone, while the limits that protect the process's meaning
are in the database and hold without Redis: an elector votes once, a resident
files at most ``MAX_OBJECTIONS_PER_NOTICE`` objections per notice and the same
text once, a release happens once. What is lost during an outage is only the
flood guard's count.
"""

import logging
import math

from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _

from .middleware import safe_referer

logger = logging.getLogger(__name__)

MINUTE, HOUR = 60, 3600

# URL name -> (POSTs allowed, window in seconds). Generous for a person's real work (staff
# entering a stack of paper receipts, a meeting's worth of votes), far below a script's flood.
LIMITS: dict[str, tuple[int, int]] = {
    "proposals:create": (20, HOUR),
    "proposals:edit": (120, HOUR),
    "proposals:objection_file": (10, 10 * MINUTE),
    "proposals:objection_answer": (120, HOUR),
    "proposals:rate": (10, HOUR),
    "proposals:vote": (60, 10 * MINUTE),
    "proposals:meeting_new": (30, HOUR),
    "proposals:agenda_add": (60, HOUR),
    "funding:contribution_add": (300, HOUR),
    "funding:bid_add": (60, HOUR),
    "funding:acceptance_add": (20, HOUR),
    "funding:opinion_add": (30, HOUR),
    "funding:hold_place": (20, HOUR),
    "funding:fund_create": (30, HOUR),
    "funding:fund_inflow": (120, HOUR),
    "funding:fund_correct": (60, HOUR),
    "councils:proxy_vote": (120, 10 * MINUTE),
    "councils:proxy_objection": (60, 10 * MINUTE),
    "councils:resident_register": (300, HOUR),
    "councils:seat_assign": (120, HOUR),
    "councils:board_seat_assign": (60, HOUR),
    "proposals:roadshow_record": (60, HOUR),
    "proposals:roadshow_question": (120, HOUR),
    "funding:donation_add": (300, HOUR),
    "needs:raise": (20, HOUR),
    "needs:support": (120, HOUR),
    "needs:rate": (30, HOUR),
    "needs:staff_record": (300, HOUR),
    "needs:staff_project": (30, HOUR),
    "needs:answer": (120, HOUR),
    "needs:claim": (20, HOUR),
    "needs:service": (120, HOUR),
    "organisations:register": (30, HOUR),
    "organisations:incubate": (30, HOUR),
    "grants:open": (10, HOUR),
    "grants:apply": (10, HOUR),
    "grants:score": (120, HOUR),
    "grants:award": (60, HOUR),
    "grants:report": (20, HOUR),
    "elections:open": (10, HOUR),
    "elections:stand": (10, HOUR),
    "elections:statement": (30, HOUR),
    "elections:nominate": (60, HOUR),
    "elections:ballot_cast": (10, 10 * MINUTE),
    # A ballot box holds hundreds of papers; staff enter them one after another.
    "elections:paper_ballot": (1000, HOUR),
    # Each photo is decoded and re-encoded (CPU): a person's real work is a few photos at a time.
    "photos:manage": (30, HOUR),
    # Activities (R25) and evaluation (R26).
    "needs:project_activities": (30, HOUR),
    "needs:activity_signup": (30, 10 * MINUTE),
    "needs:activity_qr_checkin": (30, 10 * MINUTE),
    "needs:activity_checkin": (300, HOUR),
    "needs:birth_date_record": (120, HOUR),
    "funding:evaluation_add": (60, HOUR),
    "funding:evaluator_appoint": (30, HOUR),
    "councils:party_posts": (30, HOUR),
    "funding:tender_publish": (20, HOUR),
    "funding:tender_bid": (20, HOUR),
    "funding:tender_vote": (20, 10 * MINUTE),
    "funding:tender_select": (20, HOUR),
}


def _who(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return "a" + (request.META.get("REMOTE_ADDR") or "unknown")


def spend(key: str, limit: int, window: int) -> bool:
    """Count one use of ``key``; False when more than ``limit`` uses fell in the window.
    True (allowed) when the cache cannot be reached; see the module's docstring."""
    try:
        # add() starts the window at the first use; incr() keeps its expiry.
        cache.add(key, 0, timeout=window)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=window)
            used = 1
    except Exception:  # the cache (Redis) is down: let the person through, say so in the log
        logger.warning("rate limit not counted, the cache is unreachable: %s", key, exc_info=True)
        return True
    return used <= limit


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match is None:
            return None
        name = request.resolver_match.view_name
        if name not in LIMITS:
            return None
        limit, window = LIMITS[name]
        if spend(f"yishi:rate:{name}:{_who(request)}", limit, window):
            return None
        minutes = max(1, math.ceil(window / 60))
        message = _("您在短时间内提交得太多了，请 %(minutes)d 分钟后再试。已经提交成功的内容都已保存。") % {
            "minutes": minutes
        }
        template = "portal/error_fragment.html" if getattr(request, "htmx", False) else "portal/error.html"
        response = render(request, template, {"message": message, "back_url": safe_referer(request)}, status=429)
        response["Retry-After"] = str(window)
        return response
