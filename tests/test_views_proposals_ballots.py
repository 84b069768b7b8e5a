"""Ballot pages (R4, R7): my ballots, the ballot page, the live tally, voting with confirmation, closing."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from proposals import services as ps
from proposals.enums import ProposalStatus as S
from proposals.models import Ballot, Vote
from yishi.errors import DomainError
from tests.factories import to_community_vote, to_group_review, to_notice
from tests.test_views_proposals_support import *  # noqa: F403
from tests.test_views_proposals_support import (
    HTMX,
    SCRIPT,
    as_user,
    assert_login_redirect,
    objection,
    open_group_ballot,
    queries_of,
    text_of,
    url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def voting(world):
    """A proposal in community vote with one answered objection and a supervisor's opinion."""
    proposal, notice = to_notice(world)
    obj = objection(world, proposal, text="围墙防盗刺会不会伤到孩子？")
    ps.objection_answer(objection=obj, actor=world.group_members[0], upheld=False, answer="装在 2.2 米以上")
    from django.db.models import F

    from proposals.models import Notice, Objection

    # Let the notice have run its full time (shift it into the past).
    Notice.objects.filter(pk=notice.pk).update(published_at=F("published_at") - timedelta(days=8),
                                               ends_at=F("ends_at") - timedelta(days=8))
    Objection.objects.filter(pk=obj.pk).update(filed_at=F("filed_at") - timedelta(days=8))
    ps.proposal_submit_to_community(proposal=proposal, actor=world.group_members[0])
    ps.opinion_record(proposal=proposal, supervisor=world.supervisor, text="比价要留档")
    ballot = ps.community_ballot_open(proposal=proposal, actor=world.staff,
                                      closes_at=timezone.now() + timedelta(days=3))
    proposal.refresh_from_db()
    return proposal, ballot


def cast(world, ballot, n, choice="approve", start=0):
    for member in world.community_members[start:start + n]:
        ps.vote_cast(ballot=ballot, voter=member, choice=choice)


# --------------------------------------------------------------------------- my ballots


def test_my_ballots_permission_matrix(world, other, stranger, client, voting):
    _proposal, ballot = voting
    assert_login_redirect(client.get(url("my_ballots")))
    response = as_user(client, world.residents[1]).get(url("my_ballots"))
    assert response.status_code == 403 and "议事会成员" in text_of(response)
    assert as_user(client, stranger).get(url("my_ballots")).status_code == 403
    body = text_of(as_user(client, world.community_members[0]).get(url("my_ballots")))
    assert url("ballot", ballot.pk) in body and "等您投票" in body
    # A member of another community's council does not see this ballot.
    body = text_of(as_user(client, other.community_members[0]).get(url("my_ballots")))
    assert url("ballot", ballot.pk) not in body


def test_my_ballots_shows_my_choice(world, client, voting):
    _proposal, ballot = voting
    cast(world, ballot, 1, "oppose")
    body = text_of(as_user(client, world.community_members[0]).get(url("my_ballots")))
    assert "您已投：反对" in body


def test_my_ballots_queries_same_for_one_and_three(world, client, django_assert_num_queries):
    to_community_vote(world, title="一")
    member = as_user(client, world.community_members[0])
    member.get(url("my_ballots"))
    n = queries_of(member, url("my_ballots"))
    to_community_vote(world, title="二")
    to_community_vote(world, title="三")
    with django_assert_num_queries(n):
        response = member.get(url("my_ballots"))
    assert text_of(response).count("等您投票") == 3


# --------------------------------------------------------------------------- the ballot page


def test_ballot_page_permission_matrix(world, other, client, voting):
    _proposal, ballot = voting
    assert_login_redirect(client.get(url("ballot", ballot.pk)))
    for allowed in (world.community_members[0], world.staff, world.supervisor):
        assert as_user(client, allowed).get(url("ballot", ballot.pk)).status_code == 200
    # In the community but neither elector, council member, staff nor supervisor: 403 with the reason.
    response = as_user(client, world.residents[1]).get(url("ballot", ballot.pk))
    assert response.status_code == 403 and "表决页面" in text_of(response)
    # From another community: 404.
    assert as_user(client, other.community_members[0]).get(url("ballot", ballot.pk)).status_code == 404
    assert as_user(client, other.staff).get(url("ballot", ballot.pk)).status_code == 404


def test_ballot_page_has_everything_needed_to_decide(world, client, voting):
    proposal, ballot = voting
    body = text_of(as_user(client, world.community_members[0]).get(url("ballot", ballot.pk)))
    assert "表决的决议（第 1 号）" in body
    assert "36,000.00" in body and "18,000.00" in body
    assert "围墙防盗刺会不会伤到孩子？" in body and "装在 2.2 米以上" in body
    assert "比价要留档" in body
    assert "已有 0 票赞成，通过需要 25 票，共 37 名成员" in body
    assert "还剩" in body
    for choice in ("approve", "oppose", "abstain"):
        assert f"{url('vote_confirm', ballot.pk)}?choice={choice}" in body


