"""R20 under real concurrency (PostgreSQL, threads): one voter sending many ballots at once
(online twice, or online and a paper entry together) stores exactly one ballot paper."""

import pytest
from django.db import connection

from elections import services as es
from elections.models import BallotPaper, ElectionVoter
from tests.election_support import open_election, voting
from tests.factories import build_world
from tests.test_r15_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_r20_concurrent_double_ballots_by_one_voter_store_one(postgres):
    world = build_world(group_seats=5, residents=5, community_seats=3)
    election, people = open_election(world)
    voter = world.residents[0]
    with voting(election):
        es.election_roll_freeze(election=election)

        def work(n):
            if n % 2:
                return es.election_paper_ballot(election=election, voter=voter, choices=[people[n % 4]],
                                                actor=world.staff, box="1").pk
            return es.election_ballot_cast(election=election, voter=voter, choices=[people[n % 4]]).pk

        results = run_at_once(8, work)
    entry = ElectionVoter.objects.get(election=election, user=voter)
    assert results.count(entry.pk) == 1, results
    assert results.count("refused") == 7, results
    assert BallotPaper.objects.filter(election=election).count() == 1
    assert ElectionVoter.objects.filter(election=election, voted=True).count() == 1


def test_r20_concurrent_first_ballots_freeze_roll_once(postgres):
    world = build_world(group_seats=5, residents=5, community_seats=3)
    election, people = open_election(world)
    voters = list(world.group_members) + list(world.residents)
    with voting(election):
        results = run_at_once(6, lambda n: es.election_ballot_cast(election=election, voter=voters[n],
                                                                    choices=[people[0]]).pk)
    assert all(isinstance(r, int) for r in results), results
    assert ElectionVoter.objects.filter(election=election).count() == 10
    assert BallotPaper.objects.filter(election=election).count() == 6
    connection.close()
