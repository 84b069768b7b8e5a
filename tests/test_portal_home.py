"""The home page: what Yishi is, notices running now, recent decisions; for everyone."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from proposals import services as ps
from proposals.enums import ProposalStatus as S
from tests.factories import BACK_GATE_LINES


def _adopted(world, title):
    p = ps.proposal_create(
        author=world.author, group=world.group, title=title, summary="修后门、消防通道和围墙防盗刺",
        lines=BACK_GATE_LINES, community_share="18000",
    )
    ps.proposal_submit(proposal=p, actor=world.author)
    ballot = ps.group_ballot_open(
        proposal=p, actor=world.group_members[0], closes_at=timezone.now() + timedelta(days=2)
    )
    for member in world.group_members[:3]:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    ps.ballot_close(ballot=ballot, actor=world.group_members[0])
    return p


def _on_notice(world, title):
    p = _adopted(world, title)
    ps.notice_publish(proposal=p, actor=world.group_members[0])
    p.refresh_from_db()
    assert p.status == S.NOTICE
    return p


def _decided(world, title, approvals):
    """A proposal through notice and a community ballot with ``approvals`` approve votes."""
    p = _adopted(world, title)
    notice = ps.notice_publish(proposal=p, actor=world.group_members[0])
    with time_machine.travel(notice.ends_at + timedelta(seconds=1)):
        ps.proposal_submit_to_community(proposal=p, actor=world.group_members[0])
        ballot = ps.community_ballot_open(
            proposal=p, actor=world.staff, closes_at=timezone.now() + timedelta(days=3)
        )
        for n, member in enumerate(world.community_members):
            ps.vote_cast(ballot=ballot, voter=member, choice="approve" if n < approvals else "oppose")
        ps.ballot_close(ballot=ballot, actor=world.staff)
    p.refresh_from_db()
    return p


def _detail_url(pk):
    try:
        return reverse("proposals:detail", args=[pk])
    except NoReverseMatch:
        return None


def test_home_anonymous_sees_what_yishi_is(client, db):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "三分之二以上" in body
    assert "目前没有正在公示的决议" in body
    assert "还没有表决结果" in body


def test_home_lists_running_notices_with_time_left(client, world):
    p = _on_notice(world, "北苑后门维修")
    draft = ps.proposal_create(
        author=world.author, group=world.group, title="草稿不公开", summary="x",
        lines=BACK_GATE_LINES, community_share="0",
    )
    body = client.get("/").content.decode()
    section = body.split('id="notices-title"')[1].split('id="decisions-title"')[0]
    assert "北苑后门维修" in section
    assert "36,000.00" in section
    assert "6 天 23 小时" in section  # a 7-day notice just published
    assert draft.title not in body
    url = _detail_url(p.pk)
    if url:
        assert f'href="{url}"' in section


def test_home_hides_notices_that_ended(client, world):
    p = _on_notice(world, "北苑后门维修")
    notice = ps.current_notice(p)
    with time_machine.travel(notice.ends_at + timedelta(minutes=1)):
        body = client.get("/").content.decode()
    assert "目前没有正在公示的决议" in body


def test_home_lists_recent_decisions(client, world):
    _decided(world, "北苑后门维修", approvals=25)
    _decided(world, "南苑围墙", approvals=24)
    body = client.get("/").content.decode()
    section = body.split('id="decisions-title"')[1]
    assert "北苑后门维修" in section and "南苑围墙" in section
    assert "badge-approved" in section and "badge-rejected" in section
    assert section.index("南苑围墙") < section.index("北苑后门维修")  # newest first


def test_home_shows_no_personal_data(client, world):
    _on_notice(world, "北苑后门维修")
    _decided(world, "南苑围墙", approvals=25)
    body = client.get("/").content.decode()
    assert world.author.full_name not in body
    assert world.group_members[0].full_name not in body


@pytest.mark.parametrize("count", [1, 3])
def test_home_query_count_is_constant(client, world, django_assert_num_queries, count):
    for n in range(count):
        _on_notice(world, f"公示议案{n}")
        _decided(world, f"表决议案{n}", approvals=25)
    # The public cache's version, then notices, decisions, counts: four queries for anyone
    # anonymous, whatever the number of rows (one, the version, once the page is cached).
    with django_assert_num_queries(4):
        response = client.get("/")
    body = response.content.decode()
    assert len(re.findall(r'class="card notice-card"', body)) == count
    assert body.count('class="list-item"') == count


@pytest.mark.parametrize("count", [1, 3])
def test_home_query_count_logged_in_is_constant(client, world, django_assert_num_queries, count):
    for n in range(count):
        _on_notice(world, f"公示议案{n}")
    client.force_login(world.author)
    # session, user, roles, the public cache's version, then the three page queries.
    with django_assert_num_queries(7):
        client.get("/")
    with django_assert_num_queries(4):  # cached: what it lists is the same for everyone
        client.get("/")
