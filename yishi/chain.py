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
