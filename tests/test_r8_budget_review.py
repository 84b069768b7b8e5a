"""R8 budget review (and the R3 cap as the fund sets it): approve reserves, refusals change nothing."""

from decimal import Decimal

import pytest

from funding import selectors as sel
from funding import services as fs
from funding.enums import EntryKind, ReviewDecision
from funding.models import BudgetReview, Fund, LedgerEntry
from proposals import services as ps
from proposals.enums import Category
from proposals.enums import ProposalStatus as S
from tests.factories import UserFactory, build_world
from tests.funding_support import D, drive_to_approved, make_fund, old_world, snapshot
from yishi.errors import DomainError, InvalidTransition, PermissionDenied


@pytest.fixture
def small(db):
    return old_world(group_seats=3, community_seats=3)


def test_r8_approve_reserves_the_community_share(small):
    fund = make_fund(small, "100000.00")
    p = drive_to_approved(small)
    review = fs.budget_approve(proposal=p, reviewer=small.street_staff, note="预算合理")
    p.refresh_from_db()
    assert p.status == S.FUNDED
    assert review.decision == ReviewDecision.APPROVED and review.fund == fund
    assert (sel.fund_balance(fund), sel.fund_reserved(fund), sel.fund_available(fund)) == (
        D("100000.00"), D("18000.00"), D("82000.00"))
    event = p.events.get(kind="budget_approved")
    assert event.amounts == {"total": "36000.00", "requested_share": "18000.00", "community_share": "18000.00",
                             "self_raised_share": "18000.00"}
    assert event.to_status == S.FUNDED and event.reason == "预算合理"


def test_r8_lowering_the_share_raises_the_self_raised_share(small):
    fund = make_fund(small, "100000.00")
    p = drive_to_approved(small)
    review = fs.budget_approve(proposal=p, reviewer=small.street_staff, community_share="15000.50")
    assert review.approved_share == D("15000.50") and review.self_raised_share == D("20999.50")
    assert review.requested_share == D("18000.00")
    assert sel.self_raised_target(p) == D("20999.50")
    assert sel.fund_available(fund) == D("84999.50")


def test_r8_raising_the_share_is_refused_and_nothing_changes(small):
    fund = make_fund(small, "100000.00")
    p = drive_to_approved(small)
    before = snapshot(p, fund)
    with pytest.raises(DomainError, match="只能核减公服资金，不能核增") as exc:
        fs.budget_approve(proposal=p, reviewer=small.street_staff, community_share="18000.01")
    assert exc.value.code == "share_raised"
    assert snapshot(p, fund) == before and not BudgetReview.objects.exists()


def test_r8_share_above_the_funds_cap_is_refused(small):
    fund = make_fund(small, "100000.00")
    p = drive_to_approved(small)  # 18 000 of 36 000: 50 %, within the default cap when adopted
    Fund.objects.filter(pk=fund.pk).update(share_cap_percent=Decimal("40.00"))
    before = snapshot(p, fund)
    with pytest.raises(DomainError) as exc:
        fs.budget_approve(proposal=p, reviewer=small.street_staff)
    assert exc.value.code == "over_cap"
    assert "40%" in str(exc.value) and "14,400.00" in str(exc.value) and "居民自筹" in str(exc.value)
    assert snapshot(p, fund) == before
    # Lowered to the cap, it goes through.
    review = fs.budget_approve(proposal=p, reviewer=small.street_staff, community_share="14400.00")
    assert review.approved_share == D("14400.00")


def test_r3_funds_cap_applies_when_drafting(small):
    make_fund(small, "100000.00", share_cap_percent="40")
    with pytest.raises(DomainError, match="40%"):
        ps.proposal_create(author=small.author, group=small.group, title="t", summary="s",
                           lines=[("门", 1, "项", "1000.00")], community_share="400.01")
    p = ps.proposal_create(author=small.author, group=small.group, title="t", summary="s",
                           lines=[("门", 1, "项", "1000.00")], community_share="400.00")
    assert p.community_share == D("400.00")


def test_r8_negative_list_category_is_refused_naming_the_rule(small):
    # Drafting refuses a category on the list; the review still checks, for a fund whose list
    # grew after the proposal was drafted.
    fund = make_fund(small, "100000.00", negative_list=[])
    p = drive_to_approved(small, category=Category.PROPERTY_FEE, title="代缴物业费")
    Fund.objects.filter(pk=fund.pk).update(negative_list=[Category.PROPERTY_FEE])
    before = snapshot(p, fund)
    with pytest.raises(DomainError) as exc:
        fs.budget_approve(proposal=p, reviewer=small.street_staff)
    assert exc.value.code == "negative_list"
    assert "负面清单" in str(exc.value) and "不能使用公服资金" in str(exc.value) and "物业费" in str(exc.value)
    assert snapshot(p, fund) == before


def test_r8_negative_list_is_per_fund(small):
    make_fund(small, "100000.00", negative_list=[Category.SALARY])
    p = drive_to_approved(small, category=Category.PROPERTY_FEE, title="代缴物业费")
    assert fs.budget_approve(proposal=p, reviewer=small.street_staff).approved_share == D("18000.00")


