"""Writing and verifying fund ledgers (R14, R15).

Every movement of a fund is one ``LedgerEntry`` appended by ``entry_write``
while the caller holds the fund's row lock (``lock_fund``): the lock orders
the chain (``seq``, ``prev_hash``) and serialises the available-balance check
with the write, so two reservations can never both spend the last yuan.
Lock order everywhere: proposal row first, then fund row.
"""

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from yishi.chain import GENESIS, link_hash, verify_chain

from .enums import ENTRY_SIGNS
from .models import ZERO, Fund, LedgerEntry


def entry_payload(entry: LedgerEntry) -> dict:
    """The canonical content of a ledger entry, as hashed."""
    return {
        "fund": entry.fund_id,
        "seq": entry.seq,
        "kind": entry.kind,
        "balance_delta": entry.balance_delta,
        "reserved_delta": entry.reserved_delta,
        "proposal": entry.proposal_id,
        "actor": entry.actor_id,
        "counterparty": entry.counterparty,
        "memo": entry.memo,
        "corrects": entry.corrects_id,
        "created_at": entry.created_at,
    }


def lock_fund(fund: Fund) -> Fund:
    """Re-read ``fund`` under a row lock inside the caller's transaction."""
    fund.refresh_from_db(from_queryset=Fund.objects.select_for_update())
    return fund


def fund_sums(fund: Fund) -> tuple[Decimal, Decimal]:
    """(balance, reserved) as the sums of the fund's entries."""
    sums = LedgerEntry.objects.filter(fund=fund).aggregate(b=Sum("balance_delta"), r=Sum("reserved_delta"))
    return (sums["b"] or ZERO), (sums["r"] or ZERO)


def _check_signs(kind: str, balance_delta: Decimal, reserved_delta: Decimal) -> None:
    balance_sign, reserved_sign = ENTRY_SIGNS[kind]

    def ok(value, sign):
        if sign is None:
            return value != 0
        if sign == 0:
            return value == 0
        return value * sign > 0

    reserved_ok = reserved_delta == balance_delta if reserved_sign == "=" else ok(reserved_delta, reserved_sign)
    if not (ok(balance_delta, balance_sign) and reserved_ok):
        raise ValueError(f"a {kind} entry cannot move balance {balance_delta} and reserved {reserved_delta}")


def entry_write(
    *, fund: Fund, kind: str, balance_delta=ZERO, reserved_delta=ZERO, proposal=None, actor=None,
    counterparty: str = "", memo: str = "", corrects: LedgerEntry | None = None,
) -> LedgerEntry:
    """Append one entry to ``fund``'s chain. Call inside ``transaction.atomic`` with ``lock_fund`` held.

    The caller has already checked the rule (available never negative); the
    sign rules are checked here as well as by the database.
    """
    balance_delta = Decimal(balance_delta).quantize(Decimal("0.01"))
    reserved_delta = Decimal(reserved_delta).quantize(Decimal("0.01"))
    _check_signs(kind, balance_delta, reserved_delta)
    last = LedgerEntry.objects.filter(fund=fund).order_by("-seq").values("seq", "hash").first()
    entry = LedgerEntry(
        fund=fund,
        seq=(last["seq"] + 1) if last else 1,
        kind=kind,
        balance_delta=balance_delta,
        reserved_delta=reserved_delta,
        proposal=proposal,
        actor=actor,
        counterparty=counterparty or "",
        memo=memo or "",
        corrects=corrects,
        created_at=timezone.now(),
        prev_hash=last["hash"] if last else GENESIS,
    )
    entry.hash = link_hash(entry.prev_hash, entry_payload(entry))
    entry.save(force_insert=True)
    return entry


def verify_fund_chains(funds=None):
    """Yield (fund_id, checked, bad_entry_or_None, why) for every fund's ledger (for verify_history)."""
    qs = Fund.objects.order_by("pk")
    if funds is not None:
        qs = qs.filter(pk__in=[getattr(f, "pk", f) for f in funds])
    for fund_id in qs.values_list("pk", flat=True):
        rows = LedgerEntry.objects.filter(fund_id=fund_id).order_by("seq")
        checked, bad, why = verify_chain(rows.iterator(chunk_size=2000), entry_payload, noun="entry")
        yield fund_id, checked, bad, why
