"""R7: the community council's two-thirds vote on the noticed resolution."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from councils import services as cs
from proposals import services as ps
from proposals.enums import BallotOutcome, EventKind
from proposals.enums import ProposalStatus as S
from proposals.models import Ballot, BallotElector, ProposalEvent, Vote
from tests.factories import UserFactory, build_world, to_community_vote
from yishi.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


def cast(ballot, members, choice):
    for member in members:
        ps.vote_cast(ballot=ballot, voter=member, choice=choice)


def snapshot(proposal, ballot):
    proposal.refresh_from_db()
    ballot.refresh_from_db()
    return (
        proposal.status, ballot.closed_at, ballot.outcome,
        ProposalEvent.objects.filter(proposal=proposal).count(), Vote.objects.filter(ballot=ballot).count(),
    )


def test_r7_ballot_freezes_the_electorate_and_the_noticed_resolution(world):
    proposal, ballot = to_community_vote(world)
    assert proposal.status == S.COMMUNITY_VOTE
    assert ballot.electorate_size == 37
    assert set(BallotElector.objects.filter(ballot=ballot).values_list("user", flat=True)) == {
        m.pk for m in world.community_members
    }
    assert ballot.resolution == ps.current_notice(proposal).resolution
    assert (ballot.threshold_numerator, ballot.threshold_denominator, ballot.threshold_inclusive) == (2, 3, True)


def test_r7_37_members_24_approve_fails(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:24], "approve")
    cast(ballot, world.community_members[24:], "oppose")
    proposal.refresh_from_db()
    ballot.refresh_from_db()
    assert ballot.outcome == BallotOutcome.FAILED
    assert proposal.status == S.REJECTED


def test_r7_37_members_25_approve_passes(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:25], "approve")
    cast(ballot, world.community_members[25:], "oppose")
    proposal.refresh_from_db()
    ballot.refresh_from_db()
    assert (ballot.outcome, ballot.approve_count, ballot.oppose_count) == (BallotOutcome.PASSED, 25, 12)
    assert proposal.status == S.APPROVED


@pytest.mark.parametrize(("approve", "status"), [(24, S.APPROVED), (23, S.REJECTED)])
def test_r7_36_members_boundary(db, approve, status):
    world = build_world(community_seats=36)
    proposal, ballot = to_community_vote(world)
    assert ballot.electorate_size == 36
    cast(ballot, world.community_members[:approve], "approve")
    cast(ballot, world.community_members[approve:], "oppose")
    proposal.refresh_from_db()
    assert proposal.status == status


@pytest.mark.parametrize(("approve", "status"), [(2, S.APPROVED), (1, S.REJECTED)])
def test_r7_3_members_boundary(db, approve, status):
    world = build_world(community_seats=3)
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:approve], "approve")
    cast(ballot, world.community_members[approve:], "oppose")
    proposal.refresh_from_db()
    assert proposal.status == status


def test_r7_abstentions_do_not_count_as_approve(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:24], "approve")
    cast(ballot, world.community_members[24:], "abstain")  # 13 abstain: 24 of 37 approve
    proposal.refresh_from_db()
    ballot.refresh_from_db()
    assert (ballot.approve_count, ballot.abstain_count) == (24, 13)
    assert ballot.outcome == BallotOutcome.FAILED
    assert proposal.status == S.REJECTED


def test_r7_non_voters_do_not_count_as_approve(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:24], "approve")  # 13 never vote
    with time_machine.travel(ballot.closes_at + timedelta(seconds=1)):
        ps.ballot_close(ballot=ballot)  # the system, at the deadline
    proposal.refresh_from_db()
    ballot.refresh_from_db()
    assert ballot.outcome == BallotOutcome.FAILED and ballot.closed_by is None
    assert proposal.status == S.REJECTED


def test_r7_ballot_closes_itself_once_every_elector_has_voted(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:36], "approve")
    ballot.refresh_from_db()
    assert ballot.closed_at is None  # 36 of 37: still open, the last member keeps the right
    ps.vote_cast(ballot=ballot, voter=world.community_members[36], choice="oppose")
    ballot.refresh_from_db()
    proposal.refresh_from_db()
    assert ballot.closed_at is not None and ballot.closed_by is None
    assert ballot.outcome == BallotOutcome.PASSED
    assert proposal.status == S.APPROVED
    assert ProposalEvent.objects.filter(proposal=proposal, kind=EventKind.APPROVED).count() == 1


def test_r7_staff_early_close_refused_while_the_outcome_can_change(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:24], "approve")  # 13 still to vote: 25 is reachable
    before = snapshot(proposal, ballot)
    with pytest.raises(DomainError) as refused:
        ps.ballot_close(ballot=ballot, actor=world.staff)
    message = str(refused.value)
    assert "24" in message and "25" in message and "13" in message  # approvals, needed, remaining
    assert snapshot(proposal, ballot) == before


def test_r7_staff_early_close_allowed_once_passing_is_certain(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:25], "approve")
    ps.ballot_close(ballot=ballot, actor=world.staff)
    proposal.refresh_from_db()
    ballot.refresh_from_db()
    assert ballot.closed_by == world.staff and ballot.outcome == BallotOutcome.PASSED
    assert proposal.status == S.APPROVED


def test_r7_staff_early_close_allowed_once_failing_is_certain(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:13], "oppose")  # 24 left: 25 approvals out of reach
    ps.ballot_close(ballot=ballot, actor=world.staff)
    proposal.refresh_from_db()
    assert proposal.status == S.REJECTED


def test_r7_system_close_refused_before_the_deadline_when_votes_are_missing(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:30], "approve")
    before = snapshot(proposal, ballot)
    with pytest.raises(DomainError):
        ps.ballot_close(ballot=ballot)
    assert snapshot(proposal, ballot) == before


def test_r7_a_member_cannot_close_the_community_ballot(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:25], "approve")
    before = snapshot(proposal, ballot)
    with pytest.raises(PermissionDenied):
        ps.ballot_close(ballot=ballot, actor=world.community_members[0])
    assert snapshot(proposal, ballot) == before


def test_r7_closing_is_idempotent(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:25], "approve")
    ps.ballot_close(ballot=ballot, actor=world.staff)
    after_first = snapshot(proposal, ballot)
    again = ps.ballot_close(ballot=Ballot.objects.get(pk=ballot.pk))
    assert again.outcome == BallotOutcome.PASSED
    assert snapshot(proposal, ballot) == after_first


def test_r7_vote_one_second_after_closes_at_refused_though_no_job_closed_it(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:10], "approve")
    before = snapshot(proposal, ballot)
    with time_machine.travel(ballot.closes_at + timedelta(seconds=1)):
        with pytest.raises(DomainError) as refused:
            ps.vote_cast(ballot=ballot, voter=world.community_members[10], choice="approve")
    assert "截止" in str(refused.value)
    assert snapshot(proposal, ballot) == before
    assert before[1] is None  # still open in the database: no job had closed it


def test_r7_vote_at_exactly_closes_at_refused(world):
    proposal, ballot = to_community_vote(world)
    before = snapshot(proposal, ballot)
    with time_machine.travel(ballot.closes_at, tick=False), pytest.raises(DomainError):
        ps.vote_cast(ballot=ballot, voter=world.community_members[0], choice="approve")
    assert snapshot(proposal, ballot) == before and before[4] == 0


def test_r7_second_vote_by_the_same_elector_refused(world):
    proposal, ballot = to_community_vote(world)
    member = world.community_members[0]
    ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    before = snapshot(proposal, ballot)
    with pytest.raises(DomainError) as refused:
        ps.vote_cast(ballot=ballot, voter=member, choice="oppose")
    assert "只能投一次" in str(refused.value)
    assert snapshot(proposal, ballot) == before
    assert Vote.objects.get(ballot=ballot, voter=member).choice == "approve"


def test_r7_one_vote_per_elector_is_a_database_constraint(world):
    proposal, ballot = to_community_vote(world)
    member = world.community_members[0]
    ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(ballot=ballot, voter=member, choice="oppose")


def test_r7_member_seated_after_opening_cannot_vote(world):
    proposal, ballot = to_community_vote(world)
    world.community.council_size = 40
    world.community.save(update_fields=["council_size"])
    newcomer = UserFactory(full_name="新任议事员")
    cs.seat_assign(council=world.community_council, user=newcomer, actor=world.staff)
    before = snapshot(proposal, ballot)
    with pytest.raises(PermissionDenied) as refused:
        ps.vote_cast(ballot=ballot, voter=newcomer, choice="approve")
    assert "名单" in str(refused.value)
    assert snapshot(proposal, ballot) == before
    ballot.refresh_from_db()
    assert ballot.electorate_size == 37


def test_r7_member_whose_seat_ended_after_opening_still_counts(world):
    proposal, ballot = to_community_vote(world)
    leaver = world.community_members[-1]
    seat = world.community_council.seats.get(user=leaver)
    cs.seat_end(seat=seat, actor=world.staff)
    # Still in the frozen electorate: 37, so 24 approvals of the 36 still seated is not enough.
    cast(ballot, world.community_members[:24], "approve")
    cast(ballot, world.community_members[24:36], "oppose")
    ballot.refresh_from_db()
    assert ballot.electorate_size == 37 and ballot.closed_at is None
    # ... and keeps the right to be on the record.
    ps.vote_cast(ballot=ballot, voter=leaver, choice="approve")
    ballot.refresh_from_db()
    proposal.refresh_from_db()
    assert (ballot.approve_count, ballot.electorate_size) == (25, 37)
    assert proposal.status == S.APPROVED


def test_r7_supervisor_never_votes(world):
    proposal, ballot = to_community_vote(world)
    before = snapshot(proposal, ballot)
    with pytest.raises(PermissionDenied):
        ps.vote_cast(ballot=ballot, voter=world.supervisor, choice="approve")
    assert snapshot(proposal, ballot) == before and before[4] == 0


def test_r7_unknown_choice_refused(world):
    proposal, ballot = to_community_vote(world)
    before = snapshot(proposal, ballot)
    with pytest.raises(DomainError):
        ps.vote_cast(ballot=ballot, voter=world.community_members[0], choice="maybe")
    assert snapshot(proposal, ballot) == before and before[4] == 0


def test_r7_ballot_opens_only_on_a_submitted_proposal(world):
    from tests.factories import to_group_review

    proposal = to_group_review(world)
    events = proposal.events.count()
    with pytest.raises(DomainError):
        ps.community_ballot_open(proposal=proposal, actor=world.staff, closes_at=timezone.now() + timedelta(days=3))
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW and proposal.events.count() == events
    assert not Ballot.objects.filter(proposal=proposal, kind="community").exists()


def test_r7_tally_reports_what_is_needed(world):
    proposal, ballot = to_community_vote(world)
    cast(ballot, world.community_members[:20], "approve")
    cast(ballot, world.community_members[20:22], "abstain")
    tally = ps.ballot_tally(ballot)
    assert tally == {
        "approve": 20, "oppose": 0, "abstain": 2, "cast": 22, "remaining": 15, "electorate": 37,
        "needed": 25, "passes_now": False, "decided": False,
    }
