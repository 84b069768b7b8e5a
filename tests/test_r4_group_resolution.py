"""R4: the group council adopts by more than half of its seated members; adoption freezes a resolution."""

from datetime import timedelta

import pytest
from django.utils import timezone

from proposals import services as ps
from proposals.enums import BallotOutcome, EventKind
from proposals.enums import ProposalStatus as S
from proposals.models import Resolution
from tests.factories import BACK_GATE_LINES, build_world, to_group_review
from yishi.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


def open_group_ballot(world, proposal):
    return ps.group_ballot_open(
        proposal=proposal, actor=world.group_members[0], closes_at=timezone.now() + timedelta(days=2)
    )


def state(proposal):
    proposal.refresh_from_db()
    return proposal.status, proposal.revision, proposal.events.count(), proposal.ballots.count()


def vote(ballot, members, choice):
    for member in members:
        ps.vote_cast(ballot=ballot, voter=member, choice=choice)


def test_r4_three_of_five_adopts_and_freezes_a_resolution(world):
    proposal = to_group_review(world)
    ballot = open_group_ballot(world, proposal)
    assert (ballot.electorate_size, ballot.threshold_numerator, ballot.threshold_denominator) == (5, 1, 2)
    assert ballot.threshold_inclusive is False
    vote(ballot, world.group_members[:3], "approve")
    vote(ballot, world.group_members[3:], "oppose")
    proposal.refresh_from_db()
    ballot.refresh_from_db()
    assert ballot.outcome == BallotOutcome.PASSED
    assert proposal.status == S.ADOPTED
    resolution = Resolution.objects.get(proposal=proposal)
    assert resolution.ballot == ballot and resolution.number == 1
    assert resolution.title == proposal.title and resolution.text == proposal.summary
    assert resolution.total == proposal.total == 36000 and resolution.community_share == 18000
    assert [line["item"] for line in resolution.budget] == [line[0] for line in BACK_GATE_LINES]
    assert resolution.content_hash == ps.content_hash(ps.proposal_content(proposal))
    assert resolution.proposal_revision == proposal.revision
    assert proposal.events.filter(kind=EventKind.ADOPTED).count() == 1


def test_r4_two_of_five_does_not_adopt(world):
    proposal = to_group_review(world)
    ballot = open_group_ballot(world, proposal)
    vote(ballot, world.group_members[:2], "approve")
    vote(ballot, world.group_members[2:], "oppose")
    proposal.refresh_from_db()
    ballot.refresh_from_db()
    assert ballot.closed_at is not None and ballot.outcome == BallotOutcome.FAILED
    assert proposal.status == S.GROUP_REVIEW  # stays in group review
    assert not Resolution.objects.filter(proposal=proposal).exists()
    assert proposal.events.filter(kind=EventKind.BALLOT_CLOSED).count() == 1


def test_r4_two_approve_three_abstain_does_not_adopt(world):
    proposal = to_group_review(world)
    ballot = open_group_ballot(world, proposal)
    vote(ballot, world.group_members[:2], "approve")
    vote(ballot, world.group_members[2:], "abstain")
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW


def test_r4_early_close_refused_at_two_of_five_with_three_to_vote(world):
    proposal = to_group_review(world)
    ballot = open_group_ballot(world, proposal)
    vote(ballot, world.group_members[:2], "approve")
    events = proposal.events.count()
    with pytest.raises(DomainError) as refused:
        ps.ballot_close(ballot=ballot, actor=world.group_members[0])
    assert "3" in str(refused.value)
    ballot.refresh_from_db()
    proposal.refresh_from_db()
    assert ballot.closed_at is None and proposal.status == S.GROUP_REVIEW and proposal.events.count() == events


def test_r4_failed_ballot_then_a_new_ballot_can_adopt(world):
    proposal = to_group_review(world)
    first = open_group_ballot(world, proposal)
    vote(first, world.group_members[:2], "approve")
    vote(first, world.group_members[2:], "oppose")
    second = open_group_ballot(world, proposal)
    vote(second, world.group_members[:3], "approve")
    ps.ballot_close(ballot=second, actor=world.group_members[0])
    proposal.refresh_from_db()
    assert proposal.status == S.ADOPTED
    assert Resolution.objects.get(proposal=proposal).ballot == second


def test_r4_a_second_group_ballot_refused_while_one_is_open(world):
    proposal = to_group_review(world)
    open_group_ballot(world, proposal)
    events = proposal.events.count()
    with pytest.raises(DomainError):
        open_group_ballot(world, proposal)
    assert proposal.ballots.count() == 1 and proposal.events.count() == events


def test_r4_proposal_cannot_be_edited_while_its_group_ballot_is_open(world):
    proposal = to_group_review(world)
    open_group_ballot(world, proposal)
    before = state(proposal)
    with pytest.raises(DomainError):
        ps.proposal_update(
            proposal=proposal, actor=proposal.author, title="改过的标题", summary=proposal.summary,
            lines=BACK_GATE_LINES, community_share="18000",
        )
    assert state(proposal) == before
    assert proposal.title == "北苑后门维修" and proposal.revision == 1


def test_r4_a_changed_proposal_needs_a_new_resolution(world):
    proposal = to_group_review(world)
    ps.proposal_update(
        proposal=proposal, actor=proposal.author, title="北苑后门与围墙", summary=proposal.summary,
        lines=BACK_GATE_LINES[:2], community_share="14000",
    )
    proposal.refresh_from_db()
    assert proposal.revision == 2 and proposal.total == 28000
    ballot = open_group_ballot(world, proposal)
    assert ballot.proposal_revision == 2
    vote(ballot, world.group_members[:3], "approve")
    ps.ballot_close(ballot=ballot, actor=world.group_members[0])
    resolution = Resolution.objects.get(proposal=proposal)
    assert resolution.title == "北苑后门与围墙" and resolution.total == 28000 and resolution.proposal_revision == 2


def test_r4_only_group_council_members_open_the_group_ballot(world):
    proposal = to_group_review(world)
    before = state(proposal)
    with pytest.raises(PermissionDenied):
        ps.group_ballot_open(proposal=proposal, actor=world.author, closes_at=timezone.now() + timedelta(days=2))
    assert state(proposal) == before and not proposal.ballots.exists()


def test_r4_group_ballot_refused_on_a_draft(world):
    from tests.factories import make_proposal

    proposal = make_proposal(world)
    before = state(proposal)
    with pytest.raises(DomainError):
        open_group_ballot(world, proposal)
    assert state(proposal) == before
    assert proposal.status == S.DRAFT and not proposal.ballots.exists()


def test_r4_group_ballot_closes_at_must_be_in_the_future(world):
    proposal = to_group_review(world)
    before = state(proposal)
    with pytest.raises(DomainError):
        ps.group_ballot_open(proposal=proposal, actor=world.group_members[0], closes_at=timezone.now())
    assert state(proposal) == before and not proposal.ballots.exists()


def test_r4_four_member_council_needs_three(db):
    world = build_world(group_seats=4)
    proposal = to_group_review(world)
    ballot = open_group_ballot(world, proposal)
    vote(ballot, world.group_members[:2], "approve")
    vote(ballot, world.group_members[2:], "oppose")
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW  # 2 of 4 is half, not more than half
