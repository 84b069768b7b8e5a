"""R20 secrecy: after an election, nothing stored or logged links a ballot paper to a voter.

The test reads every row of every model and every captured log line after a full
election (online and paper ballots, a runoff) and looks for anything that could tie a
paper to a person: a column the paper shares with the roll beyond the election and the
round, a paper's id anywhere else, a time finer than the day, an event or log line
written while people voted.
"""

import logging
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone

from elections import services as es
from elections.models import BallotPaper, ElectionEvent, ElectionVoter
from tests.election_support import after_voting, close, open_election, roll_users, voting
from tests.factories import build_world

pytestmark = pytest.mark.django_db


def _all_rows():
    """Every row of every installed model, as text, with the model's label."""
    for model in apps.get_models():
        for row in model.objects.all().values():
            yield model._meta.label, row


def test_r20_ballot_paper_has_no_link_to_a_voter_by_construction():
    fields = {f.name: f for f in BallotPaper._meta.get_fields() if f.concrete}
    assert set(fields) == {"id", "election", "round", "cast_on", "choices"}
    assert isinstance(fields["id"], models.UUIDField)
    assert isinstance(fields["cast_on"], models.DateField) and not isinstance(fields["cast_on"], models.DateTimeField)
    assert BallotPaper._meta.ordering == ["id"]
    # No relation from the paper to a user, nor from anything to the paper.
    assert not any(f.is_relation and f.related_model is apps.get_model("councils", "User") for f in fields.values())
    assert not [f for f in BallotPaper._meta.get_fields() if f.auto_created and not f.concrete]
    voter_columns = {f.attname for f in ElectionVoter._meta.concrete_fields}
    paper_columns = {f.attname for f in BallotPaper._meta.concrete_fields}
    # "id" is each table's own key (a bigint on the roll, a random UUID on the paper).
    assert paper_columns & voter_columns == {"id", "election_id", "round_id"}


def test_r20_after_election_no_table_or_log_links_paper_to_voter(caplog):
    caplog.set_level(logging.DEBUG)
    world = build_world(group_seats=5, residents=5, community_seats=3)
    election, (a, b, c, d) = open_election(world, seats=3, candidates=4)
    voters = roll_users(world)
    events_before_voting = None
    with voting(election):
        es.election_roll_freeze(election=election)
        events_before_voting = ElectionEvent.objects.count()
        for v in voters[:3]:
            es.election_ballot_cast(election=election, voter=v, choices=[a, b, c])
        for n, v in enumerate(voters[3:6]):
            es.election_paper_ballot(election=election, voter=v, choices=[a, b], actor=world.staff, box=str(n + 1))
        es.election_ballot_cast(election=election, voter=voters[6], choices=[])
        # Casting wrote no event at all: an event is a timestamp next to a name.
        assert ElectionEvent.objects.count() == events_before_voting
    close(election)
    with after_voting(election):
        es.election_runoff_open(election=election, actor=world.staff, closes_at=timezone.now() + timedelta(days=2))
    election.refresh_from_db()
    with voting(election):
        es.election_ballot_cast(election=election, voter=voters[0], choices=[c])
        es.election_paper_ballot(election=election, voter=voters[1], choices=[d], actor=world.staff, box="9")
        for v in voters[2:6]:
            es.election_ballot_cast(election=election, voter=v, choices=[c])
    close(election)

    papers = list(BallotPaper.objects.all())
    assert len(papers) == 7 + 6
    paper_ids = {str(p.id) for p in papers}
    paper_hex = {p.id.hex for p in papers}
    voter_user_ids = {v.pk for v in voters}
    for label, row in _all_rows():
        text = repr(row)
        if label == "elections.BallotPaper":
            # The paper holds the election, the round, the day and candidate ids: no user.
            assert set(row) == {"id", "election_id", "round_id", "cast_on", "choices"}
            candidate_ids = set(election.candidates.values_list("pk", flat=True))
            assert set(row["choices"]) <= candidate_ids
            continue
        # No other row anywhere mentions a paper.
        assert not any(pid in text or h in text for pid, h in zip(paper_ids, paper_hex)), label
    # The roll records who voted and how, never what.
    for row in ElectionVoter.objects.values():
        assert set(row) == {"id", "election_id", "round_id", "user_id", "voted", "method", "box", "recorded_by_id"}
    # Events name no voter except as the staff actor, and never a ballot.
    for event in ElectionEvent.objects.all():
        assert event.kind in {"opened", "nominated", "roll_frozen", "round_closed", "runoff_opened", "seated"}
        if event.actor_id in voter_user_ids:
            pytest.fail(f"an event names a voter as its actor: {event.kind}")
    # Logs: no voter's name or username, and no paper id.
    log_text = "\n".join(r.getMessage() + repr(getattr(r, "args", "")) for r in caplog.records)
    for v in voters:
        assert v.username not in log_text and v.full_name not in log_text
    assert not any(pid in log_text for pid in paper_ids)
    # Papers of one day carry the same date: the date cannot order them.
    assert len({p.cast_on for p in papers if p.round.number == 1}) == 1
