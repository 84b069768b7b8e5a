"""R14: recompute every registered hash chain and name the first broken link.

Chains register in their app's ``AppConfig.ready`` through
``yishi.chain.register_chain(name, verifier)``; a verifier yields
``(chain id, rows checked, first bad row or None, why)`` for each chain
(one per proposal for "proposal_events", one per fund for the ledger).
Exit status is non-zero (``CommandError``) when any chain is broken.
"""

from django.core.management.base import BaseCommand, CommandError

from yishi.chain import CHAINS


def _owner(row, chain_id) -> str:
    """"proposal 12" / "fund 3": what the chain belongs to, read from the bad row if there is one."""
    for field in ("fund_id", "proposal_id"):  # a ledger row has both; its chain is the fund
        if row is not None and hasattr(row, field):
            return f"{field[:-3]} {chain_id}"
    return f"chain id {chain_id}"


def describe(name: str, chain_id, row, why: str) -> str:
    parts = [f"chain {name}", _owner(row, chain_id)]
    if row is not None:
        seq = getattr(row, "seq", None)
        if seq is not None:
            parts.append(f"seq {seq}")
        parts.append(f"row pk {row.pk}")
    return ", ".join(parts) + f": {why}"


class Command(BaseCommand):
    help = "Verify the hash chains of append-only history (proposal events, ledger entries) (R14)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--chain", action="append", dest="chains", metavar="NAME",
            help="Check only this registered chain (repeatable). Default: every chain.",
        )

    def handle(self, *args, chains=None, **options):
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
        broken = []
        for name in names:
            count = rows = bad_count = 0
            for chain_id, checked, bad, why in CHAINS[name]():
                count += 1
                rows += checked
                if bad is not None or why:
                    bad_count += 1
                    line = describe(name, chain_id, bad, why)
                    broken.append(line)
                    self.stderr.write(f"BROKEN {line}")
            style = self.style.ERROR if bad_count else self.style.SUCCESS
            self.stdout.write(
                style(f"{name}: {count} chains, {rows} rows verified, {bad_count} broken")
            )
        if broken:
            raise CommandError(
                f"History verification failed: {len(broken)} broken chain(s). First broken link: {broken[0]}"
            )
        self.stdout.write(self.style.SUCCESS("All history chains verify."))
