"""Community-staff pages: staff home (community ballots), residents (R1), seats (R2), entries on behalf."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone

from councils.enums import CouncilKind
from councils.models import BoardSeat, Residency, Seat
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from proposals.models import Objection, Proposal, ProposalEvent, Vote
from tests.factories import UserFactory, build_world, make_resident, to_community_vote, to_notice, to_submitted

pytestmark = pytest.mark.django_db

LOGIN = resolve_url(settings.LOGIN_URL)


def small_world(prefix=""):
    return build_world(community_seats=5, prefix=prefix)


@pytest.fixture
def w():
    return small_world()


@pytest.fixture
def other():
    """A second community in another subdistrict, with its own staff."""
    return small_world(prefix="外")


def as_user(client, user):
    client.force_login(user)
    return client


def local_input(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def bare_proposal(world, n, status=S.SUBMITTED):
    return Proposal.objects.create(
        group=world.group, author=world.author, title=f"议案{n}", summary="内容", total=Decimal("1000.00"),
        community_share=Decimal("500.00"), status=status,
    )


# --------------------------------------------------------------------------- staff home


def test_staff_home_shows_submitted_proposals_to_community_staff(client, w):
    p = bare_proposal(w, 1)
    response = as_user(client, w.staff).get(reverse("councils:staff_home"))
    assert response.status_code == 200
    assert p.title in response.content.decode()
    assert reverse("councils:ballot_open", args=[p.pk]) in response.content.decode()


def test_staff_home_resident_is_forbidden(client, w):
    response = as_user(client, w.residents[0]).get(reverse("councils:staff_home"))
    assert response.status_code == 403
    assert "社区工作人员" in response.content.decode()


def test_staff_home_other_community_is_not_found(client, w, other):
    response = as_user(client, other.staff).get(reverse("councils:staff_home"), {"community": w.community.pk})
    assert response.status_code == 404


def test_staff_home_other_community_does_not_list_its_proposals(client, w, other):
    p = bare_proposal(w, 1)
    response = as_user(client, other.staff).get(reverse("councils:staff_home"))
    assert response.status_code == 200
    assert p.title not in response.content.decode()


def test_staff_home_anonymous_goes_to_login(client):
    assert_login_redirect(client.get(reverse("councils:staff_home")))


def test_staff_home_street_staff_go_to_the_review_queue(client, w):
    response = as_user(client, w.street_staff).get(reverse("councils:staff_home"))
    assert response.status_code == 302
    assert response.url == reverse("funding:review_queue")


def test_staff_home_queries_constant_in_proposals(client, w, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bare_proposal(w, 1)
    client = as_user(client, w.staff)
    client.get(reverse("councils:staff_home"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("councils:staff_home"))
    bare_proposal(w, 2)
    bare_proposal(w, 3)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("councils:staff_home"))
    assert response.content.decode().count("发起社区表决</button>") == 3


# --------------------------------------------------------------------------- community ballot


def test_ballot_open_by_staff_starts_the_community_vote(client, w):
    p = to_submitted(w)
    closes = timezone.now() + timedelta(days=3)
    response = as_user(client, w.staff).post(
        reverse("councils:ballot_open", args=[p.pk]), {"closes_at": local_input(closes)}
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == S.COMMUNITY_VOTE
    ballot = p.ballots.get(kind="community")
    assert ballot.electorate_size == 5
    # The datetime-local value is read in Asia/Shanghai.
    assert abs((ballot.closes_at - closes).total_seconds()) < 60


@pytest.mark.parametrize("value", ["", "not a date", "<script>alert(1)</script>", "2020-01-01T10:00", "9" * 10000])
def test_ballot_open_bad_closing_time_shows_error_and_changes_nothing(client, w, value):
    p = to_submitted(w)
    events = p.events.count()
    response = as_user(client, w.staff).post(reverse("councils:ballot_open", args=[p.pk]), {"closes_at": value})
    assert response.status_code == 200
    body = response.content.decode()
    assert "field-error" in body or "form-errors" in body
    assert "<script>alert(1)</script>" not in body
    p.refresh_from_db()
    assert p.status == S.SUBMITTED and p.events.count() == events


def test_ballot_open_refusal_from_service_is_shown_next_to_the_form(client, w):
    p = to_submitted(w)
    # Too close: the service wants at least 5 minutes.
    response = as_user(client, w.staff).post(
        reverse("councils:ballot_open", args=[p.pk]),
        {"closes_at": local_input(timezone.now() + timedelta(minutes=2))},
    )
    assert response.status_code == 200
    assert "至少 5 分钟" in response.content.decode()
    p.refresh_from_db()
    assert p.status == S.SUBMITTED


def test_ballot_open_resident_is_forbidden(client, w):
    p = bare_proposal(w, 1)
    response = as_user(client, w.residents[0]).post(
        reverse("councils:ballot_open", args=[p.pk]), {"closes_at": local_input(timezone.now() + timedelta(days=2))}
    )
    assert response.status_code == 403
    p.refresh_from_db()
    assert p.status == S.SUBMITTED


def test_ballot_open_other_community_staff_not_found(client, w, other):
    p = bare_proposal(w, 1)
    response = as_user(client, other.staff).post(
        reverse("councils:ballot_open", args=[p.pk]), {"closes_at": local_input(timezone.now() + timedelta(days=2))}
    )
    assert response.status_code == 404


def test_ballot_open_anonymous_goes_to_login(client, w):
    p = bare_proposal(w, 1)
    assert_login_redirect(client.post(reverse("councils:ballot_open", args=[p.pk]), {}))


def test_ballot_open_needs_post(client, w):
    p = bare_proposal(w, 1)
    assert as_user(client, w.staff).get(reverse("councils:ballot_open", args=[p.pk])).status_code == 405


def test_r7_ballot_close_early_refused_while_outcome_can_change(client, w):
    p, ballot = to_community_vote(w)
    response = as_user(client, w.staff).post(reverse("councils:ballot_close", args=[ballot.pk]), follow=True)
    assert response.status_code == 200
    assert "结果还可能改变" in response.content.decode()
    ballot.refresh_from_db()
    assert ballot.closed_at is None


def test_r7_ballot_close_early_once_decided(client, w):
    from proposals import services as ps

    p, ballot = to_community_vote(w)
    for member in w.community_members[:4]:  # 4 of 5 approve: at least two thirds, cannot change
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    response = as_user(client, w.staff).post(reverse("councils:ballot_close", args=[ballot.pk]))
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == S.APPROVED


# --------------------------------------------------------------------------- entries on behalf


def test_proxy_vote_recorded_as_entered_by_staff(client, w):
    p, ballot = to_community_vote(w)
    member = w.community_members[0]
    response = as_user(client, w.staff).post(
        reverse("councils:proxy_vote", args=[ballot.pk]),
        {"account": member.username, "choice": "oppose", "proxy_reason": "paper", "proxy_detail": "表决票 0012"},
    )
    assert response.status_code == 302
    vote = Vote.objects.get(ballot=ballot, voter=member)
    assert vote.choice == "oppose" and vote.recorded_by == w.staff
    assert vote.proxy_reason == "paper" and vote.proxy_detail == "表决票 0012"


def test_proxy_vote_without_a_reason_is_refused(client, w):
    """Issue 9, finding 8: staff must say why they enter a member's vote."""
    p, ballot = to_community_vote(w)
    member = w.community_members[0]
    response = as_user(client, w.staff).post(
        reverse("councils:proxy_vote", args=[ballot.pk]), {"account": member.username, "choice": "oppose"}
    )
    assert response.status_code == 200
    assert "代录依据" in response.content.decode()
    assert not Vote.objects.filter(ballot=ballot).exists()


