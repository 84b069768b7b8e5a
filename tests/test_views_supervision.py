"""Supervisors' pages (R11): everything in scope, filters, opinions, holds, the history-chain check (R14)."""

import pytest
from django.db import connection
from django.urls import reverse

from councils.enums import BoardTitle
from councils.models import BoardSeat, SupervisoryBoard
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from proposals.models import Hold, Opinion
from tests.factories import UserFactory
from tests.funding_support import drive_to_approved, make_fund
from tests.test_views_funding import as_user, assert_login_redirect, bare, count_queries, funded, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


@pytest.fixture
def other():
    return world(prefix="外")


# --------------------------------------------------------------------------- list


def test_r11_supervision_lists_every_proposal_in_scope(client, w):
    draft = bare(w, 1, S.DRAFT)
    approved = drive_to_approved(w)
    body = as_user(client, w.supervisor).get(reverse("funding:supervision")).content.decode()
    assert draft.title in body and approved.title in body


def test_r11_supervision_subdistrict_board_sees_the_community(client, w):
    discipline = UserFactory(full_name="纪工委")
    board = SupervisoryBoard.objects.create(name="街道纪工委", subdistrict=w.subdistrict)
    BoardSeat.objects.create(board=board, user=discipline, title=BoardTitle.DISCIPLINE)
    p = bare(w, 1, S.SUBMITTED)
    assert p.title in as_user(client, discipline).get(reverse("funding:supervision")).content.decode()
    assert as_user(client, discipline).get(reverse("funding:supervision_detail", args=[p.pk])).status_code == 200


def test_r11_supervision_filters_by_status_and_hold(client, w):
    quiet = bare(w, 1, S.SUBMITTED)
    held = bare(w, 2, S.FUNDED)
    Hold.objects.create(proposal=held, placed_by=w.supervisor, reason="核查")
    client = as_user(client, w.supervisor)
    body = client.get(reverse("funding:supervision"), {"hold": "open"}).content.decode()
    assert held.title in body and quiet.title not in body
    body = client.get(reverse("funding:supervision"), {"status": "submitted"}).content.decode()
    assert quiet.title in body and held.title not in body
    body = client.get(reverse("funding:supervision"), {"community": w.community.pk, "hold": "none"}).content.decode()
    assert quiet.title in body and held.title not in body


