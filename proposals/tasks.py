"""Scheduled proposal work. Rules stay enforced at action time (R7: no vote after
``closes_at`` even before this job runs), so a stopped worker only delays closing."""

import logging

from celery import shared_task

from yishi.errors import DomainError

from .services import ballot_close, ballots_due

logger = logging.getLogger(__name__)


@shared_task(name="proposals.tasks.close_due_ballots")
def close_due_ballots() -> list[int]:
    """Close every ballot whose ``closes_at`` has passed.

    Two workers may run this at once: ``ballot_close`` locks the proposal, then
    the ballot, and returns a ballot another worker closed first unchanged, so
    each ballot is closed, and its event written, exactly once.
    """
    closed = []
    for ballot in list(ballots_due()):
        try:
            ballot_close(ballot=ballot, actor=None)
            closed.append(ballot.pk)
        except DomainError:
            logger.exception("could not close ballot %s", ballot.pk)
    return closed
