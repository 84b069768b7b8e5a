"""Public proposal pages and the POST actions on a proposal: permissions, queries, refusals, escaping."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from proposals import services as ps
from proposals.enums import ProposalStatus as S
from proposals.models import Ballot, Notice, Objection, Proposal, ProposalEvent, Rating
from tests.factories import (
    BACK_GATE_LINES,
    group_adopt,
    make_proposal,
    to_community_vote,
    to_group_review,
    to_notice,
    to_submitted,
)
from tests.test_views_proposals_support import *  # noqa: F403  (fixtures: other, stranger)
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


# --------------------------------------------------------------------------- public list


def test_public_list_shows_public_proposals_to_anonymous_and_hides_drafts(world, client):
    noticed, _notice = to_notice(world, title="公示中的议案")
    make_proposal(world, title="还在起草的议案")
    to_group_review(world, title="小组议事中的议案")
    response = client.get(url("public_list"))
    assert response.status_code == 200
    body = text_of(response)
    assert "公示中的议案" in body
    assert "还在起草的议案" not in body
    assert "小组议事中的议案" not in body
    assert "公示还剩" in body


def test_public_list_filters_by_community_and_status(world, other, client):
    to_notice(world, title="本社区公示")
    other_notice = ps.proposal_create(
        author=other.residents[0], group=other.group, title="外社区议案", summary="外", lines=BACK_GATE_LINES,
        community_share="100",
    )
    ps.proposal_submit(proposal=other_notice, actor=other.residents[0])
    group_adopt(other, other_notice)
    body = text_of(client.get(url("public_list"), {"community": world.community.pk}))
    assert "本社区公示" in body and "外社区议案" not in body
    body = text_of(client.get(url("public_list"), {"status": S.ADOPTED}))
    assert "外社区议案" in body and "本社区公示" not in body


def test_public_list_ignores_a_bad_filter_without_error(world, client):
    to_notice(world, title="本社区公示")
    response = client.get(url("public_list"), {"community": "abc", "status": "<b>x</b>", "page": "9999"})
    assert response.status_code == 200
    assert "<b>x</b>" not in text_of(response)


def test_public_list_queries_same_for_one_and_three(world, client, django_assert_num_queries):
    to_notice(world, title="一")
    client.get(url("public_list"))
    cache.clear()  # the page as rendered, not as served from the public cache
    n = queries_of(client, url("public_list"))
    to_notice(world, title="二")
    to_notice(world, title="三")
    cache.clear()
    with django_assert_num_queries(n):
        response = client.get(url("public_list"))
    assert text_of(response).count('class="list-item"') == 3


# --------------------------------------------------------------------------- proposal page: visibility


def test_detail_public_proposal_readable_by_anonymous_without_names(world, client):
    proposal, _notice = to_notice(world)
    objection(world, proposal, text="请说明围墙防盗刺的位置")
    response = client.get(url("detail", proposal.pk))
    assert response.status_code == 200
    body = text_of(response)
    assert proposal.title in body and "请说明围墙防盗刺的位置" in body
    assert "36,000.00" in body and "18,000.00" in body
    # DESIGN: public pages name no residents.
    assert world.residents[1].full_name not in body
    assert world.author.full_name not in body
    assert "您可以做的事" not in body


def test_detail_shows_names_to_the_group(world, client):
    proposal, _notice = to_notice(world)
    objection(world, proposal)
    body = text_of(as_user(client, world.residents[2]).get(url("detail", proposal.pk)))
    assert world.residents[1].full_name in body
    assert world.author.full_name in body


@pytest.mark.parametrize("state", ["draft", "group_review"])
def test_detail_private_proposal_is_404_outside_the_group(world, other, client, state):
    proposal = make_proposal(world) if state == "draft" else to_group_review(world)
    assert client.get(url("detail", proposal.pk)).status_code == 404
    assert as_user(client, other.residents[0]).get(url("detail", proposal.pk)).status_code == 404
    assert as_user(client, other.staff).get(url("detail", proposal.pk)).status_code == 404
    for insider in (world.author, world.group_members[1], world.staff, world.supervisor):
        assert as_user(client, insider).get(url("detail", proposal.pk)).status_code == 200


def test_detail_withdrawn_draft_stays_private(world, client):
    proposal = make_proposal(world)
    ps.proposal_withdraw(proposal=proposal, actor=world.author, reason="不做了")
    assert client.get(url("detail", proposal.pk)).status_code == 404


def test_detail_missing_proposal_is_404(world, client):
    assert client.get(url("detail", 999999)).status_code == 404


def test_detail_queries_same_for_one_and_three_of_each_row(world, client, django_assert_num_queries):
    """Lines, objections and events: one of each vs three of each."""
    proposal, notice = to_notice(world, lines=[("后门维修", "1", "项", "12000")], community_share="6000")
    objection(world, proposal)
    viewer = as_user(client, world.group_members[1])
    viewer.get(url("detail", proposal.pk))
    n = queries_of(viewer, url("detail", proposal.pk))

    proposal2, _n2 = to_notice(world, lines=BACK_GATE_LINES)
    for resident in world.residents[:3]:
        objection(world, proposal2, resident=resident)
    viewer.get(url("detail", proposal2.pk))
    with django_assert_num_queries(n):
        response = viewer.get(url("detail", proposal2.pk))
    assert len(re.findall(r'id="objection-\d+"', text_of(response))) == 3


def test_detail_queries_same_for_anonymous_with_more_rows(world, client, django_assert_num_queries):
    proposal, _notice = to_notice(world, lines=[("后门维修", "1", "项", "12000")], community_share="6000")
    client.get(url("detail", proposal.pk))
    cache.clear()  # the page as rendered, not as served from the public cache
    n = queries_of(client, url("detail", proposal.pk))
    proposal2, _n2 = to_notice(world)
    for resident in world.residents[:3]:
        objection(world, proposal2, resident=resident)
    cache.clear()
    with django_assert_num_queries(n):
        client.get(url("detail", proposal2.pk))


# --------------------------------------------------------------------------- proposal page: actions panel


def test_detail_actions_for_author_of_draft(world, client):
    proposal = make_proposal(world)
    body = text_of(as_user(client, world.author).get(url("detail", proposal.pk)))
    assert url("edit", proposal.pk) in body
    assert url("submit", proposal.pk) in body
    assert url("group_ballot_open", proposal.pk) not in body


def test_detail_actions_for_group_member_in_review(world, client):
    proposal = to_group_review(world)
    body = text_of(as_user(client, world.group_members[0]).get(url("detail", proposal.pk)))
    for name in ("group_ballot_open", "return", "withdraw", "edit"):
        assert url(name, proposal.pk) in body
    assert url("submit", proposal.pk) not in body
    # A resident of the group reads it, but has no council actions.
    body = text_of(as_user(client, world.residents[1]).get(url("detail", proposal.pk)))
    assert url("group_ballot_open", proposal.pk) not in body
    assert url("return", proposal.pk) not in body


def test_detail_shows_submission_blockers_to_group_member(world, client):
    proposal, _notice = to_notice(world)
    body = text_of(as_user(client, world.group_members[0]).get(url("detail", proposal.pk)))
    assert "还不能提交社区议事会" in body
    assert "公示要到" in body


def test_detail_shows_time_left_and_objection_form_to_resident(world, client):
    proposal, _notice = to_notice(world)
    body = text_of(as_user(client, world.residents[1]).get(url("detail", proposal.pk)))
    assert 'id="objection-form"' in body
    assert "公示还剩" in body
    # Not for a community-council member who is not a resident of the group.
    body = text_of(as_user(client, world.community_members[0]).get(url("detail", proposal.pk)))
    assert 'id="objection-form"' not in body


def test_detail_community_staff_get_community_ballot_form(world, client):
    proposal = to_submitted(world)
    body = text_of(as_user(client, world.staff).get(url("detail", proposal.pk)))
    assert url("community_ballot_open", proposal.pk) in body
    body = text_of(as_user(client, world.group_members[0]).get(url("detail", proposal.pk)))
    assert url("community_ballot_open", proposal.pk) not in body


def test_detail_closed_ballot_tally_public(world, client):
    proposal, ballot = to_community_vote(world)
    for member in world.community_members[:25]:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    ps.ballot_close(ballot=ballot, actor=world.staff)
    body = text_of(client.get(url("detail", proposal.pk)))
    assert "赞成 25，反对 0，弃权 0，应参加表决 37 人" in body
    assert world.community_members[0].full_name not in body  # no named roll-call in public


def test_detail_open_ballot_counts_not_public(world, client):
    proposal, ballot = to_community_vote(world)
    ps.vote_cast(ballot=ballot, voter=world.community_members[0], choice="approve")
    body = text_of(client.get(url("detail", proposal.pk)))
    assert "结果在表决结束后公开" in body
    assert "赞成 1" not in body


# --------------------------------------------------------------------------- poster


def test_poster_has_qr_svg_to_absolute_url(world, client, settings):
    settings.SITE_URL = "https://yishi.example.org"
    proposal, _notice = to_notice(world)
    response = client.get(url("poster", proposal.pk))
    assert response.status_code == 200
    body = text_of(response)
    assert 'class="poster"' in body and "poster-sheet" in body
    assert "<svg" in body and "<path" in body
    assert f"https://yishi.example.org/proposals/{proposal.pk}/" in body
    assert "style=" not in body  # CSP: no inline styles, also inside the SVG
    assert "Content-Security-Policy" in response.headers


def test_poster_qr_decodes_to_detail_url(world, client, settings):
    """The QR's modules match a fresh encoding of the absolute detail URL."""
    from proposals.views.public import qr_svg

    settings.SITE_URL = "https://yishi.example.org"
    proposal, _notice = to_notice(world)
    expected = qr_svg(f"https://yishi.example.org/proposals/{proposal.pk}/")
    body = text_of(client.get(url("poster", proposal.pk)))
    path = expected.split('<path d="', 1)[1].split('"', 1)[0]
    assert path in body
    assert 'width="70mm"' in expected


