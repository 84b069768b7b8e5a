"""Deliver pending outbox messages from the command line (operators, cron while the worker is down).

Runs the same relay as the celery beat job, so it is safe beside a running
worker. Exit status 1 when a message failed in this run.
"""

from django.core.management.base import BaseCommand, CommandError

from outbox.selectors import outbox_backlog
from outbox.services import RELAY_BATCH, outbox_relay


class Command(BaseCommand):
    help = "Deliver pending outbox messages (notifications, mail retries); --status only reports the backlog."

    def add_arguments(self, parser):
        parser.add_argument("--status", action="store_true", help="Only report the backlog; deliver nothing.")
        parser.add_argument("--limit", type=int, default=RELAY_BATCH, help="Rows per batch (default %(default)s).")
        parser.add_argument(
            "--once", action="store_true", help="One batch only; by default batches run until nothing due is left.",
        )

    def handle(self, *args, status=False, limit=RELAY_BATCH, once=False, **options):
        totals = {"delivered": 0, "failed": 0}
        if not status:
            while True:
                result = outbox_relay(limit=limit)
                totals["delivered"] += result["delivered"]
                totals["failed"] += result["failed"]
                # Failed rows wait for their pause, so the next batch never takes them again.
                if once or result["claimed"] < limit:
                    break
        backlog = outbox_backlog()
        oldest = backlog["oldest_pending_seconds"]
        self.stdout.write(
            f"delivered {totals['delivered']}, failed {totals['failed']}; "
            f"pending {backlog['pending']} (failing {backlog['failing']}), "
            f"oldest pending {'-' if oldest is None else f'{oldest} s'}"
        )
        if totals["failed"]:
            raise CommandError(f"{totals['failed']} outbox message(s) failed; see the log and the admin")
