"""Scoped reads: who sees which proposal, and lists that cost a fixed number of queries."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from proposals import selectors as sel
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from tests.factories import UserFactory, build_world, group_adopt, make_proposal, to_group_review, to_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_worlds(db):
    here = build_world(community_seats=3)
    there = build_world(community_seats=3, prefix="外")
    return here, there


def visible(user):
    return set(sel.proposals_visible_to(user).values_list("title", flat=True))


def test_visibility_of_drafts_review_and_public_states(two_worlds):
    here, there = two_worlds
    make_proposal(here, title="草稿")
    to_group_review(here, title="小组议事")
    to_notice(here, title="公示中")
    everything = {"草稿", "小组议事", "公示中"}

    assert visible(AnonymousUser()) == {"公示中"}
    assert visible(None) == {"公示中"}
    assert visible(there.residents[0]) == {"公示中"}  # a resident of another community
    assert visible(there.staff) == {"公示中"}
    assert visible(here.community_members[0]) == {"公示中"}  # community council: public states only
    assert visible(here.author) == everything
    assert visible(here.residents[2]) == everything  # a resident of the group
    assert visible(here.group_members[3]) == everything
    assert visible(here.staff) == everything
    assert visible(here.street_staff) == everything
    assert visible(here.supervisor) == everything
    assert visible(UserFactory(is_superuser=True)) == everything


def test_withdrawn_draft_stays_private_withdrawn_after_notice_is_public(two_worlds):
    here, there = two_worlds
    draft = make_proposal(here, title="撤回的草稿")
    ps.proposal_withdraw(proposal=draft, actor=here.author, reason="不做了。")
    noticed, _notice = to_notice(here, title="撤回的公示")
    ps.proposal_withdraw(proposal=noticed, actor=here.author, reason="不做了。")
    assert visible(AnonymousUser()) == {"撤回的公示"}
    assert visible(here.residents[1]) == {"撤回的草稿", "撤回的公示"}


def test_proposal_detail_answers_404_outside_scope(two_worlds):
    here, there = two_worlds
    draft = make_proposal(here)
    assert sel.proposal_detail(draft.pk, user=here.residents[1]).pk == draft.pk
    with pytest.raises(Http404):
        sel.proposal_detail(draft.pk, user=there.residents[0])
    with pytest.raises(Http404):
        sel.proposal_detail(draft.pk, user=AnonymousUser())
    assert sel.can_view_proposal(here.staff, draft) and not sel.can_view_proposal(there.staff, draft)


def _touch_detail(proposal):
    """Read everything the page shows."""
    proposal.group.community.subdistrict.name, proposal.author.full_name, proposal.entered_by
    [line.amount for line in proposal.lines.all()]
    [r.number for r in proposal.resolutions.all()]
    for notice in proposal.notices.all():
        notice.resolution.title, notice.published_by.full_name
        [(o.resident.full_name, o.answered_by) for o in notice.objections.all()]
    [(b.council.name, b.opened_by.full_name, b.closed_by, b.resolution) for b in proposal.ballots.all()]
    [(h.placed_by, h.lifted_by) for h in proposal.holds.all()]
    [o.supervisor for o in proposal.opinions.all()]
    [a.meeting.council for a in proposal.agenda_items.all()]
    [(e.actor, e.on_behalf_of) for e in proposal.events.all()]


def test_proposal_detail_costs_a_fixed_number_of_queries(world, django_assert_num_queries):
    proposal, notice = to_notice(world)
    for resident in world.residents[1:3]:
        ps.objection_file(notice=notice, resident=resident, text="有意见。")
    ps.opinion_record(proposal=proposal, supervisor=world.supervisor, text="请公开比价。")
    ps.hold_place(proposal=proposal, supervisor=world.supervisor, reason="核实中。")
    # 1 proposal + 9 prefetches (lines, resolutions, notices, objections, ballots, holds, opinions,
    # agenda items, events), whatever the counts.
    with django_assert_num_queries(10):
        _touch_detail(sel.proposal_detail(proposal.pk))
    with django_assert_num_queries(10):
        _touch_detail(sel.proposal_detail(proposal.pk, user=world.residents[0]))


@pytest.mark.parametrize("count", [1, 3])
def test_proposals_visible_to_list_is_one_query(world, count, django_assert_num_queries):
    for n in range(count):
        to_notice(world, title=f"议案{n}")
    with django_assert_num_queries(1):
        rows = [(p.title, p.group.community.subdistrict.name, p.author.full_name)
                for p in sel.proposals_visible_to(world.staff)]
    assert len(rows) == count
    with django_assert_num_queries(1):
        assert len(list(sel.proposals_visible_to(AnonymousUser()))) == count


@pytest.mark.parametrize("count", [1, 3])
def test_ballots_for_elector_is_one_query(world, count, django_assert_num_queries):
    member = world.group_members[1]
    for n in range(count):
        proposal = to_group_review(world, title=f"议案{n}")
        ballot = ps.group_ballot_open(proposal=proposal, actor=world.group_members[0],
                                      closes_at=timezone.now() + timedelta(days=2))
        if n == 0:
            ps.vote_cast(ballot=ballot, voter=member, choice="oppose")
    with django_assert_num_queries(1):
        rows = [(b.proposal.title, b.proposal.group.community.name, b.council.name, b.my_choice, b.votes_cast)
                for b in sel.ballots_for_elector(member)]
    assert len(rows) == count
    assert sorted(r[3] or "" for r in rows)[-1] == "oppose"
    assert list(sel.ballots_for_elector(world.residents[0])) == []
    assert list(sel.ballots_for_elector(AnonymousUser())) == []


def test_ballots_for_elector_open_only(world):
    proposal = to_group_review(world)
    group_adopt(world, proposal)
    assert sel.ballots_for_elector(world.group_members[0]).count() == 1
    assert sel.ballots_for_elector(world.group_members[0], open_only=True).count() == 0


@pytest.mark.parametrize("count", [1, 3])
def test_open_notices_for_group(world, count, django_assert_num_queries):
    for n in range(count):
        to_notice(world, title=f"议案{n}")
    first = sel.open_notices_for_group(world.group).first()
    ps.objection_file(notice=first, resident=world.residents[1], text="有意见。")
    with django_assert_num_queries(1):
        rows = [(n.proposal.title, n.resolution.number, n.objection_count, n.unanswered_count)
                for n in sel.open_notices_for_group(world.group)]
    assert len(rows) == count
    assert sum(r[3] for r in rows) == 1
    later = timezone.now() + timedelta(days=8)
    assert not sel.open_notices_for_group(world.group, at=later).exists()


@pytest.mark.parametrize("count", [1, 3])
def test_review_queue_for_group_council_members(world, count, django_assert_num_queries):
    for n in range(count):
        to_group_review(world, title=f"议案{n}")
    make_proposal(world, title="草稿不在队列")
    with django_assert_num_queries(1):
        rows = [(p.title, p.group.community.name, p.author.full_name, p.open_group_ballot)
                for p in sel.review_queue_for(world.group_members[2])]
    assert len(rows) == count
    assert list(sel.review_queue_for(world.residents[0])) == []
    assert list(sel.review_queue_for(world.staff)) == []


def test_review_queue_can_include_notices_with_unanswered_objections(world):
    proposal, notice = to_notice(world)
    ps.objection_file(notice=notice, resident=world.residents[1], text="有意见。")
    queue = list(sel.review_queue_for(world.group_members[0], statuses=(S.GROUP_REVIEW, S.NOTICE)))
    assert [(p.pk, p.unanswered_objections) for p in queue] == [(proposal.pk, 1)]


@pytest.mark.parametrize("count", [1, 3])
def test_timeline_is_one_query(world, count, django_assert_num_queries):
    proposal = make_proposal(world, entered_by=world.staff)
    for n in range(count - 1):
        ps.opinion_record(proposal=proposal, supervisor=world.supervisor, text=f"意见{n}。")
    with django_assert_num_queries(1):
        rows = [(e.seq, e.actor.full_name, e.on_behalf_of) for e in sel.timeline(proposal)]
    assert [r[0] for r in rows] == list(range(1, count + 1))