@pytest.mark.parametrize("state", ["draft", "group_review", "adopted"])
def test_poster_404_without_a_notice(world, client, state):
    if state == "draft":
        proposal = make_proposal(world)
    else:
        proposal = to_group_review(world)
        if state == "adopted":
            group_adopt(world, proposal)
    assert as_user(client, world.author).get(url("poster", proposal.pk)).status_code == 404


# --------------------------------------------------------------------------- POST actions: permission matrix

ACTIONS = ["submit", "return", "withdraw", "group_ballot_open", "community_ballot_open", "notice_publish",
           "objection_file", "submit_to_community", "rate"]


@pytest.mark.parametrize("action", ACTIONS)
def test_action_anonymous_redirected_to_login(world, client, action):
    proposal, _notice = to_notice(world)
    assert_login_redirect(client.post(url(action, proposal.pk)))


@pytest.mark.parametrize("action", ACTIONS)
def test_action_get_not_allowed(world, client, action):
    proposal, _notice = to_notice(world)
    assert as_user(client, world.group_members[0]).get(url(action, proposal.pk)).status_code == 405


@pytest.mark.parametrize("action", ACTIONS)
def test_action_outsider_gets_404_even_on_public_proposal(world, other, client, action):
    proposal, _notice = to_notice(world)
    response = as_user(client, other.group_members[0]).post(url(action, proposal.pk), {})
    assert response.status_code == 404
    assert Proposal.objects.get(pk=proposal.pk).status == S.NOTICE


