"""Writing and verifying the proposal timeline (R14).

``event_write`` appends one ``ProposalEvent``; the caller holds the proposal's
row lock (``lock_proposal``) so ``seq`` and ``prev_hash`` are taken in order.
In the same transaction it writes an outbox row (topic ``proposals.event``), so
a committed event always has its message and a rolled-back one never has; the
outbox relay hands it to whoever registered for the topic (notifications)
without proposals knowing about them. After commit, ``event_committed`` is
still sent for listeners that need no delivery guarantee.
"""

import hashlib
from decimal import Decimal
from itertools import groupby
from operator import attrgetter

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from outbox.services import outbox_put
from yishi.chain import GENESIS, canonical, link_hash, verify_chain

from .models import Proposal, ProposalEvent

# Sent after the transaction that wrote the event commits; kwargs: event_id.
event_committed = Signal()
# The outbox topic of every event: ``ref`` is the ProposalEvent's id.
EVENT_TOPIC = "proposals.event"


def _jsonable_amounts(amounts: dict | None) -> dict:
    out = {}
    for key, value in (amounts or {}).items():
        out[key] = format(Decimal(value).quantize(Decimal("0.01")), "f") if value is not None else None
    return out


def event_payload(event: ProposalEvent) -> dict:
    """The canonical content of an event, as hashed."""
    return {
        "proposal": event.proposal_id,
        "seq": event.seq,
        "kind": event.kind,
        "actor": event.actor_id,
        "on_behalf_of": event.on_behalf_of_id,
        "created_at": event.created_at,
        "from": event.from_status,
        "to": event.to_status,
        "reason": event.reason,
        "amounts": event.amounts,
        "data": event.data,
    }


def electors_digest(user_ids) -> str:
    """Digest of a ballot's frozen electorate, recorded in the event that opens it."""
    return hashlib.sha256(canonical({"electors": sorted(user_ids)}).encode()).hexdigest()


def votes_digest(rows) -> str:
    """Digest of a ballot's votes, recorded in the event that closes it: no vote can change unseen.

    ``rows``: (voter id, choice, cast_at, recorded_by id), one per vote.
    """
    votes = sorted(([voter, choice, cast_at, recorded_by] for voter, choice, cast_at, recorded_by in rows),
                   key=lambda vote: vote[0])
    return hashlib.sha256(canonical({"votes": votes}).encode()).hexdigest()


VOTE_FIELDS = ("voter_id", "choice", "cast_at", "recorded_by_id")


def lock_proposal(proposal: Proposal) -> Proposal:
    """Re-read ``proposal`` under a row lock inside the caller's transaction."""
    proposal.refresh_from_db(from_queryset=Proposal.objects.select_for_update())
    return proposal


def event_write(
    *, proposal: Proposal, kind: str, actor=None, on_behalf_of=None, from_status: str = "",
    to_status: str = "", reason: str = "", amounts: dict | None = None, data: dict | None = None,
) -> ProposalEvent:
    """Append one event to ``proposal``'s chain. Call inside ``transaction.atomic`` with the lock held."""
    last = (
        ProposalEvent.objects.filter(proposal=proposal).order_by("-seq").values("seq", "hash").first()
    )
    event = ProposalEvent(
        proposal=proposal,
        seq=(last["seq"] + 1) if last else 1,
        kind=kind,
        actor=actor,
        on_behalf_of=on_behalf_of,
        created_at=timezone.now(),
        from_status=from_status,
        to_status=to_status,
        reason=reason or "",
        amounts=_jsonable_amounts(amounts),
        data=data or {},
        prev_hash=last["hash"] if last else GENESIS,
    )
    # Round-trip the timestamp as the database will store it (microseconds, UTC).
    event.hash = link_hash(event.prev_hash, event_payload(event))
    event.save(force_insert=True)
    event_id = event.pk
    outbox_put(topic=EVENT_TOPIC, ref=event_id)
    transaction.on_commit(lambda: event_committed.send(sender=ProposalEvent, event_id=event_id))
    return event


def verify_proposal_chains(proposals=None):
    """Yield (proposal_id, checked, bad_event_or_None, why) for every proposal's chain.

    One streamed query over all events, ordered by (proposal, seq). A proposal
    without any event yields ``why`` with no row: its history is missing.
    """
    qs = Proposal.objects.order_by("pk")
    if proposals is not None:
        qs = qs.filter(pk__in=[getattr(p, "pk", p) for p in proposals])
    ids = list(qs.values_list("pk", flat=True))
    if not ids:
        return
    events = ProposalEvent.objects.order_by("proposal_id", "seq")
    if proposals is not None:
        events = events.filter(proposal_id__in=ids)
    groups = groupby(events.iterator(chunk_size=2000), key=attrgetter("proposal_id"))
    group = next(groups, None)
    for proposal_id in ids:
        while group is not None and group[0] < proposal_id:  # cannot happen with the FK; never stall
            group = next(groups, None)
        if group is None or group[0] != proposal_id:
            yield proposal_id, 0, None, "no events: the proposal's history is missing"
            continue
        checked, bad, why = verify_chain(group[1], event_payload, noun="event")
        yield proposal_id, checked, bad, why
        group = next(groups, None)
