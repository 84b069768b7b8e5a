"""Cross-checks between proposals' rows and their hash-chained events (R14).

The event chain is protected by its links and by signed checkpoints; these
checks carry that protection to the rows kept outside the chain, which a
database owner with the triggers off could otherwise change unseen:

- a proposal's ``status`` is the ``to_status`` of its last event that moved it;
- a ballot's ``electorate_size`` and roll are what the opening event recorded;
  a closed ballot's counts and outcome are its votes, the threshold rule and
  what the closing event recorded, and its votes are the digest recorded then;
- a resolution's ``content_hash`` is the hash of its content and the hash the
  adopting event recorded.

Each check yields ``yishi.chain.Finding``s naming the table, the row and what
differs. Registered in ``ProposalsConfig.ready`` for ``manage.py verify_history``.
"""

from collections import Counter
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from django.db.models import OuterRef, Subquery

from yishi.chain import Finding

from .enums import EventKind, VoteChoice
from .history import VOTE_FIELDS, electors_digest, votes_digest
from .models import Ballot, BallotElector, Proposal, ProposalEvent, Resolution, Vote

CENT = Decimal("0.01")
BALLOT_TABLE = Ballot._meta.db_table
CLOSING_KINDS = (EventKind.BALLOT_CLOSED, EventKind.ADOPTED, EventKind.APPROVED, EventKind.REJECTED)


def check_proposal_status():
    """Each proposal's status is the ``to_status`` of its last event that changed it."""
    last = (
        ProposalEvent.objects.filter(proposal=OuterRef("pk")).exclude(to_status="").order_by("-seq")
    )
    rows = (
        Proposal.objects.order_by("pk")
        .annotate(last_to=Subquery(last.values("to_status")[:1]), last_seq=Subquery(last.values("seq")[:1]))
        .values_list("pk", "status", "last_to", "last_seq")
    )
    for pk, status, last_to, last_seq in rows.iterator(chunk_size=2000):
        if last_to is None:
            yield Finding("proposal_status", Proposal._meta.db_table, pk,
                          f"status is {status!r} but no event ever set a status", proposal_id=pk)
        elif status != last_to:
            yield Finding("proposal_status", Proposal._meta.db_table, pk,
                          f"status is {status!r} but its last event (seq {last_seq}) set {last_to!r}",
                          proposal_id=pk)


def _ballot_events():
    """{ballot id: opening event}, {ballot id: closing event} as (proposal id, seq, data)."""
    opened, closed = {}, {}
    events = ProposalEvent.objects.filter(kind__in=(EventKind.BALLOT_OPENED, *CLOSING_KINDS)).order_by(
        "proposal_id", "seq"
    ).values_list("proposal_id", "seq", "kind", "data")
    for proposal_id, seq, kind, data in events.iterator(chunk_size=5000):
        ballot_id = (data or {}).get("ballot")
        if ballot_id is None:
            continue
        if kind == EventKind.BALLOT_OPENED:
            opened[ballot_id] = (proposal_id, seq, data)
        elif "outcome" in data:
            closed[ballot_id] = (proposal_id, seq, data)
    return opened, closed


class _Groups:
    """Rows ordered by their first column, taken group by group for increasing keys."""

    def __init__(self, rows):
        self._groups = groupby(rows.iterator(chunk_size=10000), key=itemgetter(0))
        self._current = next(self._groups, None)

    def take(self, key) -> list:
        while self._current is not None and self._current[0] < key:
            self._current = next(self._groups, None)
        if self._current is None or self._current[0] != key:
            return []
        rows = [row[1:] for row in self._current[1]]
        self._current = next(self._groups, None)
        return rows


