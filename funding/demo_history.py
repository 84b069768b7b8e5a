"""Demo: the history page and the public checkpoints have something to show (called by seed_demo).

One full verification run and, as it passes, the first signed checkpoint, as
the daily job would write them. Idempotent: nothing is added once a run exists.
"""

from .checkpoints import history_daily
from .models import HistoryRun


def seed_history() -> None:
    if not HistoryRun.objects.exists():
        history_daily()