def test_r11_supervision_htmx_filter_returns_only_results(client, w):
    bare(w, 1, S.SUBMITTED)
    response = as_user(client, w.supervisor).get(reverse("funding:supervision"), {"status": "submitted"},
                                                 headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'id="results"' in body


def test_r11_supervision_bad_filter_values_do_not_break_the_page(client, w):
    response = as_user(client, w.supervisor).get(
        reverse("funding:supervision"), {"status": "<script>", "hold": "x", "q": "q" * 10000, "page": "zz"}
    )
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main", 1)[1]


def test_r11_supervision_other_community_filter_not_found(client, w, other):
    response = as_user(client, other.supervisor).get(reverse("funding:supervision"), {"community": w.community.pk})
    assert response.status_code == 404


def test_r11_supervision_other_community_does_not_list_it(client, w, other):
    p = bare(w, 1, S.SUBMITTED)
    assert p.title not in as_user(client, other.supervisor).get(reverse("funding:supervision")).content.decode()


@pytest.mark.parametrize("who", ["staff", "street_staff", "author"])
def test_r11_supervision_forbidden_for_non_supervisors(client, w, who):
    assert as_user(client, getattr(w, who)).get(reverse("funding:supervision")).status_code == 403


def test_r11_supervision_anonymous_goes_to_login(client):
    assert_login_redirect(client.get(reverse("funding:supervision")))


def test_r11_supervision_list_queries_constant(client, w, django_assert_num_queries):
    bare(w, 1, S.SUBMITTED)
    client = as_user(client, w.supervisor)
    n = count_queries(client, reverse("funding:supervision"))
    p2, p3 = bare(w, 2, S.FUNDED), bare(w, 3, S.DRAFT)
    Hold.objects.create(proposal=p2, placed_by=w.supervisor, reason="核查")
    Opinion.objects.create(proposal=p3, supervisor=w.supervisor, text="意见")
    with django_assert_num_queries(n):
        response = client.get(reverse("funding:supervision"))
    assert response.content.decode().count("/supervision/proposals/") == 3


# --------------------------------------------------------------------------- one proposal


def test_r11_detail_shows_named_votes_objections_and_ledger(client, w):
    make_fund(w)
    p = funded(w)
    body = as_user(client, w.supervisor).get(reverse("funding:supervision_detail", args=[p.pk])).content.decode()
    assert w.community_members[0].display_name in body  # named roll-call
    assert "赞成" in body and "未投票" in body
    assert "预留" in body  # the reservation ledger entry
    assert "完好" in body  # history chains intact


def test_r11_detail_queries_constant_in_votes(client, w, django_assert_num_queries):
    make_fund(w)
    p = funded(w)
    client = as_user(client, w.supervisor)
    n = count_queries(client, reverse("funding:supervision_detail", args=[p.pk]))
    ps.opinion_record(proposal=p, supervisor=w.supervisor, text="一")
    ps.opinion_record(proposal=p, supervisor=w.supervisor, text="二")
    # Each opinion adds one event: the chain check walks rows, not queries per row.
    with django_assert_num_queries(n):
        client.get(reverse("funding:supervision_detail", args=[p.pk]))


@pytest.mark.parametrize("who", ["staff", "street_staff", "author"])
def test_r11_detail_forbidden_for_non_supervisors_of_the_community(client, w, who):
    p = bare(w, 1, S.SUBMITTED)
    assert as_user(client, getattr(w, who)).get(reverse("funding:supervision_detail", args=[p.pk])).status_code == 403


def test_r11_detail_other_community_not_found(client, w, other):
    p = bare(w, 1, S.SUBMITTED)
    assert as_user(client, other.supervisor).get(reverse("funding:supervision_detail", args=[p.pk])).status_code == 404


def test_r11_detail_anonymous_goes_to_login(client, w):
    p = bare(w, 1, S.SUBMITTED)
    assert_login_redirect(client.get(reverse("funding:supervision_detail", args=[p.pk])))


def test_r11_opinion_recorded(client, w):
    p = bare(w, 1, S.SUBMITTED)
    response = as_user(client, w.supervisor).post(reverse("funding:opinion_add", args=[p.pk]),
                                                  {"text": "<script>x</script>建议公开报价"})
    assert response.status_code == 302
    assert Opinion.objects.get(proposal=p).text.endswith("建议公开报价")
    body = client.get(reverse("funding:supervision_detail", args=[p.pk])).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;建议公开报价" in body


@pytest.mark.parametrize("text", ["", "意" * 10000])
def test_r11_opinion_bad_text_is_a_form_error(client, w, text):
    p = bare(w, 1, S.SUBMITTED)
    response = as_user(client, w.supervisor).post(reverse("funding:opinion_add", args=[p.pk]), {"text": text})
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert not Opinion.objects.exists()


def test_r11_opinion_by_other_community_supervisor_not_found(client, w, other):
    p = bare(w, 1, S.SUBMITTED)
    assert as_user(client, other.supervisor).post(reverse("funding:opinion_add", args=[p.pk]),
                                                  {"text": "x"}).status_code == 404
    assert not Opinion.objects.exists()


def test_r11_opinion_by_staff_forbidden(client, w):
    p = bare(w, 1, S.SUBMITTED)
    assert as_user(client, w.staff).post(reverse("funding:opinion_add", args=[p.pk]), {"text": "x"}).status_code == 403


def test_r11_hold_blocks_release_and_lift_lets_it_through(client, w):
    make_fund(w)
    p = funded(w)
    from tests.funding_support import contribute

    contribute(w, p, "18000.00")
    client = as_user(client, w.supervisor)
    assert client.post(reverse("funding:hold_place", args=[p.pk]), {"reason": "核对收据"}).status_code == 302
    hold = Hold.objects.get(proposal=p)
    street = as_user(type(client)(), w.street_staff)
    response = street.post(reverse("funding:release", args=[p.pk]))
    assert "核对收据" in response.content.decode()
    p.refresh_from_db()
    assert p.status == S.FUNDED
    assert client.post(reverse("funding:hold_lift", args=[p.pk, hold.pk]), {"reason": "已核对"}).status_code == 302
    hold.refresh_from_db()
    assert not hold.is_open
    assert street.post(reverse("funding:release", args=[p.pk])).status_code == 302
    p.refresh_from_db()
    assert p.status == S.RELEASED


def test_r11_hold_needs_reason(client, w):
    p = bare(w, 1, S.FUNDED)
    response = as_user(client, w.supervisor).post(reverse("funding:hold_place", args=[p.pk]), {"reason": " "})
    assert response.status_code == 200
    assert not Hold.objects.exists()


def test_r11_hold_on_settled_is_refused_with_reason(client, w):
    p = bare(w, 1, S.SETTLED)
    response = as_user(client, w.supervisor).post(reverse("funding:hold_place", args=[p.pk]), {"reason": "晚了"})
    assert response.status_code == 200
    assert "无需暂停" in response.content.decode()
    assert not Hold.objects.exists()


def test_r11_hold_lift_of_other_proposal_not_found(client, w):
    p1, p2 = bare(w, 1, S.FUNDED), bare(w, 2, S.FUNDED)
    hold = Hold.objects.create(proposal=p1, placed_by=w.supervisor, reason="核查")
    response = as_user(client, w.supervisor).post(reverse("funding:hold_lift", args=[p2.pk, hold.pk]), {"reason": "x"})
    assert response.status_code == 404
    hold.refresh_from_db()
    assert hold.is_open


def test_r11_hold_by_street_staff_forbidden(client, w):
    p = bare(w, 1, S.FUNDED)
    assert as_user(client, w.street_staff).post(reverse("funding:hold_place", args=[p.pk]),
                                                {"reason": "x"}).status_code == 403
    assert not Hold.objects.exists()


def test_r11_hold_anonymous_goes_to_login(client, w):
    p = bare(w, 1, S.FUNDED)
    assert_login_redirect(client.post(reverse("funding:hold_place", args=[p.pk]), {"reason": "x"}))


# --------------------------------------------------------------------------- history-chain check (R14)


def tamper(table, sql, params):
    """Write past the append-only trigger as a database owner could; the hash chain still catches it.

    The test's transaction rolls the trigger change back with everything else.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks still pending in the test's transaction would block ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        else:
            cursor.execute(f"DROP TRIGGER {table}_append_only")
        cursor.execute(sql, params)


def test_r14_history_check_all_intact(client, w):
    make_fund(w)
    funded(w)
    response = as_user(client, w.supervisor).get(reverse("funding:history_check"))
    body = response.content.decode()
    assert response.status_code == 200 and "全部核验通过" in body and "资金流水" in body


def test_r14_history_check_names_the_first_broken_link(client, w):
    fund = make_fund(w)
    p = funded(w)
    event = p.events.order_by("seq")[2]
    tamper("proposals_proposalevent", "UPDATE proposals_proposalevent SET reason = %s WHERE id = %s",
           ["篡改", event.pk])
    tamper("funding_ledgerentry", "UPDATE funding_ledgerentry SET counterparty = %s WHERE fund_id = %s AND seq = 1",
           ["篡改", fund.pk])
    body = as_user(client, w.supervisor).get(reverse("funding:history_check")).content.decode()
    assert "发现断链" in body
    assert f"{p.title} 第 {event.seq} 条" in body
    assert f"{fund} 第 1 条" in body
    detail = client.get(reverse("funding:supervision_detail", args=[p.pk])).content.decode()
    assert "断链" in detail


def test_r14_history_check_only_covers_scope(client, w, other):
    fund = make_fund(w)
    tamper("funding_ledgerentry", "UPDATE funding_ledgerentry SET memo = %s WHERE fund_id = %s", ["篡改", fund.pk])
    body = as_user(client, other.supervisor).get(reverse("funding:history_check")).content.decode()
    assert "全部核验通过" in body


def test_r14_history_check_forbidden_for_non_supervisors(client, w):
    assert as_user(client, w.street_staff).get(reverse("funding:history_check")).status_code == 403


def test_r11_opinions_are_public_record_but_only_insiders_see_who_wrote_them(client, w):
    p = bare(w, 1, S.FUNDED)
    ps.opinion_record(proposal=p, supervisor=w.supervisor, text="比价材料已核对")
    w.supervisor.full_name = "钟守正"
    w.supervisor.save(update_fields=["full_name"])
    name = w.supervisor.display_name
    assert name == "钟守正"
    body = client.get(reverse("proposals:detail", args=[p.pk])).content.decode()
    assert "比价材料已核对" in body and name not in body
    body = as_user(client, w.supervisor).get(reverse("proposals:detail", args=[p.pk])).content.decode()
    assert "比价材料已核对" in body and name in body