def test_ballot_page_roll_call_named_for_supervisor(world, client, voting):
    _proposal, ballot = voting
    cast(world, ballot, 2)
    body = text_of(as_user(client, world.supervisor).get(url("ballot", ballot.pk)))
    assert world.community_members[0].full_name in body
    assert world.community_members[36].full_name in body  # not voted yet, still on the roll
    assert body.count("未投票</span>") == 35
    assert "监督人员不参加表决" in body
    assert "vote_confirm" not in body and "?choice=approve" not in body


def test_ballot_page_queries_same_for_one_and_three_votes(world, client, voting, django_assert_num_queries):
    _proposal, ballot = voting
    cast(world, ballot, 1)
    viewer = as_user(client, world.supervisor)
    viewer.get(url("ballot", ballot.pk))
    n = queries_of(viewer, url("ballot", ballot.pk))
    cast(world, ballot, 2, start=1)
    with django_assert_num_queries(n):
        response = viewer.get(url("ballot", ballot.pk))
    assert "已有 3 票赞成" in text_of(response)


# --------------------------------------------------------------------------- the live tally


def test_tally_partial_polls_every_5s_and_counts(world, client, voting):
    _proposal, ballot = voting
    cast(world, ballot, 18)
    response = as_user(client, world.community_members[30]).get(url("ballot_tally", ballot.pk), **HTMX)
    assert response.status_code == 200
    body = text_of(response)
    assert "<html" not in body
    assert 'hx-trigger="every 5s, ballot-voted from:body"' in body and f'hx-get="{url("ballot_tally", ballot.pk)}"' in body
    assert "已有 18 票赞成，通过需要 25 票，共 37 名成员" in body
    assert "还需要 7 票赞成才能通过" in body


def test_tally_stops_polling_once_closed(world, client, voting):
    _proposal, ballot = voting
    cast(world, ballot, 25)
    ps.ballot_close(ballot=ballot, actor=world.staff)
    body = text_of(as_user(client, world.community_members[0]).get(url("ballot_tally", ballot.pk), **HTMX))
    assert "hx-trigger" not in body
    assert "通过" in body and "badge-passed" in body


def test_tally_permission_matrix(world, other, client, voting):
    _proposal, ballot = voting
    assert_login_redirect(client.get(url("ballot_tally", ballot.pk)))
    assert as_user(client, world.residents[1]).get(url("ballot_tally", ballot.pk)).status_code == 403
    assert as_user(client, other.community_members[0]).get(url("ballot_tally", ballot.pk)).status_code == 404


def test_tally_queries_same_for_one_and_three_votes(world, client, voting, django_assert_num_queries):
    _proposal, ballot = voting
    cast(world, ballot, 1)
    viewer = as_user(client, world.community_members[36])
    viewer.get(url("ballot_tally", ballot.pk), **HTMX)
    cache.clear()  # the fragment as rendered, not as served from the cache
    n = queries_of(viewer, url("ballot_tally", ballot.pk), **HTMX)
    cast(world, ballot, 2, start=1)
    cache.clear()
    with django_assert_num_queries(n):
        viewer.get(url("ballot_tally", ballot.pk), **HTMX)


# --------------------------------------------------------------------------- voting


def test_vote_confirm_asks_and_changes_nothing(world, client, voting):
    _proposal, ballot = voting
    member = as_user(client, world.community_members[0])
    response = member.get(url("vote_confirm", ballot.pk), {"choice": "approve"}, **HTMX)
    body = text_of(response)
    assert response.status_code == 200 and "<html" not in body
    assert "您确定投赞成票吗？投出后不能更改" in body
    assert 'name="confirm" value="on"' in body
    assert not Vote.objects.filter(ballot=ballot).exists()
    # Without JavaScript the same step is a full page.
    assert "<html" in text_of(member.get(url("vote_confirm", ballot.pk), {"choice": "oppose"}))


@pytest.mark.parametrize("choice", ["", "yes", SCRIPT])
def test_vote_confirm_bad_choice_is_form_error(world, client, voting, choice):
    _proposal, ballot = voting
    response = as_user(client, world.community_members[0]).get(url("vote_confirm", ballot.pk), {"choice": choice})
    assert response.status_code == 200
    assert SCRIPT not in text_of(response)
    assert "您确定" not in text_of(response)