def test_submit_by_author_moves_to_group_review(world, client):
    proposal = make_proposal(world)
    response = as_user(client, world.author).post(url("submit", proposal.pk))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW


def test_submit_by_other_resident_of_group_is_403(world, client):
    proposal = make_proposal(world)
    response = as_user(client, world.residents[1]).post(url("submit", proposal.pk))
    assert response.status_code == 403
    assert "只有提议人可以提交" in text_of(response)
    proposal.refresh_from_db()
    assert proposal.status == S.DRAFT


def test_submit_twice_gives_409_with_the_sentence(world, client):
    proposal = to_group_review(world)
    response = as_user(client, world.author).post(url("submit", proposal.pk))
    assert response.status_code == 409
    assert "不能提交小组议事" in text_of(response)


def test_return_by_group_member_with_reason(world, client):
    proposal = to_group_review(world)
    response = as_user(client, world.group_members[0]).post(url("return", proposal.pk), {"return-reason": "预算要细化"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == S.DRAFT
    assert proposal.events.order_by("-seq").first().reason == "预算要细化"


def test_return_without_reason_is_a_form_error(world, client):
    proposal = to_group_review(world)
    response = as_user(client, world.group_members[0]).post(url("return", proposal.pk), {"return-reason": "  "})
    assert response.status_code == 200
    assert "field-error" in text_of(response)
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW


def test_return_by_plain_resident_is_403(world, client):
    proposal = to_group_review(world)
    response = as_user(client, world.residents[1]).post(url("return", proposal.pk), {"return-reason": "x"})
    assert response.status_code == 403
    assert "议事会成员" in text_of(response)
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW


def test_group_ballot_open_redirects_to_ballot(world, client):
    proposal = to_group_review(world)
    closes = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = as_user(client, world.group_members[0]).post(url("group_ballot_open", proposal.pk),
                                                            {"gb-closes_at": closes})
    ballot = Ballot.objects.get(proposal=proposal)
    assert response.status_code == 302 and response.url == url("ballot", ballot.pk)
    assert ballot.electorate_size == 5


@pytest.mark.parametrize("value", ["", "not a date", "2020-01-01T10:00", "99999-01-01T00:00"])
def test_group_ballot_open_bad_closing_time_changes_nothing(world, client, value):
    proposal = to_group_review(world)
    response = as_user(client, world.group_members[0]).post(url("group_ballot_open", proposal.pk),
                                                            {"gb-closes_at": value})
    assert response.status_code in (200, 409)
    assert not Ballot.objects.filter(proposal=proposal).exists()


def test_group_ballot_open_by_resident_is_403(world, client):
    proposal = to_group_review(world)
    closes = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = as_user(client, world.residents[1]).post(url("group_ballot_open", proposal.pk), {"gb-closes_at": closes})
    assert response.status_code == 403
    assert not Ballot.objects.filter(proposal=proposal).exists()


def test_notice_publish_by_group_member(world, client):
    proposal = to_group_review(world)
    group_adopt(world, proposal)
    response = as_user(client, world.group_members[1]).post(url("notice_publish", proposal.pk))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == S.NOTICE


def test_notice_publish_by_community_member_is_403(world, client):
    proposal = to_group_review(world)
    group_adopt(world, proposal)
    response = as_user(client, world.community_members[0]).post(url("notice_publish", proposal.pk))
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == S.ADOPTED


def test_objection_file_by_resident(world, client):
    proposal, notice = to_notice(world)
    response = as_user(client, world.residents[1]).post(url("objection_file", proposal.pk), {"obj-text": "太贵了"})
    assert response.status_code == 302
    assert Objection.objects.get(notice=notice).resident == world.residents[1]


def test_objection_text_with_markup_is_escaped(world, client):
    proposal, notice = to_notice(world)
    as_user(client, world.residents[1]).post(url("objection_file", proposal.pk), {"obj-text": SCRIPT})
    body = text_of(client.get(url("detail", proposal.pk)))
    assert SCRIPT not in body
    assert "&lt;script&gt;" in body


def test_objection_too_long_is_a_form_error(world, client):
    proposal, notice = to_notice(world)
    response = as_user(client, world.residents[1]).post(url("objection_file", proposal.pk), {"obj-text": "长" * 10_000})
    assert response.status_code == 200
    assert "field-error" in text_of(response)
    assert not Objection.objects.filter(notice=notice).exists()


def test_objection_by_community_member_not_resident_is_403(world, client):
    proposal, notice = to_notice(world)
    response = as_user(client, world.community_members[0]).post(url("objection_file", proposal.pk),
                                                                {"obj-text": "我反对"})
    assert response.status_code == 403
    assert "核实居民" in text_of(response)
    assert not Objection.objects.filter(notice=notice).exists()


def test_objection_after_notice_ended_is_409(world, client):
    proposal, notice = to_notice(world)
    Notice.objects.filter(pk=notice.pk).update(published_at=timezone.now() - timedelta(days=8),
                                               ends_at=timezone.now() - timedelta(days=1))
    response = as_user(client, world.residents[1]).post(url("objection_file", proposal.pk), {"obj-text": "晚了"})
    assert response.status_code == 409
    assert "结束" in text_of(response)
    assert not Objection.objects.filter(notice=notice).exists()


def test_objection_entered_by_staff_on_behalf_of_resident(world, client):
    proposal, notice = to_notice(world)
    page = text_of(as_user(client, world.staff).get(url("detail", proposal.pk)))
    assert "代居民录入异议" in page
    response = client.post(url("objection_file", proposal.pk),
                           {"obj-resident": world.residents[2].pk, "obj-text": "老人家说门太窄"})
    assert response.status_code == 302
    obj = Objection.objects.get(notice=notice)
    assert obj.resident == world.residents[2] and obj.recorded_by == world.staff
    event = ProposalEvent.objects.filter(proposal=proposal).order_by("-seq").first()
    assert event.actor == world.staff and event.on_behalf_of == world.residents[2]


def test_objection_answer_dismiss_with_reason(world, client):
    proposal, notice = to_notice(world)
    obj = objection(world, proposal)
    member = as_user(client, world.group_members[0])
    assert f'name="o{obj.pk}-answer"' in text_of(member.get(url("detail", proposal.pk)))
    response = member.post(url("objection_answer", obj.pk),
                           {f"o{obj.pk}-decision": "dismiss", f"o{obj.pk}-answer": "后门位置不变"})
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.upheld is False and obj.answer == "后门位置不变"
    proposal.refresh_from_db()
    assert proposal.status == S.NOTICE


def test_objection_answer_uphold_sends_back_to_review(world, client):
    proposal, notice = to_notice(world)
    obj = objection(world, proposal)
    response = as_user(client, world.group_members[0]).post(
        url("objection_answer", obj.pk), {f"o{obj.pk}-decision": "uphold", f"o{obj.pk}-answer": "采纳，重新议"}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW


def test_objection_answer_by_resident_is_403(world, client):
    proposal, notice = to_notice(world)
    obj = objection(world, proposal)
    response = as_user(client, world.residents[2]).post(
        url("objection_answer", obj.pk), {f"o{obj.pk}-decision": "dismiss", f"o{obj.pk}-answer": "不行"}
    )
    assert response.status_code == 403
    obj.refresh_from_db()
    assert obj.answered_at is None


def test_objection_answer_bad_decision_is_form_error(world, client):
    proposal, notice = to_notice(world)
    obj = objection(world, proposal)
    response = as_user(client, world.group_members[0]).post(
        url("objection_answer", obj.pk), {f"o{obj.pk}-decision": "maybe", f"o{obj.pk}-answer": SCRIPT}
    )
    assert response.status_code == 200
    assert SCRIPT not in text_of(response)
    obj.refresh_from_db()
    assert obj.answered_at is None


def test_objection_answer_outsider_404(world, other, client):
    proposal, notice = to_notice(world)
    obj = objection(world, proposal)
    response = as_user(client, other.group_members[0]).post(
        url("objection_answer", obj.pk), {f"o{obj.pk}-decision": "dismiss", f"o{obj.pk}-answer": "x"}
    )
    assert response.status_code == 404


def test_submit_to_community_too_early_is_409_with_blockers(world, client):
    proposal, notice = to_notice(world)
    response = as_user(client, world.group_members[0]).post(url("submit_to_community", proposal.pk))
    assert response.status_code == 409
    assert "公示要到" in text_of(response)
    proposal.refresh_from_db()
    assert proposal.status == S.NOTICE


def test_submit_to_community_after_notice(world, client):
    proposal, notice = to_notice(world)
    Notice.objects.filter(pk=notice.pk).update(published_at=timezone.now() - timedelta(days=8),
                                               ends_at=timezone.now() - timedelta(seconds=1))
    response = as_user(client, world.group_members[0]).post(url("submit_to_community", proposal.pk))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == S.SUBMITTED


def test_community_ballot_open_by_staff(world, client):
    proposal = to_submitted(world)
    closes = timezone.localtime(timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = as_user(client, world.staff).post(url("community_ballot_open", proposal.pk), {"cb-closes_at": closes})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == S.COMMUNITY_VOTE
    assert Ballot.objects.get(proposal=proposal, kind="community").electorate_size == 37


def test_community_ballot_open_by_group_member_is_403(world, client):
    proposal = to_submitted(world)
    closes = timezone.localtime(timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = as_user(client, world.group_members[0]).post(url("community_ballot_open", proposal.pk),
                                                            {"cb-closes_at": closes})
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == S.SUBMITTED


def test_withdraw_by_author_with_reason(world, client):
    proposal = to_group_review(world)
    response = as_user(client, world.author).post(url("withdraw", proposal.pk), {"withdraw-reason": "改主意了"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == S.WITHDRAWN


def test_withdraw_while_ballot_open_is_409(world, client):
    proposal = to_group_review(world)
    open_group_ballot(world, proposal)
    response = as_user(client, world.author).post(url("withdraw", proposal.pk), {"withdraw-reason": "改主意了"})
    assert response.status_code == 409
    assert "表决正在进行" in text_of(response)
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW


def test_withdraw_by_plain_resident_is_403(world, client):
    proposal = to_group_review(world)
    response = as_user(client, world.residents[2]).post(url("withdraw", proposal.pk), {"withdraw-reason": "x"})
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == S.GROUP_REVIEW


def test_follow_htmx_returns_partial_and_toggles(world, client):
    proposal, _notice = to_notice(world)
    viewer = as_user(client, world.community_members[3])
    response = viewer.post(url("follow", proposal.pk), {"follow": "1"}, **HTMX)
    assert response.status_code == 200
    body = text_of(response)
    assert body.lstrip().startswith('<form id="follow-form"') and "<html" not in body
    assert proposal.followers.filter(pk=world.community_members[3].pk).exists()
    viewer.post(url("follow", proposal.pk), {"follow": ""})
    assert not proposal.followers.filter(pk=world.community_members[3].pk).exists()


def test_follow_private_proposal_outside_group_is_404(world, other, client):
    proposal = to_group_review(world)
    assert as_user(client, other.residents[0]).post(url("follow", proposal.pk), {"follow": "1"}).status_code == 404


def test_follow_anonymous_redirected(world, client):
    proposal, _notice = to_notice(world)
    assert_login_redirect(client.post(url("follow", proposal.pk), {"follow": "1"}))


def _accept(proposal):
    """Move a proposal to ACCEPTED through the transition helper (the money steps belong to funding)."""
    from django.db import transaction

    from proposals.enums import EventKind
    from proposals.history import lock_proposal

    with transaction.atomic():
        lock_proposal(proposal)
        Proposal.objects.filter(pk=proposal.pk).update(status=S.IN_PROGRESS)
        proposal.refresh_from_db()
        ps.proposal_transition(proposal=proposal, to_status=S.ACCEPTED, actor=None,
                               kind=EventKind.ACCEPTANCE_RECORDED)


def test_rate_after_acceptance_once(world, client):
    proposal, _notice = to_notice(world)
    _accept(proposal)
    resident = as_user(client, world.residents[1])
    assert url("rate", proposal.pk) in text_of(resident.get(url("detail", proposal.pk)))
    response = resident.post(url("rate", proposal.pk), {"rate-stars": "5", "rate-comment": "门修好了"})
    assert response.status_code == 302
    assert Rating.objects.get(proposal=proposal).stars == 5
    again = resident.post(url("rate", proposal.pk), {"rate-stars": "1"})
    assert again.status_code == 403 or again.status_code == 409
    assert Rating.objects.filter(proposal=proposal).count() == 1


@pytest.mark.parametrize("stars", ["0", "6", "-1", "abc", "99999999999999999999"])
def test_rate_bad_stars_is_a_form_error(world, client, stars):
    proposal, _notice = to_notice(world)
    _accept(proposal)
    response = as_user(client, world.residents[1]).post(url("rate", proposal.pk), {"rate-stars": stars})
    assert response.status_code == 200
    assert not Rating.objects.exists()


def test_rate_before_acceptance_is_409(world, client):
    proposal, _notice = to_notice(world)
    response = as_user(client, world.residents[1]).post(url("rate", proposal.pk), {"rate-stars": "4"})
    assert response.status_code == 409
    assert not Rating.objects.exists()


def test_every_page_response_carries_csp(world, client):
    proposal, _notice = to_notice(world)
    for target in (url("public_list"), url("detail", proposal.pk), url("poster", proposal.pk)):
        response = client.get(target)
        assert "Content-Security-Policy" in response.headers
        assert "style=" not in text_of(response)
