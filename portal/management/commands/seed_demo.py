"""``manage.py seed_demo``: build the demo world (see ``portal.demo``).

Idempotent: a second run finds everything in place and changes nothing.
Refused when DEBUG is off unless ``--force``: every demo account shares one
published password, so it must never land in production by accident.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Build the demo world (晋阳社区, 北苑 and the demo accounts) through the public services. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though DEBUG is off. The demo accounts share one published password.",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo refused: DEBUG is off, so this looks like a production site, and every demo "
                "account shares one published password. "
                "Run it with DEBUG=1, or pass --force if you really want the demo world here."
            )
        try:
            from portal.demo import ACCOUNTS, DEMO_PASSWORD, seed_demo
        except ModuleNotFoundError as exc:
            if exc.name != "time_machine":
                raise
            # The builder moves the clock to when each step happened (the services read it).
            raise CommandError(
                "seed_demo needs the time-machine package, a dev dependency: install with `uv sync` "
                "(not --no-dev), or add it to the main dependencies."
            ) from exc
        from funding.demo_history import seed_history

        started = time.monotonic()
        report = seed_demo()
        seed_history()  # the history page's first verified run and signed checkpoint
        from portal.demo_mail import give_demo_accounts_addresses

        give_demo_accounts_addresses(a.username for a in ACCOUNTS)
        seconds = time.monotonic() - started
        if options["verbosity"] < 1:
            return
        if report.created:
            self.stdout.write(f"Demo world built in {seconds:.1f} s: " + "、".join(report.created))
        else:
            self.stdout.write(f"Demo world already in place; nothing changed ({seconds:.1f} s).")
        self.stdout.write(f"\nDemo accounts (password {DEMO_PASSWORD}); more in docs/demo.md:")
        width = max(len(a.username) for a in ACCOUNTS)
        for account in ACCOUNTS:
            self.stdout.write(f"  {account.username:<{width}}  {account.full_name}  {account.role}")
