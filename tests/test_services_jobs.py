"""The ballot-closing job: only overdue ballots, each closed once, also under a real race."""

import threading
from datetime import timedelta

import pytest
import time_machine
from celery import _state as celery_state
from django.db import connection
from django.utils import timezone

from proposals import services as ps
from proposals.enums import EventKind
from proposals.enums import ProposalStatus as S
from proposals.models import ProposalEvent
from proposals.tasks import close_due_ballots
from tests.factories import backdate_memberships, build_world, to_group_review

CLOSE_EVENTS = (EventKind.ADOPTED, EventKind.BALLOT_CLOSED, EventKind.APPROVED, EventKind.REJECTED)


def group_ballot(world, *, title, approvals, opened_ago=timedelta(days=3), runs=timedelta(days=2)):
    with time_machine.travel(timezone.now() - opened_ago):
        proposal = to_group_review(world, title=title)
        ballot = ps.group_ballot_open(proposal=proposal, actor=world.group_members[0],
                                      closes_at=timezone.now() + runs)
        for member in world.group_members[:approvals]:
            ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    return ballot


def closes(ballot):
    return ProposalEvent.objects.filter(proposal=ballot.proposal, kind__in=CLOSE_EVENTS)


@pytest.fixture
def world(db):
    world = build_world(community_seats=3)
    backdate_memberships(world)
    return world


def test_close_due_ballots_closes_only_ballots_past_closes_at(world):
    due = group_ballot(world, title="北苑后门维修", approvals=3)
    running = group_ballot(world, title="北苑路灯", approvals=3, opened_ago=timedelta(hours=1))
    assert close_due_ballots() == [due.pk]
    assert close_due_ballots() == []
    due.refresh_from_db()
    running.refresh_from_db()
    assert due.closed_at is not None and due.closed_by is None and running.closed_at is None
    assert closes(due).count() == 1 and closes(running).count() == 0
    due.proposal.refresh_from_db()
    assert due.proposal.status == S.ADOPTED


def test_close_due_ballots_fixes_a_failed_outcome_and_leaves_the_proposal_in_review(world):
    ballot = group_ballot(world, title="北苑后门维修", approvals=2)  # 2 of 5: not more than half
    close_due_ballots()
    ballot.refresh_from_db()
    assert ballot.outcome == "failed" and (ballot.approve_count, ballot.electorate_size) == (2, 5)
    assert [e.kind for e in closes(ballot)] == [EventKind.BALLOT_CLOSED]
    ballot.proposal.refresh_from_db()
    assert ballot.proposal.status == S.GROUP_REVIEW


@pytest.mark.django_db(transaction=True)
def test_close_due_ballots_race_of_two_runs_closes_once(postgres):
    world = build_world(community_seats=3)
    backdate_memberships(world)
    ballots = [group_ballot(world, title=f"北苑后门维修 {n}", approvals=3) for n in range(3)]
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait(timeout=30)
            close_due_ballots()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    # Celery keeps a process-wide "inside a task" flag that eager tasks in two
    # threads can leave set; put it back so later tests may wait for results.
    saved = celery_state.task_join_will_block()
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    celery_state._set_task_join_will_block(saved)
    assert not errors
    for ballot in ballots:
        ballot.refresh_from_db()
        assert ballot.closed_at is not None
        assert closes(ballot).count() == 1
