"""Reacting to proposal events without proposals knowing about notifications."""

import logging
from functools import partial

from django.db import transaction
from django.dispatch import receiver

from proposals.history import event_committed

logger = logging.getLogger(__name__)


def _enqueue(event_id: int) -> None:
    from .tasks import notify_event

    try:
        notify_event.delay(event_id)
    except Exception:
        # The action itself has committed; a broker that is down only delays
        # the message (docs/domain.md, Time). Never turn that into an error page.
        logger.exception("could not enqueue notifications for event %s", event_id, extra={"event": event_id})


@receiver(event_committed, dispatch_uid="notifications.enqueue_event")
def enqueue_event_notifications(sender, event_id: int, **kwargs) -> None:
    # The signal is sent after the event's transaction committed; on_commit
    # also covers a caller that wraps the service in an outer transaction.
    transaction.on_commit(partial(_enqueue, event_id))
