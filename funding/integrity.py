"""Cross-check of self-raised contributions against the events that recorded them (R9, R14).

A contribution row is not in a hash chain; the event written with it is. So
each row must match its ``contribution_recorded`` event (amount, receipt,
date, proposal), be reversed exactly when a ``contribution_reversed`` event
says so, and each proposal's standing sum must equal what its events add up to.
Registered in ``FundingConfig.ready`` for ``manage.py verify_history``.
"""

from collections import defaultdict
from decimal import Decimal

from proposals.enums import EventKind
from proposals.models import ProposalEvent
from yishi.chain import Finding

from .models import Contribution

TABLE = Contribution._meta.db_table


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def check_contributions():
    recorded, reversed_ = {}, {}
    event_sums = defaultdict(Decimal)
    events = ProposalEvent.objects.filter(
        kind__in=(EventKind.CONTRIBUTION_RECORDED, EventKind.CONTRIBUTION_REVERSED)
    ).order_by("proposal_id", "seq").values_list("proposal_id", "seq", "kind", "amounts", "data")
    for proposal_id, seq, kind, amounts, data in events.iterator(chunk_size=5000):
        pk = (data or {}).get("contribution")
        if pk is None:
            continue
        amount = _money((amounts or {}).get("amount") or 0)
        event_sums[proposal_id] += amount
        (recorded if kind == EventKind.CONTRIBUTION_RECORDED else reversed_)[pk] = (proposal_id, seq, amount, data)

    row_sums = defaultdict(Decimal)
    seen = set()
    rows = Contribution.objects.order_by("pk").values_list(
        "pk", "proposal_id", "amount", "receipt_no", "paid_on", "reversed_at"
    )
    for pk, proposal_id, amount, receipt_no, paid_on, reversed_at in rows.iterator(chunk_size=5000):
        seen.add(pk)
        if reversed_at is None:
            row_sums[proposal_id] += amount

        def finding(message, pk=pk, pid=proposal_id):
            return Finding("contributions", TABLE, pk, message, proposal_id=pid)

        event = recorded.get(pk)
        if event is None:
            yield finding("no event records this contribution")
            continue
        event_proposal, seq, event_amount, data = event
        if event_proposal != proposal_id:
            yield finding(f"proposal is {proposal_id} but the event (seq {seq}) recorded it for {event_proposal}")
        if _money(amount) != event_amount:
            yield finding(f"amount is {amount} but the event (seq {seq}) recorded {event_amount}")
        if data.get("receipt_no") != receipt_no:
            yield finding(f"receipt_no is {receipt_no!r} but the event (seq {seq}) recorded {data.get('receipt_no')!r}")
        if data.get("paid_on") != paid_on.isoformat():
            yield finding(f"paid_on is {paid_on} but the event (seq {seq}) recorded {data.get('paid_on')}")
        if (reversed_at is not None) != (pk in reversed_):
            yield finding(
                "marked reversed but no event records the reversal" if reversed_at is not None
                else f"not marked reversed but the event (seq {reversed_[pk][1]}) reversed it"
            )
    for pk in sorted(set(recorded) - seen):
        yield Finding("contributions", TABLE, pk, f"the row is missing though the event (seq {recorded[pk][1]}) "
                      f"recorded {recorded[pk][2]}", proposal_id=recorded[pk][0])
    for proposal_id in sorted(set(row_sums) | set(event_sums)):
        if row_sums[proposal_id] != event_sums[proposal_id]:
            yield Finding(
                "contributions", TABLE, None,
                f"contributions of proposal {proposal_id} sum to {row_sums[proposal_id]} "
                f"but its events record {event_sums[proposal_id]}", proposal_id=proposal_id,
            )