def test_vote_without_confirm_only_asks(world, client, voting):
    _proposal, ballot = voting
    response = as_user(client, world.community_members[0]).post(url("vote", ballot.pk), {"choice": "approve"}, **HTMX)
    assert "您确定投赞成票吗" in text_of(response)
    assert not Vote.objects.filter(ballot=ballot).exists()


def test_vote_with_confirm_is_recorded_and_final(world, client, voting):
    _proposal, ballot = voting
    member = as_user(client, world.community_members[0])
    response = member.post(url("vote", ballot.pk), {"choice": "approve", "confirm": "on"}, **HTMX)
    assert response.status_code == 200
    assert "您已投票：<strong>赞成</strong>" in text_of(response)
    vote = Vote.objects.get(ballot=ballot)
    assert vote.voter == world.community_members[0] and vote.choice == "approve" and vote.recorded_by is None
    # The page now shows the choice and offers no way to change it.
    body = text_of(member.get(url("ballot", ballot.pk)))
    assert "投出后不能更改" in body and "?choice=oppose" not in body
    again = member.post(url("vote", ballot.pk), {"choice": "oppose", "confirm": "on"})
    assert again.status_code == 409
    assert "已经投过票" in text_of(again)
    assert Vote.objects.get(ballot=ballot).choice == "approve"


def test_vote_without_javascript_redirects_to_ballot(world, client, voting):
    _proposal, ballot = voting
    response = as_user(client, world.community_members[0]).post(url("vote", ballot.pk),
                                                                {"choice": "abstain", "confirm": "on"})
    assert response.status_code == 302 and response.url == url("ballot", ballot.pk)
    assert Vote.objects.get(ballot=ballot).choice == "abstain"


def test_vote_permission_matrix(world, other, client, voting):
    _proposal, ballot = voting
    data = {"choice": "approve", "confirm": "on"}
    assert_login_redirect(client.post(url("vote", ballot.pk), data))
    assert as_user(client, world.community_members[0]).get(url("vote", ballot.pk)).status_code == 405
    # A resident of the group (no seat): 403.
    assert as_user(client, world.residents[1]).post(url("vote", ballot.pk), data).status_code == 403
    # A supervisor sees the ballot but never votes (R2): 403 with the reason.
    response = as_user(client, world.supervisor).post(url("vote", ballot.pk), data)
    assert response.status_code == 403 and "表决人名单" in text_of(response)
    # Another community's council member: 404.
    assert as_user(client, other.community_members[0]).post(url("vote", ballot.pk), data).status_code == 404
    assert not Vote.objects.filter(ballot=ballot).exists()


def test_r7_no_vote_after_closes_at_even_before_closing_job(world, client, voting):
    _proposal, ballot = voting
    member = as_user(client, world.community_members[0])
    with time_machine.travel(ballot.closes_at + timedelta(seconds=1)):
        response = member.post(url("vote", ballot.pk), {"choice": "approve", "confirm": "on"})
    assert response.status_code == 409
    assert "截止" in text_of(response)
    assert not Vote.objects.filter(ballot=ballot).exists()


def test_vote_recorded_by_staff_on_behalf_of_member(world, client, voting):
    _proposal, ballot = voting
    staff = as_user(client, world.staff)
    page = text_of(staff.get(url("ballot", ballot.pk)))
    assert "代成员录入纸质表决" in page
    member = world.community_members[5]
    reason = {"proxy_reason": "meeting", "proxy_detail": "12 月 1 日议事会现场"}
    confirm = text_of(staff.get(url("vote_confirm", ballot.pk), {"voter": member.pk, "choice": "approve", **reason}))
    assert f"您确定代 {member.full_name} 投赞成票吗" in confirm
    assert 'name="proxy_detail" value="12 月 1 日议事会现场"' in confirm  # carried to the final POST
    response = staff.post(url("vote", ballot.pk), {"voter": member.pk, "choice": "approve", "confirm": "on", **reason})
    assert response.status_code == 302
    vote = Vote.objects.get(ballot=ballot)
    assert vote.voter == member and vote.recorded_by == world.staff
    assert vote.proxy_reason == "meeting" and vote.proxy_detail == "12 月 1 日议事会现场"
    record = text_of(staff.get(url("ballot", ballot.pk)))
    assert "会议现场表决 · 12 月 1 日议事会现场" in record  # shown in the ballot's record


def test_vote_recorded_by_staff_needs_a_reason(world, client, voting):
    _proposal, ballot = voting
    member = world.community_members[5]
    response = as_user(client, world.staff).post(
        url("vote", ballot.pk), {"voter": member.pk, "choice": "approve", "confirm": "on"}
    )
    assert response.status_code == 200
    assert "代录表决必须说明依据" in text_of(response)
    assert not Vote.objects.filter(ballot=ballot).exists()


