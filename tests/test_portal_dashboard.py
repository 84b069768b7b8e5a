"""The dashboard ("what needs me") and the header's role navigation."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from councils.models import Residency
from portal.nav import nav_links
from portal.roles import NOBODY, Roles, user_roles
from portal.templatetags.yishi import time_left
from proposals import services as ps
from tests.factories import BACK_GATE_LINES, UserFactory

DASHBOARD = "/me/"


def _exists(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def test_dashboard_anonymous_goes_to_login(client, db):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={DASHBOARD}"


def test_dashboard_unverified_user_is_told_how_to_get_verified(client, db):
    user = UserFactory()
    client.force_login(user)
    body = client.get(DASHBOARD).content.decode()
    assert "您还不是已核实的居民" in body
    assert "居委会" in body


def test_dashboard_pending_residency_says_it_waits_for_staff(client, world):
    user = UserFactory()
    Residency.objects.create(user=user, group=world.group)
    client.force_login(user)
    body = client.get(DASHBOARD).content.decode()
    assert "正在等待社区工作人员核实" in body
    assert world.group.name in body


def test_dashboard_resident_sees_group_proposals_but_not_others_drafts(client, world):
    mine = ps.proposal_create(author=world.author, group=world.group, title="我的草稿", summary="x",
                              lines=BACK_GATE_LINES, community_share="0")
    other = ps.proposal_create(author=world.residents[1], group=world.group, title="别人的草稿",
                               summary="x", lines=BACK_GATE_LINES, community_share="0")
    submitted = ps.proposal_create(author=world.residents[1], group=world.group, title="已提交的议案",
                                   summary="x", lines=BACK_GATE_LINES, community_share="0")
    ps.proposal_submit(proposal=submitted, actor=world.residents[1])
    client.force_login(world.author)
    body = client.get(DASHBOARD).content.decode()
    assert world.group.name in body and "本小组的议案" in body
    assert mine.title in body and submitted.title in body
    assert other.title not in body
    assert "badge-draft" in body and "badge-group_review" in body


def test_dashboard_council_member_sees_ballot_waiting_for_their_vote(client, world):
    p = ps.proposal_create(author=world.author, group=world.group, title="北苑后门维修", summary="x",
                           lines=BACK_GATE_LINES, community_share="18000")
    ps.proposal_submit(proposal=p, actor=world.author)
    ballot = ps.group_ballot_open(proposal=p, actor=world.group_members[0],
                                  closes_at=timezone.now() + timedelta(days=2))
    voter, waiting = world.group_members[0], world.group_members[1]
    ps.vote_cast(ballot=ballot, voter=voter, choice="approve")
    client.force_login(waiting)
    body = client.get(DASHBOARD).content.decode()
    assert "等我表决" in body and "北苑后门维修" in body and "还剩 1 天" in body
    assert "小组议事会" in body
    client.force_login(voter)
    body = client.get(DASHBOARD).content.decode()
    assert "没有等您投票的表决" in body


def test_dashboard_staff_street_and_supervisor_sections(client, world):
    Residency.objects.create(user=UserFactory(), group=world.group)  # waits for verification
    client.force_login(world.staff)
    body = client.get(DASHBOARD).content.decode()
    assert "社区工作" in body and "待核实居民" in body
    assert "街道办" not in body and "未解除的暂停" not in body
    client.force_login(world.street_staff)
    body = client.get(DASHBOARD).content.decode()
    assert "待审核预算" in body and "待核实居民" not in body
    client.force_login(world.supervisor)
    body = client.get(DASHBOARD).content.decode()
    assert "未解除的暂停" in body and "待审核预算" not in body


def test_dashboard_staff_counts_only_their_community(client, world):
    from tests.factories import build_world

    other = build_world(group_seats=3, community_seats=3, residents=0, prefix="外")
    Residency.objects.create(user=UserFactory(), group=other.group)
    Residency.objects.create(user=UserFactory(), group=world.group)
    Residency.objects.create(user=UserFactory(), group=world.group)
    client.force_login(world.staff)
    response = client.get(DASHBOARD)
    assert response.context["staff"]["residents_pending"] == 2


@pytest.mark.parametrize("count", [1, 3])
def test_dashboard_query_count_is_constant(client, world, django_assert_num_queries, count):
    for n in range(count):
        p = ps.proposal_create(author=world.group_members[1], group=world.group, title=f"议案{n}",
                               summary="x", lines=BACK_GATE_LINES, community_share="0")
        ps.proposal_submit(proposal=p, actor=world.group_members[1])
        ps.group_ballot_open(proposal=p, actor=world.group_members[0],
                             closes_at=timezone.now() + timedelta(days=2))
    client.force_login(world.group_members[1])
    # session, user, roles, residency, group proposals, ballots, review count
    with django_assert_num_queries(7):
        response = client.get(DASHBOARD)
    assert len(response.context["ballots"]) == count
    assert len(response.context["group_proposals"]) == count


def test_roles_come_from_memberships(world):
    assert user_roles(world.author) == Roles(resident=True)
    member = user_roles(world.group_members[0])
    assert member.resident and member.group_council and not member.community_council
    assert user_roles(world.community_members[0]) == Roles(community_council=True)
    assert user_roles(world.staff) == Roles(community_staff=True)
    assert user_roles(world.street_staff) == Roles(street_staff=True)
    assert user_roles(world.supervisor) == Roles(supervisor=True)
    assert user_roles(None) is NOBODY


def test_roles_end_with_the_term(world):
    residency = Residency.objects.get(user=world.author)
    residency.ends_at = timezone.now() - timedelta(seconds=1)
    residency.save(update_fields=["ends_at"])
    assert not user_roles(world.author).resident


def test_nav_shows_links_by_role_and_skips_missing_names():
    anonymous = nav_links(NOBODY, authenticated=False, path="/")
    names = {link["name"] for link in anonymous}
    assert "portal:dashboard" not in names
    assert names <= {"proposals:public_list"}
    staff = nav_links(Roles(street_staff=True), authenticated=True, path="/me/")
    staff_names = {link["name"] for link in staff}
    assert "portal:dashboard" in staff_names
    assert "proposals:create" not in staff_names
    for name in ("funding:review_queue", "funding:funds", "funding:charts"):
        assert (name in staff_names) == (_exists(name) is not None)
    current = [link for link in staff if link["current"]]
    assert [link["name"] for link in current] == ["portal:dashboard"]


def test_url_if_exists_is_empty_for_unknown_names():
    rendered = Template(
        "{% load yishi %}{% url_if_exists 'nowhere:nothing' as u %}[{{ u }}]"
        "{% url_if_exists 'portal:home' as h %}[{{ h }}]"
    ).render(Context({}))
    assert rendered == "[][/]"


def test_time_left_reads_as_words():
    now = timezone.now()
    assert time_left(now + timedelta(days=6, hours=23, minutes=59), now) == "6 天 23 小时"
    assert time_left(now + timedelta(hours=3, minutes=20), now) == "3 小时 20 分钟"
    assert time_left(now + timedelta(seconds=30), now) == "不到 1 分钟"
    assert time_left(now - timedelta(seconds=1), now) == "已截止"


def test_header_shows_role_links_for_a_logged_in_resident(client, world):
    client.force_login(world.author)
    body = client.get("/").content.decode()
    assert 'href="/me/"' in body
    assert 'action="/accounts/logout/"' in body
    create = _exists("proposals:create")
    if create:
        assert f'href="{create}"' in body
    review = _exists("proposals:review_queue")
    if review:
        assert f'href="{review}"' not in body  # not a group-council member


# --------------------------------------------------------------------------- issue 10: work, not advice

def _hrefs(body: str) -> set[str]:
    import re

    return set(re.findall(r'href="([^"]+)"', body))


def test_dashboard_pending_ballot_links_to_the_ballot_page_where_one_votes(client, world):
    p = ps.proposal_create(author=world.author, group=world.group, title="北苑后门维修", summary="x",
                           lines=BACK_GATE_LINES, community_share="18000")
    ps.proposal_submit(proposal=p, actor=world.author)
    ballot = ps.group_ballot_open(proposal=p, actor=world.group_members[0],
                                  closes_at=timezone.now() + timedelta(days=2))
    client.force_login(world.group_members[1])
    body = client.get(DASHBOARD).content.decode()
    url = reverse("proposals:ballot", args=[ballot.pk])
    assert f'<a href="{url}">北苑后门维修</a>' in body
    page = client.get(url)
    assert page.status_code == 200
    assert reverse("proposals:vote_confirm", args=[ballot.pk]) in page.content.decode()


@pytest.mark.parametrize("who", ["staff", "street_staff", "supervisor", "councillor"])
def test_dashboard_people_at_work_without_residency_are_not_told_to_get_verified(client, world, who):
    user = world.community_members[0] if who == "councillor" else getattr(world, who)
    assert not Residency.objects.filter(user=user).exists()
    client.force_login(user)
    body = client.get(DASHBOARD).content.decode()
    assert "您还不是已核实的居民" not in body and "居委会" not in body
    assert "我的居住登记" not in body


@pytest.mark.parametrize("who, wanted", [
    ("staff", ["councils:residents", "councils:staff_home"]),
    ("street_staff", ["funding:review_queue"]),
    ("supervisor", ["funding:supervision"]),
])
def test_dashboard_counts_link_to_the_page_where_the_work_is_done(client, world, who, wanted):
    client.force_login(getattr(world, who))
    body = client.get(DASHBOARD).content.decode()
    hrefs = _hrefs(body)
    for name in wanted:
        url = reverse(name)
        linked = [h for h in hrefs if h.split("#")[0].split("?")[0] == url]
        assert linked, f"{who}: no link to {url}"
        for href in linked:
            assert client.get(href.split("#")[0]).status_code == 200, href