def test_r8_shortfall_is_refused_naming_the_amounts(small):
    fund = make_fund(small, "10000.00")
    p = drive_to_approved(small)
    before = snapshot(p, fund)
    with pytest.raises(DomainError) as exc:
        fs.budget_approve(proposal=p, reviewer=small.street_staff)
    assert exc.value.code == "shortfall"
    message = str(exc.value)
    assert "10,000.00" in message and "18,000.00" in message and "还差 8,000.00 元" in message
    assert snapshot(p, fund) == before


def test_r8_available_not_balance_is_what_counts(small):
    fund = make_fund(small, "30000.00")
    first = drive_to_approved(small, title="第一项")
    second = drive_to_approved(small, title="第二项")
    fs.budget_approve(proposal=first, reviewer=small.street_staff)
    assert sel.fund_balance(fund) == D("30000.00") and sel.fund_available(fund) == D("12000.00")
    with pytest.raises(DomainError, match="还差 6,000.00 元"):
        fs.budget_approve(proposal=second, reviewer=small.street_staff)


def test_r8_without_a_fund_for_this_year_is_refused(small):
    p = drive_to_approved(small)
    with pytest.raises(DomainError, match="还没有 .* 年的公服资金账户") as exc:
        fs.budget_approve(proposal=p, reviewer=small.street_staff)
    assert exc.value.code == "no_fund"


def test_r8_only_street_staff_of_the_subdistrict_review(small):
    fund = make_fund(small, "100000.00")
    p = drive_to_approved(small)
    other = build_world(group_seats=3, community_seats=3, prefix="外")
    before = snapshot(p, fund)
    for who in (small.staff, small.supervisor, small.group_members[0], other.street_staff, UserFactory()):
        with pytest.raises(PermissionDenied, match="街道办工作人员"):
            fs.budget_approve(proposal=p, reviewer=who)
        with pytest.raises(PermissionDenied):
            fs.budget_return(proposal=p, reviewer=who, reason="不行")
    assert snapshot(p, fund) == before


def test_r8_review_before_the_community_vote_is_refused(small):
    from tests.funding_support import drive_to_notice

    make_fund(small, "100000.00")
    p = drive_to_notice(small)
    with pytest.raises(InvalidTransition, match="公示中"):
        fs.budget_approve(proposal=p, reviewer=small.street_staff)


def test_r8_return_sends_the_proposal_back_with_the_reason(small):
    fund = make_fund(small, "100000.00")
    p = drive_to_approved(small)
    with pytest.raises(DomainError, match="请填写退回理由"):
        fs.budget_return(proposal=p, reviewer=small.street_staff, reason="  ")
    review = fs.budget_return(proposal=p, reviewer=small.street_staff, reason="围墙防盗刺单价偏高，请重新询价")
    p.refresh_from_db()
    assert p.status == S.GROUP_REVIEW
    assert review.decision == ReviewDecision.RETURNED and review.approved_share is None
    event = p.events.get(kind="budget_returned")
    assert event.from_status == S.APPROVED and event.to_status == S.GROUP_REVIEW
    assert event.reason == "围墙防盗刺单价偏高，请重新询价"
    assert not LedgerEntry.objects.filter(kind=EntryKind.RESERVATION).exists()
    assert sel.fund_available(fund) == D("100000.00")
    # The earlier notice no longer counts: a new resolution needs a new, full notice (R5).
    assert p.notices.filter(voided_at__isnull=True).count() == 0


def test_r8_cannot_approve_twice(small):
    make_fund(small, "100000.00")
    p = drive_to_approved(small)
    fs.budget_approve(proposal=p, reviewer=small.street_staff)
    with pytest.raises(InvalidTransition):
        fs.budget_approve(proposal=p, reviewer=small.street_staff)
    assert LedgerEntry.objects.filter(proposal=p, kind=EntryKind.RESERVATION).count() == 1


def test_r8_share_lowered_to_zero_moves_no_fund_money(small):
    from tests.funding_support import contribute, record_bids

    fund = make_fund(small, "100000.00")
    p = drive_to_approved(small)
    review = fs.budget_approve(proposal=p, reviewer=small.street_staff, community_share="0")
    assert review.reservation is None and review.self_raised_share == D("36000.00")
    contribute(small, p, "36000.00", households=3)
    fs.funds_release(proposal=p, actor=small.street_staff)
    bids = record_bids(small, p)
    fs.bid_select(bid=bids[1], actor=small.group_members[0], panel=[small.supervisor])
    fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied")
    s = fs.settlement_record(proposal=p, actor=small.group_members[0], actual_cost="34500.00")
    assert (s.community_savings, s.residents_savings, s.refundable_total) == (D("0.00"), D("1500.00"),
                                                                            D("1500.00"))
    assert list(fund.entries.values_list("kind", flat=True)) == [EntryKind.ALLOCATION]
    assert sel.fund_balance(fund) == D("100000.00")