def test_proxy_vote_cannot_override_a_member_who_voted_online(client, w):
    p, ballot = to_community_vote(w)
    member = w.community_members[0]
    ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    response = as_user(client, w.staff).post(
        reverse("councils:proxy_vote", args=[ballot.pk]),
        {"account": member.username, "choice": "oppose", "proxy_reason": "asked", "proxy_detail": "电话委托"},
    )
    assert response.status_code == 200
    assert "已经投过票" in response.content.decode()
    vote = Vote.objects.get(ballot=ballot, voter=member)
    assert vote.choice == "approve" and vote.recorded_by is None


def test_proxy_vote_for_non_elector_is_refused_with_the_reason(client, w):
    p, ballot = to_community_vote(w)
    response = as_user(client, w.staff).post(
        reverse("councils:proxy_vote", args=[ballot.pk]),
        {"account": w.residents[0].username, "choice": "approve", "proxy_reason": "paper", "proxy_detail": "1"},
    )
    assert response.status_code == 200
    assert "表决人名单" in response.content.decode()
    assert not Vote.objects.filter(ballot=ballot).exists()


def test_proxy_vote_other_community_not_found(client, w, other):
    p, ballot = to_community_vote(w)
    assert as_user(client, other.staff).get(reverse("councils:proxy_vote", args=[ballot.pk])).status_code == 404


