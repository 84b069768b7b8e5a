"""R13 acceptance and settlement: a supervisor present, the cost within the total, the savings split
exactly (community part rounded half up to the fen, residents get the rest), refunds per contribution."""

from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from funding import selectors as sel
from funding import services as fs
from funding.enums import EntryKind
from funding.models import Acceptance, LedgerEntry, Refund, Settlement
from proposals.enums import ProposalStatus as S
from tests.funding_support import (
    D,
    drive_to_accepted,
    drive_to_released,
    old_world,
    record_bids,
    snapshot,
)
from yishi.errors import DomainError, InvalidTransition, PermissionDenied

THIRDS_LINES = [("休闲座椅", Decimal(3), "张", Decimal("10000.00"))]  # 30 000: 10 000 fund, 20 000 raised


@pytest.fixture
def small(db):
    return old_world(group_seats=3, community_seats=3)


def in_progress(world, **kwargs):
    p, fund = drive_to_released(world, **kwargs)
    bids = record_bids(world, p, ("29000.00", "28500.00", "29900.00"))
    fs.bid_select(bid=bids[1], actor=world.group_members[0], panel=[world.group_members[0], world.supervisor])
    p.refresh_from_db()
    return p, fund


def test_r13_failed_acceptance_keeps_the_work_in_progress(small):
    p, _fund = in_progress(small)
    with pytest.raises(DomainError, match="请填写验收意见"):
        fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=False, satisfaction="dissatisfied",
                             notes="")
    failed = fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=False,
                                  satisfaction="dissatisfied", notes="防盗刺间距过大，需返工")
    p.refresh_from_db()
    assert p.status == S.IN_PROGRESS and not failed.passed and failed.supervisor == small.supervisor
    passed = fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True,
                                  satisfaction="basically_satisfied", notes="返工后合格")
    p.refresh_from_db()
    assert p.status == S.ACCEPTED and passed.get_satisfaction_display() == "基本满意"
    assert p.events.filter(kind="acceptance_recorded").count() == 2


def test_r13_acceptance_needs_a_supervisor_present(small):
    p, _fund = in_progress(small)
    with pytest.raises(DomainError, match="不是本社区或本街道的监督人员") as exc:
        fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied",
                             notes="", supervisor=small.group_members[1])
    assert exc.value.code == "supervisor"
    # The supervisor's seat ended: no one from the panel can be taken as present.
    small.supervisor.board_seats.update(ends_at=timezone.now())
    with pytest.raises(DomainError, match="验收需要监督人员到场"):
        fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied",
                             notes="")
    assert not Acceptance.objects.exists()


def test_r13_acceptance_with_an_explicit_supervisor(small):
    p, _fund = in_progress(small)
    a = fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied",
                             notes="", supervisor=small.supervisor)
    assert a.supervisor == small.supervisor
    with pytest.raises(PermissionDenied):
        fs.acceptance_record(proposal=p, actor=small.staff, passed=True, satisfaction="satisfied", notes="")


def test_r13_settlement_before_acceptance_refused(small):
    p, fund = in_progress(small)
    before = snapshot(p, fund)
    with pytest.raises(DomainError, match="验收合格后才能决算"):
        fs.settlement_record(proposal=p, actor=small.group_members[0], actual_cost="28000.00")
    assert snapshot(p, fund) == before


def test_r13_actual_cost_above_the_approved_total_refused(small):
    p, fund = drive_to_accepted(small)
    before = snapshot(p, fund)
    with pytest.raises(DomainError, match="超过核定总预算 36,000.00 元") as exc:
        fs.settlement_record(proposal=p, actor=small.group_members[0], actual_cost="36000.01")
    assert exc.value.code == "over_total"
    assert snapshot(p, fund) == before and not Settlement.objects.exists()


def test_r13_no_savings_means_no_return_and_no_refund(small):
    p, fund = drive_to_accepted(small)
    s = fs.settlement_record(proposal=p, actor=small.street_staff, actual_cost="36000.00")
    assert (s.savings, s.community_savings, s.residents_savings, s.refundable_total) == (D("0"),) * 4
    assert s.savings_entry is None
    assert not LedgerEntry.objects.filter(kind=EntryKind.SAVINGS_RETURN).exists()
    assert not Refund.objects.exists()
    assert sel.fund_balance(fund) == D("82000.00")


