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


def verify_chain(rows, payload_of) -> tuple[int, object | None, str]:
    """Walk ``rows`` in order; return (checked, first bad row or None, why)."""
    prev = GENESIS
    checked = 0
    for row in rows:
        if row.prev_hash != prev:
            return checked, row, "prev_hash does not match the hash of the row before"
        if link_hash(prev, payload_of(row)) != row.hash:
            return checked, row, "content does not match its hash"
        prev = row.hash
        checked += 1
    return checked, None, ""


# Chains that ``manage.py verify_history`` checks: name -> callable yielding
# (chain id, rows checked, first bad row or None, why). Apps register theirs in ready().
CHAINS: dict = {}


def register_chain(name: str, verifier) -> None:
    CHAINS[name] = verifier
