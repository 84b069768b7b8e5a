"""Writing outbox rows and relaying them to their handlers.

Writing: ``outbox_put`` inside the caller's transaction; after commit it
enqueues ``outbox.tasks.deliver_message`` for the new row (the fast path). If
the broker is down that enqueue fails, a warning is logged and the row simply
stays pending for the relay.

Relaying: ``outbox_relay`` (celery beat every minute, ``manage.py
relay_outbox``) and ``outbox_deliver`` (the fast path) claim rows before
handing them over. A claim is a conditional UPDATE of rows still pending and
not leased, taken after ``SELECT … FOR UPDATE SKIP LOCKED``: two relays never
hand the same row to its handler at once. A handler must be idempotent (the
notifications handlers are: one notification per person, event and kind), so
a relay killed after the handler ran but before the row was marked only
repeats work that changes nothing. A failing row records the attempt and the
error and waits a growing pause (``backoff``); it is never dropped.

Handlers are registered by the app that owns the topic in its
``AppConfig.ready`` (``register_handler``), so this app imports no other.
"""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# Pauses after the 1st, 2nd, … failure: 30 s doubling, at most one hour.
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
# At most this many rows per relay run; the next run (a minute later) takes the rest.
RELAY_BATCH = 200
CLAIM_CHUNK = 20

_handlers: dict[str, Callable[[int], object]] = {}


def register_handler(topic: str, handler: Callable[[int], object]) -> None:
    """``handler(ref)`` delivers one message of ``topic``; it must be safe to call twice."""
    _handlers[topic] = handler


def lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", 300))


def backoff(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th failed attempt."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _enqueue(message_id: int) -> None:
    from .tasks import deliver_message

    try:
        deliver_message.delay(message_id)
    except Exception:
        # The change has committed and its outbox row with it: the relay delivers it later.
        logger.warning(
            "outbox message %s stays pending: could not enqueue its delivery", message_id,
            exc_info=True, extra={"outbox_message": message_id},
        )


def outbox_put(*, topic: str, ref: int) -> OutboxMessage:
    """Record a message about the new row ``ref`` of ``topic`` in the caller's transaction.

    One INSERT (``ref`` is new, so is the row; the database allows one per
    topic and ref). After commit the row is handed to a worker at once.
    """
    message = OutboxMessage.objects.create(topic=topic, ref=ref)
    transaction.on_commit(partial(_enqueue, message.pk))
    return message


def outbox_put_later(*, topic: str, refs, delay: timedelta) -> None:
    """Record messages about ``refs`` for the relay, due after ``delay``; refs already recorded are kept as they are."""
    due = timezone.now() + delay
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(topic=topic, ref=ref, due_at=due) for ref in refs], ignore_conflicts=True
    )


def _claimable(now: datetime) -> Q:
    return Q(delivered_at__isnull=True) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def _claim(candidates, now: datetime, limit: int) -> list[OutboxMessage]:
    """Lease up to ``limit`` of ``candidates`` to this relay; rows another relay holds are skipped."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            candidates.filter(_claimable(now)).order_by("due_at", "pk")
            .select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        # The condition is checked again by the UPDATE itself: only rows still unclaimed are taken.
        OutboxMessage.objects.filter(pk__in=ids).filter(_claimable(now)).update(
            claim=token, claimed_until=max(now, timezone.now()) + lease(), attempts=F("attempts") + 1
        )
    return list(OutboxMessage.objects.filter(pk__in=ids, claim=token).order_by("due_at", "pk"))


def _deliver(message: OutboxMessage) -> bool:
    """Hand one claimed row to its handler; mark it delivered, or record the failure and its pause."""
    mine = OutboxMessage.objects.filter(pk=message.pk, claim=message.claim)
    try:
        handler = _handlers.get(message.topic)
        if handler is None:
            raise LookupError(f"no handler registered for outbox topic {message.topic!r}")
        handler(message.ref)
    except Exception as exc:
        now = timezone.now()
        mine.update(
            claim="", claimed_until=None, due_at=now + backoff(message.attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        log = logger.error if message.attempts >= 5 else logger.warning
        log(
            "outbox message %s (%s %s) failed, attempt %d; retried after %s", message.pk, message.topic,
            message.ref, message.attempts, backoff(message.attempts), exc_info=True,
            extra={"outbox_message": message.pk},
        )
        return False
    mine.update(claim="", claimed_until=None, delivered_at=timezone.now(), last_error="")
    return True


def outbox_deliver(*, message_id: int) -> bool:
    """Deliver one row now if it is still pending and nobody holds it (the fast path). True if delivered."""
    claimed = _claim(OutboxMessage.objects.filter(pk=message_id), timezone.now(), 1)
    return bool(claimed) and _deliver(claimed[0])


def outbox_relay(*, limit: int = RELAY_BATCH, now: datetime | None = None) -> dict[str, int]:
    """Deliver every pending row that is due, oldest first. Returns counts of delivered and failed rows.

    Safe to run on two workers and from cron at once: each row is claimed
    before it is handed over. Logs the backlog when its oldest row is older
    than ``OUTBOX_BACKLOG_WARN_SECONDS``.
    """
    from .selectors import outbox_backlog

    now = now or timezone.now()
    claimed = delivered = 0
    # Claimed a few at a time, so a long run never holds rows past their lease while others wait.
    while claimed < limit:
        batch = _claim(OutboxMessage.objects.filter(due_at__lte=now), now, min(CLAIM_CHUNK, limit - claimed))
        if not batch:
            break
        claimed += len(batch)
        delivered += sum(_deliver(message) for message in batch)
    backlog = outbox_backlog()
    warn_after = getattr(settings, "OUTBOX_BACKLOG_WARN_SECONDS", 600)
    if backlog["oldest_pending_seconds"] is not None and backlog["oldest_pending_seconds"] > warn_after:
        logger.warning(
            "outbox backlog: %d pending, the oldest for %d s", backlog["pending"], backlog["oldest_pending_seconds"],
            extra={"outbox_pending": backlog["pending"], "outbox_oldest_seconds": backlog["oldest_pending_seconds"]},
        )
    return {"claimed": claimed, "delivered": delivered, "failed": claimed - delivered}
