"""Hash chains for append-only history (R14): proposal events and ledger entries.

Each row stores ``prev_hash`` and ``hash = sha256(prev_hash + canonical(payload))``.
The canonical form is JSON with sorted keys, so the same content always gives
the same hash on SQLite and PostgreSQL alike.
"""

import hashlib
import json
from datetime import datetime
from decimal import Decimal

GENESIS = "0" * 64


def _default(value):
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.01")), "f")
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    raise TypeError(f"cannot hash {type(value).__name__}")


def canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def link_hash(prev_hash: str, payload: dict) -> str:
    return hashlib.sha256((prev_hash + canonical(payload)).encode()).hexdigest()


def verify_chain(rows, payload_of, noun: str = "row") -> tuple[int, object | None, str]:
    """Walk one chain's ``rows`` in ``seq`` order: (checked, first bad row or None, why).

    Besides each link's hash it checks that ``seq`` runs 1, 2, 3 ... so a removed
    row is named as missing rather than as a hash mismatch. ``noun`` names a row
    in the reason ("event", "entry").
    """
    prev, expected, checked = GENESIS, 1, 0
    for row in rows:
        if row.seq != expected:
            return checked, row, f"seq {row.seq} where {expected} was expected: an {noun} is missing"
        if row.prev_hash != prev:
            return checked, row, f"prev_hash does not match the hash of the {noun} before"
        if link_hash(prev, payload_of(row)) != row.hash:
            return checked, row, "content does not match its hash (the row was changed)"
        prev, expected, checked = row.hash, expected + 1, checked + 1
    return checked, None, ""


# Chains that ``manage.py verify_history`` checks: name -> callable yielding
# (chain id, rows checked, first bad row or None, why). Apps register theirs in ready().
CHAINS: dict = {}


def register_chain(name: str, verifier) -> None:
    CHAINS[name] = verifier


# --------------------------------------------------------------------------- heads and cross-checks
#
# A chain verifies link by link, but on its own it cannot see its last row
# deleted, nor a whole chain rewritten with this module's (unkeyed) hash. Two
# more things close those gaps (``funding.checkpoints``): the heads of every
# chain, signed with a key from the environment (HMAC), and cross-checks that
# tie the rows kept outside any chain (proposal status, ballots, votes,
# contributions, resolutions) to the events that recorded them.

# name -> (model, owner field) of the rows of a registered chain, for its heads.
CHAIN_ROWS: dict = {}

# Cross-checks that ``manage.py verify_history`` runs: name -> callable yielding ``Finding``s.
CHECKS: dict = {}


def register_chain_rows(name: str, model, owner: str) -> None:
    """Name the model (with ``seq`` and ``hash``) and the field (``proposal_id``) that a chain is made of."""
    CHAIN_ROWS[name] = (model, owner)


def register_check(name: str, check) -> None:
    CHECKS[name] = check


class Finding:
    """One thing that differs: the table, the row and what differs, plus whose it is (for scoping pages)."""

    __slots__ = ("source", "table", "row", "message", "proposal_id", "fund_id")

    def __init__(self, source: str, table: str, row, message: str, *, proposal_id=None, fund_id=None):
        self.source, self.table, self.row, self.message = source, table, row, message
        self.proposal_id, self.fund_id = proposal_id, fund_id

    def __str__(self) -> str:
        row = f" row {self.row}" if self.row is not None else ""
        return f"{self.source}: {self.table}{row}: {self.message}"

    def __repr__(self) -> str:
        return f"Finding({self})"


def chain_heads(name: str) -> dict[int, tuple[int, str]]:
    """{chain id: (seq of its last row, that row's hash)} for every chain of ``name``. Two queries."""
    from django.db.models import Max

    model, owner = CHAIN_ROWS[name]
    tops = dict(model.objects.order_by().values_list(owner).annotate(top=Max("seq")))
    return {chain_id: (seq, digest) for chain_id, (seq, digest, _pk) in hashes_at(name, tops.items()).items()}


def hashes_at(name: str, pairs, batch: int = 400) -> dict[int, tuple[int, str, int]]:
    """{chain id: (seq, hash, pk)} of the rows at the given (chain id, seq) pairs that exist."""
    from functools import reduce
    from operator import or_

    from django.db.models import Q

    model, owner = CHAIN_ROWS[name]
    pairs = list(pairs)
    found = {}
    for start in range(0, len(pairs), batch):
        part = pairs[start:start + batch]
        where = reduce(or_, (Q(**{owner: chain_id, "seq": seq}) for chain_id, seq in part))
        rows = model.objects.order_by().filter(where).values_list(owner, "seq", "hash", "pk")
        for chain_id, seq, digest, pk in rows:
            found[chain_id] = (seq, digest, pk)
    return found