def check_ballots():
    """Electorate, roll, counts, outcome and votes of every ballot against its votes and events."""
    from .services import ballot_threshold  # services import this module's neighbours, not this module

    opened, closed = _ballot_events()
    # Rolls and votes stream in ballot order beside the ballots: memory stays one ballot's worth.
    roll = _Groups(BallotElector.objects.order_by("ballot_id").values_list("ballot_id", "user_id"))
    votes = _Groups(Vote.objects.order_by("ballot_id").values_list("ballot_id", *VOTE_FIELDS))

    for ballot in Ballot.objects.order_by("pk").iterator(chunk_size=2000):
        pk, pid = ballot.pk, ballot.proposal_id

        def finding(message, pk=pk, pid=pid):
            return Finding("ballots", BALLOT_TABLE, pk, message, proposal_id=pid)

        electors = [user_id for (user_id,) in roll.take(pk)]
        if len(electors) != ballot.electorate_size:
            yield finding(f"electorate_size is {ballot.electorate_size} but {len(electors)} electors are on the roll")
        opening = opened.get(pk)
        if opening is None:
            yield finding("no event records the opening of this ballot")
        else:
            data = opening[2]
            if data.get("electorate") != ballot.electorate_size:
                yield finding(
                    f"electorate_size is {ballot.electorate_size} but the opening event (seq {opening[1]}) "
                    f"froze {data.get('electorate')}"
                )
            if "electors" in data and data["electors"] != electors_digest(electors):
                yield finding(f"the roll of electors differs from the one frozen by the opening event (seq {opening[1]})")
        cast = votes.take(pk)
        on_roll = set(electors)
        strangers = sorted(voter for voter, *_rest in cast if voter not in on_roll)
        if strangers:
            yield finding(f"votes by users not on the roll: {strangers}")
        if ballot.closed_at is None:
            if closed.get(pk):
                yield finding(f"the ballot is open but an event (seq {closed[pk][1]}) closed it")
            continue
        counts = Counter(choice for _voter, choice, *_rest in cast)
        stored = {
            VoteChoice.APPROVE: ballot.approve_count, VoteChoice.OPPOSE: ballot.oppose_count,
            VoteChoice.ABSTAIN: ballot.abstain_count,
        }
        for choice, n in stored.items():
            if counts.get(choice, 0) != n:
                yield finding(f"{choice}_count is {n} but {counts.get(choice, 0)} {choice} votes are stored")
        threshold = ballot_threshold(ballot)
        passes = threshold.passes(
            approve=ballot.approve_count, electorate=ballot.electorate_size, votes_cast=sum(stored.values())
        )
        expected = "passed" if passes else "failed"
        if ballot.outcome != expected:
            yield finding(f"outcome is {ballot.outcome!r} but its counts and rule give {expected!r}")
        closing = closed.get(pk)
        if closing is None:
            yield finding("the ballot is closed but no event records its closing")
            continue
        seq, data = closing[1], closing[2]
        for key, value in (("outcome", ballot.outcome), ("approve", ballot.approve_count),
                           ("oppose", ballot.oppose_count), ("abstain", ballot.abstain_count),
                           ("electorate", ballot.electorate_size)):
            if key in data and data[key] != value:
                yield finding(f"{key} is {value!r} but the closing event (seq {seq}) recorded {data[key]!r}")
        if "votes" in data and data["votes"] != votes_digest(cast):
            yield finding(f"its votes differ from those recorded by the closing event (seq {seq})")


def _resolution_content(resolution: Resolution) -> dict:
    return {
        "title": resolution.title,
        "text": resolution.text,
        "category": resolution.category,
        "budget": resolution.budget,
        "total": format(Decimal(resolution.total).quantize(CENT), "f"),
        "community_share": format(Decimal(resolution.community_share).quantize(CENT), "f"),
    }


def check_resolutions():
    """Each resolution's content hash is the hash of its content and the hash its adopting event recorded."""
    from .services import content_hash

    table = Resolution._meta.db_table
    adopted = {}
    for seq, data in ProposalEvent.objects.filter(kind=EventKind.ADOPTED).values_list("seq", "data").iterator(
        chunk_size=5000
    ):
        if (data or {}).get("resolution") is not None:
            adopted[data["resolution"]] = (seq, data)
    seen = set()
    for resolution in Resolution.objects.order_by("pk").iterator(chunk_size=2000):
        seen.add(resolution.pk)
        pid = resolution.proposal_id
        if content_hash(_resolution_content(resolution)) != resolution.content_hash:
            yield Finding("resolutions", table, resolution.pk,
                          "content does not match its content_hash (text or budget was changed)", proposal_id=pid)
        event = adopted.get(resolution.pk)
        if event is None:
            yield Finding("resolutions", table, resolution.pk, "no event records its adoption", proposal_id=pid)
        elif "content_hash" in event[1] and event[1]["content_hash"] != resolution.content_hash:
            yield Finding("resolutions", table, resolution.pk,
                          f"content_hash differs from the one recorded by the adopting event (seq {event[0]})",
                          proposal_id=pid)
    for missing in sorted(set(adopted) - seen):
        yield Finding("resolutions", table, missing, "the row is missing though an event records its adoption")

