"""R5: the adopted resolution is posted for at least 7 full days; residents may object."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from proposals import services as ps
from proposals.enums import EventKind
from proposals.enums import ProposalStatus as S
from proposals.models import Notice, Objection, Resolution
from tests.factories import backdate_memberships, build_world, group_adopt, to_notice
from yishi.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


def state(proposal):
    proposal.refresh_from_db()
    return proposal.status, proposal.events.count(), Objection.objects.filter(notice__proposal=proposal).count()


def test_r5_notice_runs_seven_full_days(world):
    proposal, notice = to_notice(world)
    assert proposal.status == S.NOTICE
    assert notice.ends_at - notice.published_at == timedelta(days=7)
    assert notice.resolution == Resolution.objects.get(proposal=proposal)
    assert notice.is_running()


def test_r5_community_may_set_a_longer_notice(db):
    world = build_world()
    world.community.notice_days = 10
    world.community.save(update_fields=["notice_days"])
    proposal, notice = to_notice(world)
    assert notice.ends_at - notice.published_at == timedelta(days=10)


def test_r5_notice_shorter_than_seven_days_impossible_in_the_database(world):
    from django.db import IntegrityError, transaction

    world.community.notice_days = 6
    with pytest.raises(IntegrityError), transaction.atomic():
        world.community.save(update_fields=["notice_days"])


def test_r5_objection_at_6_days_23_hours_accepted(world):
    proposal, notice = to_notice(world)
    objector = world.residents[1]
    with time_machine.travel(notice.published_at + timedelta(days=6, hours=23)):
        objection = ps.objection_file(notice=notice, resident=objector, text="围墙防盗刺会伤到孩子。")
    assert objection.notice == notice and objection.answered_at is None
    assert proposal.events.filter(kind=EventKind.OBJECTION_FILED).count() == 1


def test_r5_objection_after_7_days_refused(world):
    proposal, notice = to_notice(world)
    before = state(proposal)
    with time_machine.travel(notice.ends_at + timedelta(seconds=1)):
        with pytest.raises(DomainError) as refused:
            ps.objection_file(notice=notice, resident=world.residents[1], text="太晚了的异议。")
    assert "结束" in str(refused.value)
    assert state(proposal) == before


def test_r5_objection_at_exactly_the_end_refused(world):
    proposal, notice = to_notice(world)
    before = state(proposal)
    with time_machine.travel(notice.ends_at, tick=False), pytest.raises(DomainError):
        ps.objection_file(notice=notice, resident=world.residents[1], text="正好到期。")
    assert state(proposal) == before


def test_r5_only_verified_residents_of_the_group_object(world):
    proposal, notice = to_notice(world)
    outsider = build_world(prefix="外").residents[0]
    before = state(proposal)
    for person in (outsider, world.community_members[0], world.supervisor):
        with pytest.raises(PermissionDenied):
            ps.objection_file(notice=notice, resident=person, text="我不是本小组居民。")
    assert state(proposal) == before


def test_r5_dismissed_objection_keeps_the_notice_running(world):
    proposal, notice = to_notice(world)
    objection = ps.objection_file(notice=notice, resident=world.residents[1], text="价格太高。")
    ps.objection_answer(objection=objection, actor=world.group_members[0], upheld=False, answer="已比价，价格合理。")
    objection.refresh_from_db()
    notice.refresh_from_db()
    proposal.refresh_from_db()
    assert objection.upheld is False and objection.answer == "已比价，价格合理。"
    assert notice.voided_at is None and proposal.status == S.NOTICE


def test_r5_objection_answer_needs_a_reason_and_a_group_council_member(world):
    proposal, notice = to_notice(world)
    objection = ps.objection_file(notice=notice, resident=world.residents[1], text="价格太高。")
    before = state(proposal)
    with pytest.raises(DomainError):
        ps.objection_answer(objection=objection, actor=world.group_members[0], upheld=False, answer="  ")
    with pytest.raises(PermissionDenied):
        ps.objection_answer(objection=objection, actor=world.residents[2], upheld=True, answer="我同意。")
    assert state(proposal) == before
    objection.refresh_from_db()
    assert objection.answered_at is None


def test_r5_an_objection_is_answered_once(world):
    proposal, notice = to_notice(world)
    objection = ps.objection_file(notice=notice, resident=world.residents[1], text="价格太高。")
    ps.objection_answer(objection=objection, actor=world.group_members[0], upheld=False, answer="价格合理。")
    before = state(proposal)
    with pytest.raises(DomainError):
        ps.objection_answer(objection=objection, actor=world.group_members[1], upheld=True, answer="改为采纳。")
    assert state(proposal) == before
    objection.refresh_from_db()
    assert objection.upheld is False


def test_r5_upheld_objection_returns_to_group_review_and_voids_the_notice(world):
    proposal, notice = to_notice(world)
    objection = ps.objection_file(notice=notice, resident=world.residents[1], text="防盗刺不安全。")
    ps.objection_answer(objection=objection, actor=world.group_members[0], upheld=True, answer="采纳，改用围网。")
    proposal.refresh_from_db()
    notice.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW
    assert notice.voided_at is not None and ps.current_notice(proposal) is None
    event = proposal.events.order_by("-seq").first()
    assert (event.kind, event.from_status, event.to_status) == (EventKind.OBJECTION_ANSWERED, S.NOTICE, S.GROUP_REVIEW)
    # The voided notice takes no more objections.
    with pytest.raises(DomainError):
        ps.objection_file(notice=notice, resident=world.residents[2], text="再提一条。")


def test_r5_next_resolution_needs_a_fresh_full_notice(world):
    backdate_memberships(world)
    start = timezone.now() - timedelta(days=20)
    with time_machine.travel(start):
        proposal, first = to_notice(world)
    with time_machine.travel(start + timedelta(days=3)):
        objection = ps.objection_file(notice=first, resident=world.residents[1], text="防盗刺不安全。")
        ps.objection_answer(objection=objection, actor=world.group_members[0], upheld=True, answer="采纳。")
        proposal.refresh_from_db()
        ps.proposal_update(
            proposal=proposal, actor=world.group_members[0], title=proposal.title, summary="改用围网。",
            lines=[("后门维修", 1, "项", "12000"), ("消防通道整治", 1, "项", "16000"), ("围网", 100, "米", "60")],
            community_share="17000",
        )
        group_adopt(world, proposal)
        assert proposal.status == S.ADOPTED
        assert Resolution.objects.filter(proposal=proposal).count() == 2
        # Adopted again, but no notice yet: the old notice's days do not count.
        with pytest.raises(DomainError):
            ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
    # Past the first notice's end (day 7) but not 7 days after the new one was published.
    with time_machine.travel(start + timedelta(days=4)):
        second = ps.notice_publish(proposal=proposal, actor=world.group_members[0])
    assert second.resolution.number == 2
    assert second.ends_at == second.published_at + timedelta(days=7)
    with time_machine.travel(start + timedelta(days=8)):
        events = proposal.events.count()
        with pytest.raises(DomainError) as refused:
            ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
        assert "还剩" in str(refused.value)
        proposal.refresh_from_db()
        assert proposal.status == S.NOTICE and proposal.events.count() == events
    with time_machine.travel(second.ends_at + timedelta(seconds=1)):
        ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
    proposal.refresh_from_db()
    assert proposal.status == S.SUBMITTED
    assert proposal.events.order_by("-seq").first().data["notice"] == second.pk


def test_r5_notice_publish_needs_an_adopted_proposal_and_a_group_member(world):
    from tests.factories import to_group_review

    proposal = to_group_review(world)
    before = state(proposal)
    with pytest.raises(DomainError):
        ps.notice_publish(proposal=proposal, actor=world.group_members[0])
    assert state(proposal) == before and not Notice.objects.filter(proposal=proposal).exists()
    group_adopt(world, proposal)
    before = state(proposal)
    with pytest.raises(PermissionDenied):
        ps.notice_publish(proposal=proposal, actor=world.residents[1])
    assert state(proposal) == before and not Notice.objects.filter(proposal=proposal).exists()
