"""R6: a proposal goes to the community only after its notice ran its full time, and only as noticed."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction

from proposals import services as ps
from proposals.enums import EventKind
from proposals.enums import ProposalStatus as S
from proposals.models import Proposal
from tests.factories import to_community_vote, to_notice
from yishi.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


def state(proposal):
    proposal.refresh_from_db()
    return proposal.status, proposal.events.count()


def test_r6_submission_before_the_end_refused_with_the_time_left(world):
    proposal, notice = to_notice(world)
    before = state(proposal)
    with time_machine.travel(notice.published_at + timedelta(days=6, hours=23), tick=False):
        with pytest.raises(DomainError) as refused:
            ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
    message = str(refused.value)
    assert "还剩 1 小时" in message
    assert state(proposal) == before


def test_r6_submission_lists_days_left_early_in_the_notice(world):
    proposal, notice = to_notice(world)
    with time_machine.travel(notice.published_at + timedelta(days=1), tick=False):
        blockers = ps.submission_blockers(proposal)
    assert any("还剩 6 天" in b for b in blockers)


def test_r6_submission_after_the_full_notice_succeeds(world):
    proposal, notice = to_notice(world)
    with time_machine.travel(notice.ends_at + timedelta(seconds=1)):
        assert ps.submission_blockers(proposal) == []
        ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
    proposal.refresh_from_db()
    assert proposal.status == S.SUBMITTED
    event = proposal.events.order_by("-seq").first()
    assert event.kind == EventKind.SUBMITTED_TO_COMMUNITY
    assert event.data == {"notice": notice.pk, "resolution": notice.resolution_id}


def test_r6_unanswered_objection_blocks_submission(world):
    proposal, notice = to_notice(world)
    objection = ps.objection_file(notice=notice, resident=world.residents[1], text="价格太高。")
    with time_machine.travel(notice.ends_at + timedelta(hours=1)):
        before = state(proposal)
        with pytest.raises(DomainError) as refused:
            ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
        assert "1 条异议没有答复" in str(refused.value)
        assert state(proposal) == before
        # Dismissed with a reason: now it may go.
        ps.objection_answer(objection=objection, actor=world.group_members[0], upheld=False, answer="价格合理。")
        ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
    proposal.refresh_from_db()
    assert proposal.status == S.SUBMITTED


def test_r6_only_group_council_members_submit(world):
    proposal, notice = to_notice(world)
    with time_machine.travel(notice.ends_at + timedelta(seconds=1)):
        before = state(proposal)
        with pytest.raises(PermissionDenied):
            ps.proposal_submit_to_community(proposal=proposal, actor=world.author)
        assert state(proposal) == before


def test_r6_a_changed_proposal_cannot_be_submitted_on_an_old_notice(world):
    proposal, notice = to_notice(world)
    # Changed behind the services' back (an admin edit, a script): the content no
    # longer matches the noticed resolution's hash.
    Proposal.objects.filter(pk=proposal.pk).update(title="偷偷改过的标题")
    with time_machine.travel(notice.ends_at + timedelta(seconds=1)):
        before = state(proposal)
        with pytest.raises(DomainError) as refused:
            ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
        assert "修改" in str(refused.value)
        assert state(proposal) == before


def test_r6_a_changed_budget_cannot_be_submitted_on_an_old_notice(world):
    proposal, notice = to_notice(world)
    line = proposal.lines.get(position=3)
    type(line).objects.filter(pk=line.pk).update(unit_price="90.00")
    with time_machine.travel(notice.ends_at + timedelta(seconds=1)), pytest.raises(DomainError):
        ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
    proposal.refresh_from_db()
    assert proposal.status == S.NOTICE


def test_r6_edited_after_upheld_objection_cannot_go_on_the_old_notice(world):
    proposal, notice = to_notice(world)
    objection = ps.objection_file(notice=notice, resident=world.residents[1], text="防盗刺不安全。")
    ps.objection_answer(objection=objection, actor=world.group_members[0], upheld=True, answer="采纳。")
    proposal.refresh_from_db()
    ps.proposal_update(
        proposal=proposal, actor=world.group_members[0], title=proposal.title, summary="改用围网。",
        lines=[("后门维修", 1, "项", "12000")], community_share="6000",
    )
    with time_machine.travel(notice.ends_at + timedelta(days=1)):
        before = state(proposal)
        with pytest.raises(DomainError):
            ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
        assert state(proposal) == before
        assert ps.submission_blockers(proposal)


def test_r6_budget_returned_voids_the_old_notice(world):
    """APPROVED -> GROUP_REVIEW (the funding app's budget return) needs a fresh notice next time."""
    proposal, ballot = to_community_vote(world)
    for member in world.community_members[:25]:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    ps.ballot_close(ballot=ballot, actor=world.staff)
    proposal.refresh_from_db()
    assert proposal.status == S.APPROVED and ps.current_notice(proposal) is not None
    with transaction.atomic():
        ps.lock_proposal(proposal)
        ps.proposal_transition(
            proposal=proposal, to_status=S.GROUP_REVIEW, actor=world.street_staff,
            kind=EventKind.BUDGET_RETURNED, reason="预算需要细化。",
        )
    assert ps.current_notice(proposal) is None
    assert ps.submission_blockers(proposal)


def test_r6_submission_refused_outside_notice(world):
    from tests.factories import to_group_review

    proposal = to_group_review(world)
    before = state(proposal)
    with pytest.raises(DomainError):
        ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
    assert state(proposal) == before


def test_r6_community_ballot_refused_when_the_content_left_the_noticed_resolution(world):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import to_submitted

    proposal = to_submitted(world)
    Proposal.objects.filter(pk=proposal.pk).update(summary="提交后被改过。")
    before = state(proposal)
    with pytest.raises(DomainError) as refused:
        ps.community_ballot_open(proposal=proposal, actor=world.staff, closes_at=timezone.now() + timedelta(days=3))
    assert "不一致" in str(refused.value)
    assert state(proposal) == before and not proposal.ballots.filter(kind="community").exists()