def test_r13_settlement_only_by_group_council_or_street_staff(small):
    p, _fund = drive_to_accepted(small)
    for who in (small.staff, small.supervisor, small.author):
        with pytest.raises(PermissionDenied):
            fs.settlement_record(proposal=p, actor=who, actual_cost="34500.00")


def test_r13_uneven_shares_split_adds_up_exactly(small):
    """1/3 – 2/3 with savings that do not divide by three: 1 000.01 → 333.34 + 666.67."""
    p, fund = in_progress(small, lines=THIRDS_LINES, share="10000.00", title="休闲座椅")
    fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied", notes="")
    s = fs.settlement_record(proposal=p, actor=small.group_members[0], actual_cost="28999.99")
    assert s.savings == D("1000.01")
    assert s.community_savings == D("333.34")  # 1 000.01 × 1/3 = 333.336… → half up → 333.34
    assert s.residents_savings == D("666.67")
    assert s.community_savings + s.residents_savings == s.savings
    assert s.savings_entry.balance_delta == D("333.34")
    # The residents' part is refunded over their three contributions (6 666.66 + 6 666.66 + 6 666.68).
    refunds = list(Refund.objects.filter(settlement=s).order_by("contribution__pk"))
    assert [r.contribution.amount for r in refunds] == [D("6666.66"), D("6666.66"), D("6666.68")]
    assert sum(r.amount for r in refunds) == D("666.67")
    for r in refunds:
        exact = D("666.67") * r.contribution.amount / D("20000.00")
        assert abs(r.amount - exact) < D("0.01")
    # Fund: 100 000 − 10 000 + 333.34.
    assert sel.fund_balance(fund) == D("90333.34") and sel.fund_available(fund) == D("90333.34")


def test_r13_one_fen_of_savings_goes_to_the_residents():
    assert fs.savings_split(savings=D("0.01"), community_share=D("10000.00"), total=D("30000.00")) == (
        D("0.00"), D("0.01"))
    # Exactly half a fen rounds up to the community: 0.03 × 1/2 = 0.015 → 0.02.
    assert fs.savings_split(savings=D("0.03"), community_share=D("1.00"), total=D("2.00")) == (D("0.02"), D("0.01"))


money_fen = st.integers(min_value=1, max_value=1_000_000_000)


@given(total=money_fen, share_ratio=st.fractions(min_value=0, max_value=1), saved_ratio=st.fractions(0, 1))
def test_r13_savings_split_always_adds_up(total, share_ratio, saved_ratio):
    share = int(total * share_ratio)
    saved = int(total * saved_ratio)
    t, c, s = (Decimal(x) / 100 for x in (total, share, saved))
    community, residents = fs.savings_split(savings=s, community_share=c, total=t)
    assert community + residents == s
    assert community >= 0 and residents >= 0 and community <= c
    exact = Decimal(saved) * Decimal(share) / Decimal(total) / 100
    assert abs(community - exact) <= Decimal("0.005")


@given(amount=st.integers(0, 10**9), weights=st.lists(st.integers(1, 10**8), min_size=1, max_size=40))
def test_r13_pro_rata_parts_add_up_to_the_fen(amount, weights):
    parts = fs.pro_rata(Decimal(amount) / 100, [Decimal(w) / 100 for w in weights])
    assert sum(parts, Decimal(0)) == Decimal(amount) / 100
    total = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        assert abs(part * 100 - Decimal(amount) * w / total) < 1


def test_r13_settled_is_on_the_public_record(small):
    p, _fund = drive_to_accepted(small)
    fs.settlement_record(proposal=p, actor=small.group_members[0], actual_cost="34500.00")
    accounts = sel.final_accounts(p)
    assert accounts["approved_total"] == D("36000.00") and accounts["savings"] == D("1500.00")
    assert accounts["returned_to_fund"] == D("750.00") and accounts["refundable_total"] == D("750.00")
    assert accounts["refund_count"] == 3 and accounts["refunded_so_far"] == D("0.00")
    event = p.events.get(kind="settled")
    assert event.from_status == S.ACCEPTED and event.to_status == S.SETTLED
    assert event.amounts["actual_cost"] == "34500.00" and event.amounts["savings"] == "1500.00"
    with pytest.raises(InvalidTransition):
        fs.acceptance_record(proposal=p, actor=small.group_members[0], passed=True, satisfaction="satisfied",
                             notes="")
