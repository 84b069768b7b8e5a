"""Helpers for election tests: open an election of the world's group council and move the
clock into its voting window or past it (time_machine), leaving the services to do the work."""

from contextlib import contextmanager
from datetime import timedelta

import time_machine
from django.utils import timezone

from elections import services as es


def roll_users(world):
    """The group's verified residents, in the order the world made them."""
    return list(world.group_members) + list(world.residents)


def open_election(world, *, seats=3, candidates=4, uncontested=False, target=None):
    now = timezone.now()
    election = es.election_open(
        target=target or world.group_council, actor=world.staff, seats=seats,
        nominations_close=now + timedelta(days=1), opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=3), uncontested=uncontested,
    )
    people = roll_users(world)[:candidates]
    for person in people:
        es.candidate_nominate(election=election, candidate=person, actor=world.staff)
    return election, people


@contextmanager
def voting(election, hours=1):
    round_ = election.rounds.get(number=election.current_round)
    with time_machine.travel(round_.opens_at + timedelta(hours=hours), tick=False):
        yield


@contextmanager
def after_voting(election):
    round_ = election.rounds.get(number=election.current_round)
    with time_machine.travel(round_.closes_at + timedelta(hours=1), tick=False):
        yield


def cast_all(election, ballots):
    """``ballots``: list of (voter, [candidate users]) cast online in the voting window."""
    with voting(election):
        for voter, choices in ballots:
            es.election_ballot_cast(election=election, voter=voter, choices=choices)


def close(election, actor=None):
    with after_voting(election):
        return es.election_close(election=election, actor=actor)
