"""R7/R14 under real concurrency: PostgreSQL, real transactions, real threads.

Skipped on SQLite (no row locks); fails instead of skipping when
YISHI_REQUIRE_POSTGRES=1 (the CI's PostgreSQL pass).
"""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from proposals import hooks
from proposals import services as ps
from proposals.enums import BallotOutcome, EventKind
from proposals.enums import ProposalStatus as S
from proposals.models import Ballot, Notice, Proposal, ProposalEvent, Vote
from tests.factories import build_world, group_adopt, make_proposal, to_community_vote, to_group_review, to_notice
from yishi.errors import DomainError, InvalidTransition

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 30  # PostgreSQL allows 100 connections, shared with other test runs


def in_thread(fn):
    """Run ``fn`` on its own connection and report ("ok", value) or ("refused", error) or ("error", exc)."""
    try:
        return "ok", fn()
    except DomainError as exc:
        return "refused", exc
    except Exception as exc:  # noqa: BLE001 - the test asserts there are none
        return "error", exc
    finally:
        connection.close()


def test_r7_37_electors_voting_5_times_at_once_give_exactly_37_votes(postgres):
    assert not connection.in_atomic_block  # real transactions, committed
    world = build_world()
    proposal, ballot = to_community_vote(world)
    choices = {m.pk: ("approve" if n < 25 else "oppose") for n, m in enumerate(world.community_members)}
    attempts = [m for m in world.community_members for _ in range(5)]
    random.Random(7).shuffle(attempts)
    start = threading.Event()

    def attempt(member):
        start.wait()
        return in_thread(
            lambda: ps.vote_cast(ballot=Ballot.objects.get(pk=ballot.pk), voter=member, choice=choices[member.pk])
        )

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(attempt, m) for m in attempts]
        start.set()
        results = [f.result() for f in futures]

    errors = [r for kind, r in results if kind == "error"]
    assert errors == []
    assert sum(1 for kind, _r in results if kind == "ok") == 37
    assert Vote.objects.filter(ballot=ballot).count() == 37
    assert Vote.objects.filter(ballot=ballot).values("voter").distinct().count() == 37
    ballot.refresh_from_db()
    proposal.refresh_from_db()
    assert (ballot.approve_count, ballot.oppose_count, ballot.outcome) == (25, 12, BallotOutcome.PASSED)
    assert ballot.closed_at is not None
    assert proposal.status == S.APPROVED
    assert ProposalEvent.objects.filter(proposal=proposal, kind=EventKind.APPROVED).count() == 1


def _slow_transitions(monkeypatch):
    """Hold each transition's transaction open a little, so two of them truly overlap."""

    def linger(**kwargs):
        time.sleep(0.2)

    monkeypatch.setattr(hooks, "_transition_hooks", [*hooks._transition_hooks, linger])


def _race(fn_a, fn_b):
    barrier = threading.Barrier(2)

    def run(fn):
        barrier.wait()
        return in_thread(fn)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return [f.result() for f in [pool.submit(run, fn_a), pool.submit(run, fn_b)]]


def _assert_one_winner(results):
    kinds = sorted(kind for kind, _r in results)
    assert kinds == ["ok", "refused"], results
    loser = next(r for kind, r in results if kind == "refused")
    # Refused by the re-check under the row lock, not by a constraint failing late.
    assert isinstance(loser, InvalidTransition), loser


def test_concurrent_submit_of_one_draft_one_wins_one_event(postgres, monkeypatch):
    world = build_world(community_seats=3)
    proposal = make_proposal(world)
    events = ProposalEvent.objects.filter(proposal=proposal).count()
    _slow_transitions(monkeypatch)

    def submit():
        return ps.proposal_submit(proposal=Proposal.objects.get(pk=proposal.pk), actor=world.author)

    _assert_one_winner(_race(submit, submit))
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW
    assert ProposalEvent.objects.filter(proposal=proposal).count() == events + 1
    assert ProposalEvent.objects.filter(proposal=proposal, kind=EventKind.SUBMITTED).count() == 1


def test_concurrent_notice_publish_by_two_members_one_wins_one_event(postgres, monkeypatch):
    world = build_world(community_seats=3)
    proposal = to_group_review(world)
    group_adopt(world, proposal)
    events = ProposalEvent.objects.filter(proposal=proposal).count()
    _slow_transitions(monkeypatch)

    def publish(member):
        return lambda: ps.notice_publish(proposal=Proposal.objects.get(pk=proposal.pk), actor=member)

    _assert_one_winner(_race(publish(world.group_members[0]), publish(world.group_members[1])))
    assert Notice.objects.filter(proposal=proposal).count() == 1
    assert ProposalEvent.objects.filter(proposal=proposal).count() == events + 1
    assert ProposalEvent.objects.filter(proposal=proposal, kind=EventKind.NOTICE_PUBLISHED).count() == 1


def test_concurrent_return_by_two_members_one_wins_one_event(postgres, monkeypatch):
    world = build_world(community_seats=3)
    proposal = to_group_review(world)
    events = ProposalEvent.objects.filter(proposal=proposal).count()
    _slow_transitions(monkeypatch)

    def send_back(member):
        return lambda: ps.proposal_return(
            proposal=Proposal.objects.get(pk=proposal.pk), actor=member, reason="请补充预算。"
        )

    _assert_one_winner(_race(send_back(world.group_members[0]), send_back(world.group_members[1])))
    proposal.refresh_from_db()
    assert proposal.status == S.DRAFT
    assert ProposalEvent.objects.filter(proposal=proposal).count() == events + 1
    assert ProposalEvent.objects.filter(proposal=proposal, kind=EventKind.RETURNED).count() == 1


def test_concurrent_group_ballot_open_gives_one_ballot(postgres):
    from datetime import timedelta

    from django.utils import timezone

    world = build_world(community_seats=3)
    proposal = to_group_review(world)
    closes_at = timezone.now() + timedelta(days=2)

    def open_ballot(member):
        return lambda: ps.group_ballot_open(
            proposal=Proposal.objects.get(pk=proposal.pk), actor=member, closes_at=closes_at
        )

    results = _race(open_ballot(world.group_members[0]), open_ballot(world.group_members[1]))
    assert sorted(kind for kind, _r in results) == ["ok", "refused"], results
    assert Ballot.objects.filter(proposal=proposal).count() == 1
    assert ProposalEvent.objects.filter(proposal=proposal, kind=EventKind.BALLOT_OPENED).count() == 1


def test_concurrent_objection_answers_one_wins(postgres):
    world = build_world(community_seats=3)
    proposal, notice = to_notice(world)
    objection = ps.objection_file(notice=notice, resident=world.residents[1], text="防盗刺不安全。")

    def answer(member, upheld):
        return lambda: ps.objection_answer(objection=objection, actor=member, upheld=upheld, answer="答复。")

    results = _race(answer(world.group_members[0], True), answer(world.group_members[1], False))
    assert sorted(kind for kind, _r in results) == ["ok", "refused"], results
    assert ProposalEvent.objects.filter(proposal=proposal, kind=EventKind.OBJECTION_ANSWERED).count() == 1
