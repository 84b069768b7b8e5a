"""Post community foundations' monthly public accounts (R21); the scheduled job runs the same on the 1st.

    manage.py post_foundation_accounts                 # last month, every foundation
    manage.py post_foundation_accounts --month 2026-03 # a given past month

Posting is idempotent: accounts already posted for a month stay as they were.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from funding.enums import FundKind
from funding.foundation import monthly_account_post, post_last_months_accounts
from funding.models import Fund
from yishi.errors import DomainError


class Command(BaseCommand):
    help = "Post community foundations' monthly public accounts (default: last month)."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM, a month that has ended")

    def handle(self, *args, month=None, **options):
        if month:
            try:
                first = date.fromisoformat(f"{month}-01")
            except ValueError as exc:
                raise CommandError("--month must look like 2026-03") from exc
            try:
                posted = [monthly_account_post(fund=f, month=first)
                          for f in Fund.objects.filter(kind=FundKind.FOUNDATION, year=first.year).order_by("pk")]
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
        else:
            posted = post_last_months_accounts()
        for account in posted:
            self.stdout.write(f"{account.fund} {account.month:%Y-%m}: closing {account.data['closing']}, "
                              f"chain #{account.chain_seq} {account.chain_head[:12]}")
        self.stdout.write(f"{len(posted)} posted")
