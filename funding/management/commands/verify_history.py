"""R14: verify the whole history and name every difference (table, row, what differs).

Three layers (``funding.checkpoints``): every registered hash chain link by
link (``yishi.chain.register_chain``), the cross-checks of rows kept outside
the chains (``yishi.chain.register_check``: proposal status, ballots and votes,
resolutions, contributions), and the chain heads against the last signed
checkpoint. ``--kept FILE`` also compares checkpoint texts a supervisor kept
with the database. Exit status is non-zero (``CommandError``) on any difference.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from funding.checkpoints import history_verify
from yishi.chain import CHAINS, CHECKS


class Command(BaseCommand):
    help = "Verify the append-only history: hash chains, cross-checks and the last signed checkpoint (R14)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--chain", action="append", dest="chains", metavar="NAME",
            help="Check only this registered chain (repeatable); skips the cross-checks and checkpoint.",
        )
        parser.add_argument(
            "--kept", metavar="FILE",
            help="A file of checkpoint texts you kept (as published on /history/checkpoints/): compare them.",
        )

    def handle(self, *args, chains=None, kept=None, **options):
        names = sorted(CHAINS)
        if chains:
            unknown = sorted(set(chains) - set(names))
            if unknown:
                raise CommandError(
                    f"Unknown chain(s): {', '.join(unknown)}. Registered: {', '.join(names) or 'none'}."
                )
            names = [n for n in names if n in chains]
        if not names:
            raise CommandError("No chains are registered; nothing was verified.")
        kept_text = None
        if kept:
            try:
                kept_text = Path(kept).read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Cannot read {kept}: {exc.strerror}") from exc
        whole = not chains
        result = history_verify(
            chains=names, checks=sorted(CHECKS) if whole else [], against_checkpoint=whole,
            kept_text=kept_text, progress=lambda line: self.stdout.write(line),
        )
        for finding in result.findings:
            self.stderr.write(f"BROKEN {finding}")
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        if result.findings:
            raise CommandError(
                f"History verification failed: {len(result.findings)} difference(s). First: {result.findings[0]}"
            )
        self.stdout.write(self.style.SUCCESS("All history chains verify."))