def test_proxy_vote_resident_forbidden(client, w):
    p, ballot = to_community_vote(w)
    assert as_user(client, w.residents[0]).get(reverse("councils:proxy_vote", args=[ballot.pk])).status_code == 403


def test_proxy_objection_recorded_on_behalf(client, w):
    p, notice = to_notice(w)
    resident = w.residents[1]
    response = as_user(client, w.staff).post(
        reverse("councils:proxy_objection", args=[notice.pk]),
        {"account": resident.username, "text": "<b>后门</b>应该先修"},
    )
    assert response.status_code == 302
    objection = Objection.objects.get(notice=notice)
    assert objection.resident == resident and objection.recorded_by == w.staff
    event = ProposalEvent.objects.filter(proposal=p, kind="objection_filed").get()
    assert event.actor == w.staff and event.on_behalf_of == resident


def test_proxy_objection_long_text_is_a_form_error(client, w):
    p, notice = to_notice(w)
    response = as_user(client, w.staff).post(
        reverse("councils:proxy_objection", args=[notice.pk]),
        {"account": w.residents[1].username, "text": "异" * 10000},
    )
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert not Objection.objects.exists()


# --------------------------------------------------------------------------- residents (R1)


def pending_request(world, name="新居民"):
    user = UserFactory(full_name=name)
    return Residency.objects.create(user=user, group=world.group, address="3 栋 2 单元 401")


