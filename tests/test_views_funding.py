"""Street-office and group-council money pages: review queue (R8), release (R10), funds (R15),
the money page of a proposal (R9, R12, R13) and the public money panel."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.shortcuts import resolve_url
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funding import services as fs
from funding.models import BudgetReview, Contribution, Fund, LedgerEntry
from funding.selectors import current_year, fund_sums
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from proposals.models import Proposal
from tests.factories import make_resident
from tests.funding_support import contribute, drive_to_approved, make_fund, old_world, record_bids

pytestmark = pytest.mark.django_db

LOGIN = resolve_url(settings.LOGIN_URL)
D = Decimal


# --------------------------------------------------------------------------- helpers (used by the other view tests)


def world(prefix=""):
    return old_world(community_seats=5, prefix=prefix)


def as_user(client, user):
    client.force_login(user)
    return client


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def funded(w, **kwargs):
    p = drive_to_approved(w, **kwargs)
    fs.budget_approve(proposal=p, reviewer=w.street_staff)
    p.refresh_from_db()
    return p


def released(w):
    p = funded(w)
    contribute(w, p, p.self_raised_share, households=3)
    fs.funds_release(proposal=p, actor=w.street_staff)
    p.refresh_from_db()
    return p


def in_progress(w):
    p = released(w)
    bids = record_bids(w, p)
    lowest = min(bids, key=lambda b: b.amount)
    fs.bid_select(bid=lowest, actor=w.group_members[0], panel=[w.group_members[0], w.supervisor])
    p.refresh_from_db()
    return p


def accepted(w):
    p = in_progress(w)
    fs.acceptance_record(proposal=p, actor=w.group_members[0], passed=True, satisfaction="satisfied",
                         notes="合格", supervisor=w.supervisor)
    p.refresh_from_db()
    return p


def count_queries(client, url, **params):
    client.get(url, params)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def bare(w, n, status, total="1000.00", share="500.00"):
    return Proposal.objects.create(
        group=w.group, author=w.author, title=f"小项目{n}", summary="内容", total=D(total),
        community_share=D(share), status=status,
    )


@pytest.fixture
def w():
    return world()


@pytest.fixture
def other():
    return world(prefix="外")


# --------------------------------------------------------------------------- review queue (R8)


def test_r8_review_queue_shows_request_and_fund_available(client, w):
    make_fund(w, "300000.00")
    p = drive_to_approved(w)
    response = as_user(client, w.street_staff).get(reverse("funding:review_queue"))
    assert response.status_code == 200
    body = response.content.decode()
    assert p.title in body and "300,000.00" in body and "18,000.00" in body


def test_r8_review_queue_warns_when_fund_is_short(client, w):
    make_fund(w, "1000.00")
    drive_to_approved(w)
    body = as_user(client, w.street_staff).get(reverse("funding:review_queue")).content.decode()
    assert "余额不足" in body


@pytest.mark.parametrize("who", ["staff", "supervisor", "author"])
def test_r8_review_queue_forbidden_without_street_post(client, w, who):
    user = w.author if who == "author" else getattr(w, who)
    assert as_user(client, user).get(reverse("funding:review_queue")).status_code == 403


def test_r8_review_queue_other_subdistrict_does_not_list_it(client, w, other):
    make_fund(w)
    p = drive_to_approved(w)
    body = as_user(client, other.street_staff).get(reverse("funding:review_queue")).content.decode()
    assert p.title not in body


def test_r8_review_queue_anonymous_goes_to_login(client):
    assert_login_redirect(client.get(reverse("funding:review_queue")))


def test_r8_review_queue_queries_constant(client, w, django_assert_num_queries):
    make_fund(w)
    bare(w, 1, S.APPROVED)
    bare(w, 2, S.FUNDED)
    client = as_user(client, w.street_staff)
    n = count_queries(client, reverse("funding:review_queue"))
    for k in range(3, 7):
        bare(w, k, S.APPROVED if k % 2 else S.FUNDED)
    with django_assert_num_queries(n):
        response = client.get(reverse("funding:review_queue"))
    body = response.content.decode()
    assert body.count("核准并预留</button>") == 3 and body.count("拨付公服资金</button>") == 3


def test_r8_approve_reserves_the_share(client, w):
    fund = make_fund(w)
    p = drive_to_approved(w)
    response = as_user(client, w.street_staff).post(
        reverse("funding:budget_approve", args=[p.pk]), {"community_share": "18,000.00"}
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == S.FUNDED
    assert fund_sums(fund) == (D("300000.00"), D("18000.00"))


def test_r8_approve_lowered_share(client, w):
    fund = make_fund(w)
    p = drive_to_approved(w)
    as_user(client, w.street_staff).post(reverse("funding:budget_approve", args=[p.pk]), {"community_share": "15000"})
    review = BudgetReview.objects.get(proposal=p)
    assert review.approved_share == D("15000.00") and review.self_raised_share == D("21000.00")
    assert fund_sums(fund)[1] == D("15000.00")


@pytest.mark.parametrize("value", ["18000.01", "-1", "abc", "1e30", "99999999999", "1.234", "", "<b>1</b>"])
def test_r8_approve_bad_share_is_a_form_error_and_changes_nothing(client, w, value):
    fund = make_fund(w)
    p = drive_to_approved(w)
    entries = LedgerEntry.objects.count()
    response = as_user(client, w.street_staff).post(
        reverse("funding:budget_approve", args=[p.pk]), {"community_share": value}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "field-error" in body
    assert "<b>1</b>" not in body
    p.refresh_from_db()
    assert p.status == S.APPROVED and LedgerEntry.objects.count() == entries
    assert fund_sums(fund)[1] == 0


def test_r8_approve_shortfall_names_it_next_to_the_proposal(client, w):
    make_fund(w, "1000.00")
    p = drive_to_approved(w)
    response = as_user(client, w.street_staff).post(
        reverse("funding:budget_approve", args=[p.pk]), {"community_share": "18000"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "还差 17,000.00 元" in body
    p.refresh_from_db()
    assert p.status == S.APPROVED


def test_r8_approve_negative_list_refused(client, w):
    fund = make_fund(w, negative_list=[])
    p = drive_to_approved(w, category="salary")
    Fund.objects.filter(pk=fund.pk).update(negative_list=["salary"])  # the list grew after drafting
    response = as_user(client, w.street_staff).post(
        reverse("funding:budget_approve", args=[p.pk]), {"community_share": "18000"}
    )
    assert "负面清单" in response.content.decode()
    p.refresh_from_db()
    assert p.status == S.APPROVED


def test_r8_approve_htmx_error_returns_only_the_card(client, w):
    make_fund(w, "1000.00")
    p = drive_to_approved(w)
    response = as_user(client, w.street_staff).post(
        reverse("funding:budget_approve", args=[p.pk]), {"community_share": "18000"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and f'id="review-{p.pk}"' in body and "还差" in body


def test_r8_approve_htmx_success_redirects_the_client(client, w):
    make_fund(w)
    p = drive_to_approved(w)
    response = as_user(client, w.street_staff).post(
        reverse("funding:budget_approve", args=[p.pk]), {"community_share": "18000"}, headers={"HX-Request": "true"}
    )
    assert response.headers["HX-Redirect"] == reverse("funding:review_queue")


def test_r8_approve_other_subdistrict_not_found(client, w, other):
    make_fund(w)
    p = drive_to_approved(w)
    response = as_user(client, other.street_staff).post(
        reverse("funding:budget_approve", args=[p.pk]), {"community_share": "18000"}
    )
    assert response.status_code == 404
    p.refresh_from_db()
    assert p.status == S.APPROVED


@pytest.mark.parametrize("who", ["staff", "supervisor", "member"])
def test_r8_approve_forbidden_for_other_roles(client, w, who):
    make_fund(w)
    p = drive_to_approved(w)
    user = w.group_members[0] if who == "member" else getattr(w, who)
    response = as_user(client, user).post(reverse("funding:budget_approve", args=[p.pk]), {"community_share": "18000"})
    assert response.status_code == 403
    p.refresh_from_db()
    assert p.status == S.APPROVED


def test_r8_approve_anonymous_goes_to_login(client, w):
    p = bare(w, 1, S.APPROVED)
    assert_login_redirect(client.post(reverse("funding:budget_approve", args=[p.pk]), {"community_share": "1"}))


def test_r8_approve_needs_post(client, w):
    p = bare(w, 1, S.APPROVED)
    assert as_user(client, w.street_staff).get(reverse("funding:budget_approve", args=[p.pk])).status_code == 405


def test_r8_return_with_reason(client, w):
    make_fund(w)
    p = drive_to_approved(w)
    response = as_user(client, w.street_staff).post(
        reverse("funding:budget_return", args=[p.pk]), {"reason": "<script>alert(1)</script>请补充报价"}
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == S.GROUP_REVIEW
    assert p.events.get(kind="budget_returned").reason.endswith("请补充报价")


@pytest.mark.parametrize("reason", ["", "   ", "理" * 10000])
def test_r8_return_bad_reason_is_a_form_error(client, w, reason):
    p = bare(w, 1, S.APPROVED)
    response = as_user(client, w.street_staff).post(reverse("funding:budget_return", args=[p.pk]), {"reason": reason})
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    p.refresh_from_db()
    assert p.status == S.APPROVED


# --------------------------------------------------------------------------- release (R10)


def test_r10_release_refused_lists_every_unmet_condition(client, w):
    fund = make_fund(w)
    p = funded(w)
    ps.hold_place(proposal=p, supervisor=w.supervisor, reason="核对报价")
    before = fund_sums(fund)
    response = as_user(client, w.street_staff).post(reverse("funding:release", args=[p.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "居民自筹：应筹" in body and "监督暂停：" in body and "核对报价" in body
    p.refresh_from_db()
    assert p.status == S.FUNDED and fund_sums(fund) == before


def test_r10_release_when_all_conditions_hold(client, w):
    fund = make_fund(w)
    p = funded(w)
    contribute(w, p, "18000.00", households=2)
    response = as_user(client, w.street_staff).post(reverse("funding:release", args=[p.pk]))
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == S.RELEASED
    assert fund_sums(fund) == (D("282000.00"), D("0.00"))
    # A second click changes nothing and says why.
    response = as_user(client, w.street_staff).post(reverse("funding:release", args=[p.pk]))
    assert response.status_code == 200
    assert LedgerEntry.objects.filter(proposal=p, kind="release").count() == 1


def test_r10_release_htmx_refusal_returns_the_card_with_reasons(client, w):
    make_fund(w)
    p = funded(w)
    response = as_user(client, w.street_staff).post(reverse("funding:release", args=[p.pk]),
                                                    headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and f'id="release-{p.pk}"' in body and "居民自筹：应筹" in body


def test_r10_release_from_money_page_shows_reasons_there(client, w):
    make_fund(w)
    p = funded(w)
    response = as_user(client, w.street_staff).post(reverse("funding:release", args=[p.pk]), {"next": "money"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "项目资金" in body and "居民自筹：应筹" in body


def test_r10_release_other_subdistrict_not_found(client, w, other):
    make_fund(w)
    p = funded(w)
    assert as_user(client, other.street_staff).post(reverse("funding:release", args=[p.pk])).status_code == 404


@pytest.mark.parametrize("who", ["staff", "supervisor", "member"])
def test_r10_release_forbidden_for_other_roles(client, w, who):
    make_fund(w)
    p = funded(w)
    contribute(w, p, "18000.00")
    user = w.group_members[0] if who == "member" else getattr(w, who)
    assert as_user(client, user).post(reverse("funding:release", args=[p.pk])).status_code == 403
    p.refresh_from_db()
    assert p.status == S.FUNDED


def test_r10_release_anonymous_goes_to_login(client, w):
    p = bare(w, 1, S.FUNDED)
    assert_login_redirect(client.post(reverse("funding:release", args=[p.pk])))


# --------------------------------------------------------------------------- funds and ledgers (R15)


def test_r15_funds_page_shows_balance_reserved_available(client, w):
    make_fund(w, "300000.00")
    funded(w)
    body = as_user(client, w.street_staff).get(reverse("funding:funds")).content.decode()
    assert "300,000.00" in body and "18,000.00" in body and "282,000.00" in body


@pytest.mark.parametrize("who", ["street_staff", "supervisor"])
def test_r15_fund_detail_readable_by_street_staff_and_supervisors(client, w, who):
    fund = make_fund(w)
    response = as_user(client, getattr(w, who)).get(reverse("funding:fund_detail", args=[fund.pk]))
    assert response.status_code == 200
    assert "区财政" in response.content.decode()


def test_r15_fund_ledger_names_a_reserved_proposal_once(client, w):
    """The reservation entry points at its proposal; its memo does not repeat the title."""
    make_fund(w)
    p = funded(w)
    entry = LedgerEntry.objects.get(proposal=p)
    assert entry.memo == ""
    body = as_user(client, w.street_staff).get(reverse("funding:fund_detail", args=[entry.fund_id])).content.decode()
    assert body.count(p.title) == 1


@pytest.mark.parametrize("who", ["staff", "author"])
def test_r15_fund_pages_forbidden_for_other_roles(client, w, who):
    fund = make_fund(w)
    user = getattr(w, who)
    assert as_user(client, user).get(reverse("funding:fund_detail", args=[fund.pk])).status_code == 403
    assert as_user(client, user).get(reverse("funding:funds")).status_code == 403


def test_r15_fund_detail_other_subdistrict_not_found(client, w, other):
    fund = make_fund(w)
    assert as_user(client, other.street_staff).get(reverse("funding:fund_detail", args=[fund.pk])).status_code == 404


def test_r15_funds_other_subdistrict_not_listed(client, w, other):
    fund = make_fund(w)
    body = as_user(client, other.street_staff).get(reverse("funding:funds")).content.decode()
    assert reverse("funding:fund_detail", args=[fund.pk]) not in body


def test_r15_fund_pages_anonymous_go_to_login(client, w):
    fund = make_fund(w)
    assert_login_redirect(client.get(reverse("funding:funds")))
    assert_login_redirect(client.get(reverse("funding:fund_detail", args=[fund.pk])))


def test_r15_funds_list_queries_constant(client, w, django_assert_num_queries):
    make_fund(w)
    client = as_user(client, w.street_staff)
    n = count_queries(client, reverse("funding:funds"))
    for year in (current_year() - 1, current_year() - 2):
        fs.fund_allocate(fund=fs.fund_create(community=w.community, year=year, actor=w.street_staff),
                         actor=w.street_staff, amount="1000")
    with django_assert_num_queries(n):
        response = client.get(reverse("funding:funds"))
    assert response.content.decode().count("/street/funds/") >= 3


def test_r15_fund_detail_queries_constant_in_entries(client, w, django_assert_num_queries):
    fund = make_fund(w)
    client = as_user(client, w.street_staff)
    n = count_queries(client, reverse("funding:fund_detail", args=[fund.pk]))
    fs.fund_allocate(fund=fund, actor=w.street_staff, amount="10", source="捐款甲")
    fs.fund_allocate(fund=fund, actor=w.street_staff, amount="20", source="捐款乙")
    with django_assert_num_queries(n):
        response = client.get(reverse("funding:fund_detail", args=[fund.pk]))
    body = response.content.decode()
    assert "捐款乙" in body and "300,030.00" in body


# --------------------------------------------------------------------------- money page of a proposal


def contribution_post(**overrides):
    data = {"payer": "3 栋 2 单元 401", "payer_kind": "household", "amount": "6000", "receipt_no": "NO-1",
            "paid_on": timezone.localdate().isoformat()}
    data.update(overrides)
    return data


def test_r9_money_page_group_member_records_contribution(client, w):
    make_fund(w)
    p = funded(w)
    client = as_user(client, w.group_members[1])
    page = client.get(reverse("funding:proposal_money", args=[p.pk]))
    assert page.status_code == 200 and "登记一笔自筹资金" in page.content.decode()
    response = client.post(reverse("funding:contribution_add", args=[p.pk]), contribution_post())
    assert response.status_code == 302
    c = Contribution.objects.get(proposal=p)
    assert c.amount == D("6000.00") and c.recorded_by == w.group_members[1]


@pytest.mark.parametrize("field,value", [
    ("amount", "-100"), ("amount", "0"), ("amount", "abc"), ("amount", "1e30"), ("amount", "100000000000"),
    ("amount", "12.345"), ("payer", "户" * 10000), ("payer", ""), ("receipt_no", "R" * 10000),
    ("paid_on", "not-a-date"), ("paid_on", "2999-01-01"), ("payer_kind", "<script>"),
])
def test_r9_contribution_bad_input_is_a_form_error(client, w, field, value):
    make_fund(w)
    p = funded(w)
    response = as_user(client, w.group_members[1]).post(
        reverse("funding:contribution_add", args=[p.pk]), contribution_post(**{field: value})
    )
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert not Contribution.objects.filter(proposal=p).exists()


def test_r9_contribution_over_target_shows_service_message(client, w):
    make_fund(w)
    p = funded(w)
    response = as_user(client, w.group_members[1]).post(
        reverse("funding:contribution_add", args=[p.pk]), contribution_post(amount="18000.01")
    )
    assert response.status_code == 200
    assert "最多还能登记 18,000.00 元" in response.content.decode()
    assert not Contribution.objects.filter(proposal=p).exists()


def test_r9_contribution_markup_is_escaped_on_the_money_page(client, w):
    make_fund(w)
    p = funded(w)
    client = as_user(client, w.group_members[1])
    client.post(reverse("funding:contribution_add", args=[p.pk]),
                contribution_post(payer="<img src=x onerror=alert(1)>"))
    body = client.get(reverse("funding:proposal_money", args=[p.pk])).content.decode()
    assert "<img src=x" not in body and "&lt;img src=x" in body


def test_r9_contribution_reversal(client, w):
    make_fund(w)
    p = funded(w)
    [c] = contribute(w, p, "5000.00")
    response = as_user(client, w.group_members[1]).post(
        reverse("funding:contribution_reverse", args=[p.pk, c.pk]), {"reason": "金额录错"}
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.is_reversed and c.reversal_reason == "金额录错"


def test_r9_contribution_reversal_needs_reason(client, w):
    make_fund(w)
    p = funded(w)
    [c] = contribute(w, p, "5000.00")
    response = as_user(client, w.group_members[1]).post(
        reverse("funding:contribution_reverse", args=[p.pk, c.pk]), {"reason": ""}
    )
    assert response.status_code == 200
    c.refresh_from_db()
    assert not c.is_reversed


def test_money_page_readable_by_staff_and_supervisors(client, w):
    make_fund(w)
    p = funded(w)
    for user in (w.staff, w.street_staff, w.supervisor):
        response = as_user(client, user).get(reverse("funding:proposal_money", args=[p.pk]))
        assert response.status_code == 200
        assert "登记一笔自筹资金" not in response.content.decode()


def test_money_page_resident_forbidden(client, w):
    make_fund(w)
    p = funded(w)
    assert as_user(client, w.residents[1]).get(reverse("funding:proposal_money", args=[p.pk])).status_code == 403


def test_money_page_other_community_not_found(client, w, other):
    make_fund(w)
    p = funded(w)
    for user in (other.group_members[0], other.staff, other.supervisor):
        assert as_user(client, user).get(reverse("funding:proposal_money", args=[p.pk])).status_code == 404


def test_money_page_anonymous_goes_to_login(client, w):
    p = bare(w, 1, S.FUNDED)
    assert_login_redirect(client.get(reverse("funding:proposal_money", args=[p.pk])))


@pytest.mark.parametrize("who", ["staff", "supervisor", "street_staff"])
def test_r9_contribution_by_non_member_forbidden(client, w, who):
    make_fund(w)
    p = funded(w)
    response = as_user(client, getattr(w, who)).post(reverse("funding:contribution_add", args=[p.pk]),
                                                     contribution_post())
    assert response.status_code == 403
    assert not Contribution.objects.filter(proposal=p).exists()


def test_r9_contribution_other_community_member_not_found(client, w, other):
    make_fund(w)
    p = funded(w)
    response = as_user(client, other.group_members[0]).post(reverse("funding:contribution_add", args=[p.pk]),
                                                            contribution_post())
    assert response.status_code == 404


def test_money_page_queries_constant_in_contributions(client, w, django_assert_num_queries):
    make_fund(w)
    p = funded(w)
    contribute(w, p, "1000.00", prefix="A")
    client = as_user(client, w.group_members[1])
    n = count_queries(client, reverse("funding:proposal_money", args=[p.pk]))
    contribute(w, p, "2000.00", households=2, prefix="B")
    with django_assert_num_queries(n):
        response = client.get(reverse("funding:proposal_money", args=[p.pk]))
    assert response.content.decode().count("确认冲正") == 3


def test_r12_bids_recorded_and_lowest_selected_with_supervisor_on_panel(client, w):
    make_fund(w)
    p = released(w)
    client = as_user(client, w.group_members[0])
    for name, amount in (("甲公司", "35200"), ("乙公司", "34800"), ("丙公司", "35900")):
        response = client.post(reverse("funding:bid_add", args=[p.pk]), {"contractor": name, "amount": amount})
        assert response.status_code == 302
    lowest = p.bids.get(contractor="乙公司")
    response = client.post(
        reverse("funding:bid_select", args=[p.pk]),
        {"bid": lowest.pk, "panel": [w.group_members[0].pk, w.supervisor.pk]},
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == S.IN_PROGRESS


def test_r12_select_not_lowest_without_reason_is_refused(client, w):
    make_fund(w)
    p = released(w)
    bids = record_bids(w, p)
    dearest = max(bids, key=lambda b: b.amount)
    response = as_user(client, w.group_members[0]).post(
        reverse("funding:bid_select", args=[p.pk]),
        {"bid": dearest.pk, "panel": [w.group_members[0].pk, w.supervisor.pk]},
    )
    assert response.status_code == 200
    assert "不是最低价" in response.content.decode()
    p.refresh_from_db()
    assert p.status == S.RELEASED


def test_r12_select_without_supervisor_on_panel_is_refused(client, w):
    make_fund(w)
    p = released(w)
    bids = record_bids(w, p)
    response = as_user(client, w.group_members[0]).post(
        reverse("funding:bid_select", args=[p.pk]), {"bid": bids[1].pk, "panel": [w.group_members[0].pk]}
    )
    assert response.status_code == 200
    assert "监督人员" in response.content.decode()
    p.refresh_from_db()
    assert p.status == S.RELEASED


@pytest.mark.parametrize("amount", ["-5", "abc", "1e40", ""])
def test_r12_bid_bad_amount_is_a_form_error(client, w, amount):
    make_fund(w)
    p = released(w)
    response = as_user(client, w.group_members[0]).post(reverse("funding:bid_add", args=[p.pk]),
                                                        {"contractor": "甲公司", "amount": amount})
    assert response.status_code == 200
    assert not p.bids.exists()


def test_r13_acceptance_and_settlement_through_the_page(client, w):
    fund = make_fund(w)
    p = in_progress(w)
    client = as_user(client, w.group_members[0])
    response = client.post(reverse("funding:acceptance_add", args=[p.pk]),
                           {"passed": "1", "satisfaction": "satisfied", "supervisor": w.supervisor.pk, "notes": "好"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == S.ACCEPTED
    response = client.post(reverse("funding:settlement_add", args=[p.pk]), {"actual_cost": "34500"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == S.SETTLED
    body = client.get(reverse("funding:proposal_money", args=[p.pk])).content.decode()
    assert "34,500.00" in body and "750.00" in body
    assert fund_sums(fund)[0] == D("300000.00") - D("18000.00") + D("750.00")


def test_r13_settlement_above_total_is_refused(client, w):
    make_fund(w)
    p = accepted(w)
    response = as_user(client, w.group_members[0]).post(reverse("funding:settlement_add", args=[p.pk]),
                                                        {"actual_cost": "36000.01"})
    assert response.status_code == 200
    assert "超过核定总预算" in response.content.decode()
    p.refresh_from_db()
    assert p.status == S.ACCEPTED


def test_r11_settlement_blocked_by_hold_is_shown(client, w):
    make_fund(w)
    p = accepted(w)
    ps.hold_place(proposal=p, supervisor=w.supervisor, reason="核查发票")
    client = as_user(client, w.group_members[0])
    assert "核查发票" in client.get(reverse("funding:proposal_money", args=[p.pk])).content.decode()
    response = client.post(reverse("funding:settlement_add", args=[p.pk]), {"actual_cost": "34500"})
    assert response.status_code == 200
    p.refresh_from_db()
    assert p.status == S.ACCEPTED


def test_r13_acceptance_with_non_supervisor_is_a_form_error(client, w):
    make_fund(w)
    p = in_progress(w)
    response = as_user(client, w.group_members[0]).post(
        reverse("funding:acceptance_add", args=[p.pk]),
        {"passed": "1", "satisfaction": "satisfied", "supervisor": w.group_members[2].pk},
    )
    assert response.status_code == 200
    p.refresh_from_db()
    assert p.status == S.IN_PROGRESS


def test_r13_refund_marked_paid(client, w):
    make_fund(w)
    p = accepted(w)
    fs.settlement_record(proposal=p, actor=w.group_members[0], actual_cost="34500")
    refund = p.contributions.first().refund
    response = as_user(client, w.staff).post(reverse("funding:refund_paid", args=[p.pk, refund.pk]))
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.paid_on == timezone.localdate()


# --------------------------------------------------------------------------- the public money panel


def render_panel(p, user=None):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    return Template("{% load funding_tags %}{% money_panel proposal %}").render(
        Context({"proposal": p, "request": request, "user": request.user})
    )


def test_money_panel_public_shows_amounts_but_no_payers(w):
    make_fund(w)
    p = funded(w)
    fs.contribution_record(proposal=p, actor=w.group_members[1], payer="王五家 3-2-401", amount="5000",
                           receipt_no="X1", paid_on=timezone.localdate())
    html = render_panel(p)
    assert "5,000.00" in html and "18,000.00" in html
    assert "王五" not in html and "X1" not in html
    assert reverse("funding:proposal_money", args=[p.pk]) not in html


def test_money_panel_street_staff_get_release_button(w):
    make_fund(w)
    p = funded(w)
    html = render_panel(p, w.street_staff)
    # Short of self-raised money: the button is shown disabled, the reasons beside it.
    assert reverse("funding:release", args=[p.pk]) not in html and "居民自筹：应筹" in html
    assert 'disabled aria-describedby="money-blockers"' in html
    contribute(w, p, p.self_raised_share, households=2)
    html = render_panel(p, w.street_staff)
    assert reverse("funding:release", args=[p.pk]) in html and "disabled" not in html


def test_money_panel_settled_shows_final_accounts(w):
    make_fund(w)
    p = accepted(w)
    fs.settlement_record(proposal=p, actor=w.group_members[0], actual_cost="34500")
    p.refresh_from_db()
    html = render_panel(p)
    assert "决算" in html and "34,500.00" in html and "750.00" in html and "1,500.00" in html


def test_money_panel_resident_sees_no_actions(w):
    make_fund(w)
    p = funded(w)
    resident = make_resident(w.group, full_name="新来的")
    html = render_panel(p, resident)
    assert reverse("funding:release", args=[p.pk]) not in html
    assert Fund.objects.count() == 1


# --------------------------------------------------------------------------- keeping funds (street office)


def test_r15_street_staff_create_fund_and_allocate(client, w):
    client = as_user(client, w.street_staff)
    response = client.post(reverse("funding:fund_create"), {
        "community": w.community.pk, "year": current_year(), "kind": "public_service", "share_cap_percent": "50",
    })
    fund = Fund.objects.get(community=w.community)
    assert response.status_code == 302 and response.url == reverse("funding:fund_detail", args=[fund.pk])
    response = client.post(reverse("funding:fund_inflow", args=[fund.pk]),
                           {"kind": "allocation", "amount": "300,000", "source": "区财政", "memo": ""})
    assert response.status_code == 302
    response = client.post(reverse("funding:fund_inflow", args=[fund.pk]),
                           {"kind": "donation", "amount": "500.50", "source": "晋阳商会"})
    assert response.status_code == 302
    assert fund_sums(fund) == (D("300500.50"), D("0.00"))


def test_r15_create_fund_twice_shows_the_reason(client, w):
    make_fund(w)
    response = as_user(client, w.street_staff).post(reverse("funding:fund_create"), {
        "community": w.community.pk, "year": current_year(), "kind": "public_service", "share_cap_percent": "50",
    })
    assert response.status_code == 200
    assert "已经存在" in response.content.decode()
    assert Fund.objects.count() == 1


def test_r15_create_fund_for_other_subdistrict_is_refused(client, w, other):
    response = as_user(client, w.street_staff).post(reverse("funding:fund_create"), {
        "community": other.community.pk, "year": current_year(), "kind": "public_service", "share_cap_percent": "50",
    })
    assert response.status_code == 200
    assert not Fund.objects.exists()


def test_r15_create_fund_forbidden_for_supervisor(client, w):
    response = as_user(client, w.supervisor).post(reverse("funding:fund_create"), {
        "community": w.community.pk, "year": current_year(), "kind": "public_service", "share_cap_percent": "50",
    })
    assert response.status_code == 403
    assert not Fund.objects.exists()


@pytest.mark.parametrize("data", [
    {"kind": "allocation", "amount": "-5"}, {"kind": "allocation", "amount": "abc"},
    {"kind": "allocation", "amount": "1e30"}, {"kind": "donation", "amount": "5", "source": ""},
    {"kind": "allocation", "amount": "5", "memo": "说" * 10000}, {"kind": "<script>", "amount": "5"},
])
def test_r15_inflow_bad_input_is_a_form_error(client, w, data):
    fund = make_fund(w, "0")
    response = as_user(client, w.street_staff).post(reverse("funding:fund_inflow", args=[fund.pk]), data)
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert not LedgerEntry.objects.filter(fund=fund).exists()


def test_r15_inflow_forbidden_for_supervisor_and_other_subdistrict(client, w, other):
    fund = make_fund(w, "0")
    data = {"kind": "allocation", "amount": "5"}
    assert as_user(client, w.supervisor).post(reverse("funding:fund_inflow", args=[fund.pk]), data).status_code == 403
    url = reverse("funding:fund_inflow", args=[fund.pk])
    assert as_user(client, other.street_staff).post(url, data).status_code == 404
    assert as_user(client, w.staff).post(reverse("funding:fund_inflow", args=[fund.pk]), data).status_code == 403
    assert not LedgerEntry.objects.filter(fund=fund).exists()


def test_r15_correction_cannot_spend_reserved_money(client, w):
    fund = make_fund(w, "20000.00")
    funded(w)  # reserves 18 000
    response = as_user(client, w.street_staff).post(reverse("funding:fund_correct", args=[fund.pk]),
                                                    {"amount": "-2500", "reason": "重复拨入"})
    assert response.status_code == 200
    assert "元已为项目预留" in response.content.decode()
    assert fund_sums(fund) == (D("20000.00"), D("18000.00"))
    response = client.post(reverse("funding:fund_correct", args=[fund.pk]), {"amount": "-1500.00", "reason": "重复拨入"})
    assert response.status_code == 302
    assert fund_sums(fund) == (D("18500.00"), D("18000.00"))


@pytest.mark.parametrize("amount", ["0", "abc", ""])
def test_r15_correction_bad_amount_is_a_form_error(client, w, amount):
    fund = make_fund(w, "100")
    response = as_user(client, w.street_staff).post(reverse("funding:fund_correct", args=[fund.pk]),
                                                    {"amount": amount, "reason": "x"})
    assert response.status_code == 200
    assert LedgerEntry.objects.filter(fund=fund).count() == 1


# --------------------------------------------------------------------------- explain before the click (issue 10)


def test_r10_release_button_disabled_with_reasons_in_the_queue_while_money_is_short_or_on_hold(client, w):
    make_fund(w)
    p = funded(w)
    queue = reverse("funding:review_queue")
    body = as_user(client, w.street_staff).get(queue).content.decode()
    card = body[body.index(f'id="release-{p.pk}"'):]
    assert f'disabled aria-describedby="release-why-{p.pk}"' in card
    assert "居民自筹还差 18,000.00 元" in card
    assert f'action="{reverse("funding:release", args=[p.pk])}"' not in body
    contribute(w, p, p.self_raised_share, households=2)
    ps.hold_place(proposal=p, supervisor=w.supervisor, reason="核对报价")
    body = client.get(queue).content.decode()
    assert "监督人员暂停了拨付" in body and "居民自筹还差" not in body
    assert f'action="{reverse("funding:release", args=[p.pk])}"' not in body
    hold = p.holds.get()
    ps.hold_lift(hold=hold, actor=w.supervisor, reason="已核实")
    body = client.get(queue).content.decode()
    assert f'action="{reverse("funding:release", args=[p.pk])}"' in body and f"release-why-{p.pk}" not in body


def test_r10_release_button_disabled_on_the_money_page_until_conditions_hold(client, w):
    make_fund(w)
    p = funded(w)
    page = reverse("funding:proposal_money", args=[p.pk])
    body = as_user(client, w.street_staff).get(page).content.decode()
    assert 'disabled aria-describedby="h-release"' in body and "居民自筹：应筹" in body
    contribute(w, p, p.self_raised_share, households=2)
    body = client.get(page).content.decode()
    assert 'disabled aria-describedby="h-release"' not in body
    assert f'action="{reverse("funding:release", args=[p.pk])}"' in body