def test_vote_cast_by_staff_without_a_reason_is_refused_by_the_service(world, voting):
    from proposals import services

    _proposal, ballot = voting
    with pytest.raises(DomainError, match="代录表决必须说明依据"):
        services.vote_cast(ballot=ballot, voter=world.community_members[5], choice="approve",
                           recorded_by=world.staff)
    assert not Vote.objects.filter(ballot=ballot).exists()


def test_staff_cannot_record_for_someone_outside_the_electorate(world, client, voting):
    _proposal, ballot = voting
    response = as_user(client, world.staff).post(
        url("vote", ballot.pk), {"voter": world.residents[1].pk, "choice": "approve", "confirm": "on"}
    )
    assert response.status_code == 200  # not a choice: form error
    assert not Vote.objects.filter(ballot=ballot).exists()


def test_r7_25_of_37_approve_through_the_page_passes(world, client, voting):
    proposal, ballot = voting
    cast(world, ballot, 24)
    as_user(client, world.community_members[24]).post(url("vote", ballot.pk), {"choice": "approve", "confirm": "on"})
    body = text_of(as_user(client, world.staff).get(url("ballot_tally", ballot.pk), **HTMX))
    assert "已有 25 票赞成，通过需要 25 票，共 37 名成员" in body
    assert "赞成票已达到通过所需票数" in body
    response = client.post(url("ballot_close", ballot.pk))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == S.APPROVED


def test_r7_24_of_37_with_the_rest_opposing_is_rejected(world, client, voting):
    proposal, ballot = voting
    cast(world, ballot, 24)
    cast(world, ballot, 12, "oppose", start=24)
    as_user(client, world.community_members[36]).post(url("vote", ballot.pk), {"choice": "abstain", "confirm": "on"})
    ballot.refresh_from_db()
    assert ballot.closed_at is not None  # the last elector's vote closed it
    proposal.refresh_from_db()
    assert proposal.status == S.REJECTED
    body = text_of(client.get(url("ballot", ballot.pk)))
    assert "badge-failed" in body and "every 5s" not in body


# --------------------------------------------------------------------------- closing


def test_close_too_early_is_409_with_the_sentence(world, client, voting):
    proposal, ballot = voting
    cast(world, ballot, 10)
    response = as_user(client, world.staff).post(url("ballot_close", ballot.pk))
    assert response.status_code == 409
    assert "结果还可能改变" in text_of(response)
    ballot.refresh_from_db()
    assert ballot.closed_at is None


def test_close_by_member_is_403(world, client, voting):
    _proposal, ballot = voting
    cast(world, ballot, 25)
    response = as_user(client, world.community_members[0]).post(url("ballot_close", ballot.pk))
    assert response.status_code == 403
    ballot.refresh_from_db()
    assert ballot.closed_at is None


def test_close_anonymous_and_outsider(world, other, client, voting):
    _proposal, ballot = voting
    assert_login_redirect(client.post(url("ballot_close", ballot.pk)))
    assert as_user(client, other.staff).post(url("ballot_close", ballot.pk)).status_code == 404


# --------------------------------------------------------------------------- group ballots (R4)


def test_r4_group_ballot_voted_in_pages_adopts(world, client):
    proposal = to_group_review(world)
    ballot = open_group_ballot(world, proposal)
    for member in world.group_members[:3]:
        as_user(client, member).post(url("vote", ballot.pk), {"choice": "approve", "confirm": "on"})
    chair = as_user(client, world.group_members[0])
    body = text_of(chair.get(url("ballot", ballot.pk)))
    assert "已有 3 票赞成，通过需要 3 票，共 5 名成员" in body
    assert url("ballot_close", ballot.pk) in body
    chair.post(url("ballot_close", ballot.pk))
    proposal.refresh_from_db()
    assert proposal.status == S.ADOPTED


def test_group_ballot_page_for_resident_of_group_is_403(world, client):
    proposal = to_group_review(world)
    ballot = open_group_ballot(world, proposal)
    assert as_user(client, world.residents[1]).get(url("ballot", ballot.pk)).status_code == 403


def test_missing_ballot_is_404(world, client):
    assert as_user(client, world.staff).get(url("ballot", 999999)).status_code == 404
    assert not Ballot.objects.filter(pk=999999).exists()


def test_ballot_pages_carry_csp_and_no_inline_style(world, client, voting):
    _proposal, ballot = voting
    member = as_user(client, world.community_members[0])
    for target in (url("ballot", ballot.pk), url("ballot_tally", ballot.pk), url("my_ballots")):
        response = member.get(target)
        assert "Content-Security-Policy" in response.headers
        assert not re.search(r"\sstyle=", text_of(response))
