"""Scheduled election work. Rules hold at action time (no ballot after ``closes_at`` even
before this job runs; the roll is the residents at ``opens_at`` whenever it is frozen), so a
stopped worker only delays the roll and the count."""

import logging

from celery import shared_task

from yishi.errors import DomainError

from . import notify
from .services import (
    election_close,
    election_roll_freeze,
    elections_due,
    elections_nominations_closed,
    elections_to_freeze,
)

logger = logging.getLogger(__name__)


@shared_task(name="elections.tasks.tend_elections")
def tend_elections() -> dict:
    """Announce the candidates of elections whose nominations closed; freeze the roll of elections
    whose voting opened; count rounds whose voting closed.

    Both services lock the election and return it unchanged when another worker was first.
    """
    frozen, counted = [], []
    for election in list(elections_nominations_closed()):
        notify.nominations_closed(election.pk)
    for election in list(elections_to_freeze()):
        election_roll_freeze(election=election)
        frozen.append(election.pk)
    for election in list(elections_due()):
        try:
            election_close(election=election, actor=None)
            counted.append(election.pk)
        except DomainError:
            logger.exception("could not count election %s", election.pk)
    return {"frozen": frozen, "counted": counted}
