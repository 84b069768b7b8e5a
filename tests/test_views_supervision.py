"""Supervisors' pages (R11): everything in scope, filters, opinions, holds, the history-chain check (R14)."""

import pytest
from django.db import connection
from django.urls import reverse

from councils.enums import BoardTitle
from councils.models import BoardSeat, SupervisoryBoard
from funding import checkpoints
from funding.models import HistoryRun
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


def test_r14_history_check_shows_the_last_run_all_intact(client, w):
    make_fund(w)
    funded(w)
    run = checkpoints.history_daily()
    response = as_user(client, w.supervisor).get(reverse("funding:history_check"))
    body = response.content.decode()
    assert response.status_code == 200 and run.ok
    assert "全部核验通过" in body and f"核验了 {run.chains} 条记录链上的 {run.rows} 条记录" in body
    assert "第 1 号校验点" in body and "hmac_sha256: " in body


def test_r14_history_check_before_any_run_offers_the_button(client, w):
    body = as_user(client, w.supervisor).get(reverse("funding:history_check")).content.decode()
    assert "还没有核验结果" in body and reverse("funding:history_run") in body


def test_r14_history_check_names_the_table_row_and_difference(client, w, django_capture_on_commit_callbacks):
    fund = make_fund(w)
    p = funded(w)
    event = p.events.order_by("seq")[2]
    tamper("proposals_proposalevent", "UPDATE proposals_proposalevent SET reason = %s WHERE id = %s",
           ["篡改", event.pk])
    tamper("funding_ledgerentry", "UPDATE funding_ledgerentry SET counterparty = %s WHERE fund_id = %s AND seq = 1",
           ["篡改", fund.pk])
    client = as_user(client, w.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("funding:history_run"))
    assert response.status_code == 302 and response.url == reverse("funding:history_check")
    body = client.get(reverse("funding:history_check")).content.decode()
    assert "发现不一致 2 处" in body
    assert f"proposals_proposalevent #{event.pk}" in body and f"seq {event.seq}" in body
    assert f"funding_ledgerentry #{fund.entries.get(seq=1).pk}" in body
    detail = client.get(reverse("funding:supervision_detail", args=[p.pk])).content.decode()
    assert "断链" in detail and "最近一次全面核验" in detail and "funding_ledgerentry" in detail


def test_r14_history_check_only_lists_findings_in_scope(client, w, other):
    fund = make_fund(w)
    tamper("funding_ledgerentry", "UPDATE funding_ledgerentry SET memo = %s WHERE fund_id = %s", ["篡改", fund.pk])
    run = checkpoints.history_daily()
    assert run.finding_count == 1
    body = as_user(client, other.supervisor).get(reverse("funding:history_check")).content.decode()
    assert "funding_ledgerentry" not in body
    body = as_user(client, w.supervisor).get(reverse("funding:history_check")).content.decode()
    assert "funding_ledgerentry" in body


def test_r14_history_check_forbidden_for_non_supervisors(client, w):
    client = as_user(client, w.street_staff)
    assert client.get(reverse("funding:history_check")).status_code == 403
    assert client.post(reverse("funding:history_run")).status_code == 403
    assert not HistoryRun.objects.exists()


def test_r14_history_check_anonymous_goes_to_login(client):
    assert_login_redirect(client.get(reverse("funding:history_check")))
    assert_login_redirect(client.post(reverse("funding:history_run")))


def test_r14_history_run_get_not_allowed(client, w):
    assert as_user(client, w.supervisor).get(reverse("funding:history_run")).status_code == 405


def test_r14_history_run_refused_while_one_is_pending(client, w):
    HistoryRun.objects.create(requested_by=w.supervisor, pending=True)
    client = as_user(client, w.supervisor)
    response = client.post(reverse("funding:history_run"), follow=True)
    body = response.content.decode()
    assert "已经有一次核验在排队或进行中" in body and HistoryRun.objects.count() == 1


def _tampered_run(w, n):
    """``n`` findings in ``w``'s community from one run (n contributions with no event)."""
    from funding.models import Contribution

    p = bare(w, 1, S.FUNDED)
    for k in range(n):
        Contribution.objects.create(proposal=p, payer=f"户{k}", amount="10.00", receipt_no=f"X{k}",
                                    paid_on="2026-01-01", recorded_by=w.staff)
    return checkpoints.history_daily()


def test_r14_history_check_queries_constant_in_data_size(client, w, django_assert_num_queries):
    make_fund(w)
    _tampered_run(w, 1)
    as_user(client, w.supervisor)
    n = count_queries(client, reverse("funding:history_check"))
    _tampered_run(w, 120)  # more rows, more chains, a longer list of findings (paginated)
    with django_assert_num_queries(n):
        response = client.get(reverse("funding:history_check"))
    assert response.status_code == 200 and "下一页" in response.content.decode()


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


# --------------------------------------------------------------------------- published checkpoints


def test_r14_checkpoints_are_public_as_a_page_and_json(client, w):
    make_fund(w)
    checkpoint, _created = checkpoints.checkpoint_write()
    response = client.get(reverse("funding:checkpoints"))
    body = response.content.decode()
    assert response.status_code == 200 and "第 1 号" in body and checkpoint.signature in body
    data = client.get(reverse("funding:checkpoints_json")).json()
    assert data["count"] == 1 and data["next"] is None
    (row,) = data["results"]
    assert row["number"] == 1 and row["signed_text"] == checkpoint.signed_text
    assert row["heads_sha256"] == checkpoint.heads_sha256 and "heads" not in row


def test_r14_checkpoints_page_paginated_and_queries_constant(client, w, django_assert_num_queries):
    from funding.models import HistoryCheckpoint

    def add(number):
        HistoryCheckpoint.objects.create(number=number, heads={}, heads_sha256="0" * 64, key_id="k" * 16,
                                         text=f"Yishi history checkpoint\nnumber: {number}\n", signature="s" * 64)

    add(1)
    n = count_queries(client, reverse("funding:checkpoints"))
    for number in range(2, 60):
        add(number)
    with django_assert_num_queries(n):
        body = client.get(reverse("funding:checkpoints")).content.decode()
    assert "number: 59" in body and "number: 1\n" not in body and "下一页" in body
    data = client.get(reverse("funding:checkpoints_json"), {"page": 2}).json()
    assert data["page"] == 2 and data["results"][-1]["number"] == 1


def test_r14_supervision_page_shows_the_daily_digest(client, w):
    make_fund(w)
    checkpoint, _created = checkpoints.checkpoint_write()
    body = as_user(client, w.supervisor).get(reverse("funding:supervision")).content.decode()
    assert "今日校验点" in body and checkpoint.signed_text.splitlines()[-1] in body