def test_r1_residents_page_lists_pending_requests(client, w):
    request = pending_request(w, "张<script>三")
    response = as_user(client, w.staff).get(reverse("councils:residents"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "张&lt;script&gt;三" in body and "张<script>三" not in body
    assert reverse("councils:residency_verify", args=[request.pk]) in body


def test_r1_verify_pending_request(client, w):
    request = pending_request(w)
    response = as_user(client, w.staff).post(reverse("councils:residency_verify", args=[request.pk]))
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.verified_at is not None and request.verified_by == w.staff


def test_r1_verify_other_community_not_found(client, w, other):
    request = pending_request(w)
    response = as_user(client, other.staff).post(reverse("councils:residency_verify", args=[request.pk]))
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.verified_at is None


def test_r1_verify_by_street_staff_forbidden(client, w):
    request = pending_request(w)
    response = as_user(client, w.street_staff).post(reverse("councils:residency_verify", args=[request.pk]))
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.verified_at is None


def test_r1_verify_anonymous_goes_to_login(client, w):
    request = pending_request(w)
    assert_login_redirect(client.post(reverse("councils:residency_verify", args=[request.pk])))


def test_r1_residents_page_resident_forbidden(client, w):
    assert as_user(client, w.residents[0]).get(reverse("councils:residents")).status_code == 403


def test_r1_residents_page_other_community_not_found(client, w, other):
    response = as_user(client, other.staff).get(reverse("councils:residents"), {"community": w.community.pk})
    assert response.status_code == 404


def test_r1_register_resident_by_login_name(client, w):
    user = UserFactory(full_name="李四")
    response = as_user(client, w.staff).post(
        reverse("councils:resident_register"),
        {"community": w.community.pk, "account": user.username, "group": w.group.pk},
    )
    assert response.status_code == 302
    assert Residency.objects.current().get(user=user).verified_by == w.staff


def test_r1_register_resident_already_elsewhere_shows_the_reason(client, w):
    mover = w.residents[0]
    other_group = type(w.group).objects.create(community=w.community, name="南苑", slug="nanyuan")
    response = as_user(client, w.staff).post(
        reverse("councils:resident_register"),
        {"community": w.community.pk, "account": mover.username, "group": other_group.pk},
    )
    assert response.status_code == 200
    assert "一人只能属于一个居民小组" in response.content.decode()
    assert Residency.objects.current().get(user=mover).group == w.group


@pytest.mark.parametrize("account", ["", "nobody-here", "<script>x</script>", "a" * 10000])
def test_r1_register_unknown_account_is_a_form_error(client, w, account):
    before = Residency.objects.count()
    response = as_user(client, w.staff).post(
        reverse("councils:resident_register"), {"community": w.community.pk, "account": account, "group": w.group.pk}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "field-error" in body and "<script>x</script>" not in body
    assert Residency.objects.count() == before


def test_r1_register_into_other_community_group_is_refused(client, w, other):
    user = UserFactory()
    response = as_user(client, w.staff).post(
        reverse("councils:resident_register"),
        {"community": w.community.pk, "account": user.username, "group": other.group.pk},
    )
    assert response.status_code == 200
    assert not Residency.objects.filter(user=user).exists()


def test_r1_end_residency(client, w):
    residency = Residency.objects.current().get(user=w.residents[2])
    response = as_user(client, w.staff).post(reverse("councils:residency_end", args=[residency.pk]))
    assert response.status_code == 302
    residency.refresh_from_db()
    assert residency.ends_at is not None


def test_r1_end_residency_other_community_not_found(client, w, other):
    residency = Residency.objects.current().get(user=w.residents[2])
    assert as_user(client, other.staff).post(reverse("councils:residency_end", args=[residency.pk])).status_code == 404
    residency.refresh_from_db()
    assert residency.ends_at is None


def test_residents_page_queries_constant(client, w, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pending_request(w, "甲")
    client = as_user(client, w.staff)
    client.get(reverse("councils:residents"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("councils:residents"))
    pending_request(w, "乙")
    pending_request(w, "丙")
    for n in range(2):
        make_resident(w.group, full_name=f"加{n}")
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("councils:residents"))
    assert response.content.decode().count(">核实</button>") == 3


# --------------------------------------------------------------------------- seats (R2)


def test_r2_seats_page_lists_councils_and_boards(client, w):
    response = as_user(client, w.staff).get(reverse("councils:seats"))
    assert response.status_code == 200
    body = response.content.decode()
    assert w.group_council.name in body and w.community_council.name in body and w.board.name in body
    assert w.supervisor.display_name in body


def test_r2_seat_assign_group_member(client, w):
    resident = w.residents[0]
    response = as_user(client, w.staff).post(
        reverse("councils:seat_assign"),
        {"community": w.community.pk, "council": w.group_council.pk, "account": resident.username, "role": "member"},
    )
    assert response.status_code == 302
    assert Seat.objects.current().filter(council=w.group_council, user=resident).exists()


def test_r2_seat_assign_non_resident_to_group_council_refused(client, w):
    stranger = UserFactory()
    response = as_user(client, w.staff).post(
        reverse("councils:seat_assign"),
        {"community": w.community.pk, "council": w.group_council.pk, "account": stranger.username, "role": "member"},
    )
    assert response.status_code == 200
    assert "核实居民" in response.content.decode()
    assert not Seat.objects.filter(user=stranger).exists()


def test_r2_seat_assign_supervisor_refused(client, w):
    response = as_user(client, w.staff).post(
        reverse("councils:seat_assign"),
        {"community": w.community.pk, "council": w.community_council.pk, "account": w.supervisor.username,
         "role": "member"},
    )
    assert response.status_code == 200
    assert f"{w.supervisor.display_name}是" in response.content.decode()
    assert not Seat.objects.filter(user=w.supervisor).exists()


def test_r2_seat_assign_term_end_before_start_is_a_form_error(client, w):
    now = timezone.now()
    response = as_user(client, w.staff).post(
        reverse("councils:seat_assign"),
        {"community": w.community.pk, "council": w.community_council.pk, "account": UserFactory().username,
         "role": "member", "starts_at": local_input(now + timedelta(days=5)), "ends_at": local_input(now)},
    )
    assert response.status_code == 200
    assert "任期结束时间必须晚于开始时间" in response.content.decode()


def test_r2_seat_assign_other_community_council_is_refused(client, w, other):
    user = UserFactory()
    response = as_user(client, w.staff).post(
        reverse("councils:seat_assign"),
        {"community": w.community.pk, "council": other.community_council.pk, "account": user.username,
         "role": "member"},
    )
    assert response.status_code == 200
    assert not Seat.objects.filter(user=user).exists()


def test_r2_seat_assign_resident_forbidden(client, w):
    response = as_user(client, w.residents[0]).post(
        reverse("councils:seat_assign"),
        {"community": w.community.pk, "council": w.group_council.pk, "account": w.residents[1].username},
    )
    assert response.status_code == 403


def test_r2_seat_end(client, w):
    seat = Seat.objects.current().get(council=w.group_council, user=w.group_members[4])
    response = as_user(client, w.staff).post(reverse("councils:seat_end", args=[seat.pk]))
    assert response.status_code == 302
    seat.refresh_from_db()
    assert seat.ends_at is not None


def test_r2_seat_end_other_community_not_found(client, w, other):
    seat = Seat.objects.current().get(council=w.group_council, user=w.group_members[4])
    assert as_user(client, other.staff).post(reverse("councils:seat_end", args=[seat.pk])).status_code == 404
    seat.refresh_from_db()
    assert seat.ends_at is None


def test_r2_seat_end_anonymous_goes_to_login(client, w):
    seat = Seat.objects.current().get(council=w.group_council, user=w.group_members[4])
    assert_login_redirect(client.post(reverse("councils:seat_end", args=[seat.pk])))


def test_r2_board_seat_assign(client, w):
    user = UserFactory(full_name="廉情监督员")
    response = as_user(client, w.staff).post(
        reverse("councils:board_seat_assign"),
        {"community": w.community.pk, "board": w.board.pk, "account": user.username, "title": "integrity"},
    )
    assert response.status_code == 302
    assert BoardSeat.objects.current().get(user=user).title == "integrity"


def test_r2_board_seat_assign_council_member_refused(client, w):
    member = w.group_members[0]
    response = as_user(client, w.staff).post(
        reverse("councils:board_seat_assign"),
        {"community": w.community.pk, "board": w.board.pk, "account": member.username, "title": "member"},
    )
    assert response.status_code == 200
    assert f"{member.display_name}在" in response.content.decode()
    assert not BoardSeat.objects.filter(user=member).exists()


def test_r2_seats_page_other_community_not_found(client, w, other):
    assert as_user(client, other.staff).get(reverse("councils:seats"), {"community": w.community.pk}).status_code == 404


def test_seats_page_queries_constant(client, w, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(client, w.staff)
    client.get(reverse("councils:seats"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("councils:seats"))
    for n in range(3):
        Seat.objects.create(council=w.community_council, user=UserFactory(full_name=f"新议事员{n}"))
    with django_assert_num_queries(len(before.captured_queries)):
        response = client.get(reverse("councils:seats"))
    assert "新议事员2" in response.content.decode()
    assert w.community_council.kind == CouncilKind.COMMUNITY
