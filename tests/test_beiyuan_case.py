"""The 北苑 back-gate case of 晋阳社区, end to end through the public service API (R8–R13, R15).

36 000 yuan in all; 18 000 from the 2026 public-service fund and 18 000 raised
by 36 households; three bids; actual cost 34 500, so 1 500 saved: 750 back to
the fund and 750 refundable to the residents. Every amount is checked to the fen.
"""

from decimal import Decimal

from django.core.management import call_command

from funding import selectors as sel
from funding import services as fs
from funding.enums import EntryKind, RefundCause
from funding.ledger import verify_fund_chains
from funding.models import LedgerEntry, Refund
from proposals.enums import ProposalStatus as S
from tests.funding_support import (
    D,
    contribute,
    drive_to_approved,
    drive_to_notice,
    make_fund,
    old_world,
    record_bids,
)


def test_r13_beiyuan_case_end_to_end_to_the_fen(db):
    world = old_world()
    fund = make_fund(world, "300000.00")
    assert sel.fund_balance(fund) == D("300000.00") and sel.fund_available(fund) == D("300000.00")

    # Residents start paying while the resolution is on notice (R9).
    p = drive_to_notice(world)
    assert p.total == D("36000.00") and p.community_share == D("18000.00")
    contribute(world, p, "9000.00", households=18, prefix="A")
    p = drive_to_approved(world, p)

    # R8: street-office staff approve; the community share is reserved.
    review = fs.budget_approve(proposal=p, reviewer=world.street_staff)
    p.refresh_from_db()
    assert p.status == S.FUNDED
    assert (review.total, review.approved_share, review.self_raised_share) == (
        D("36000.00"), D("18000.00"), D("18000.00"))
    assert review.reservation.reserved_delta == D("18000.00") and review.reservation.balance_delta == 0
    assert (sel.fund_balance(fund), sel.fund_reserved(fund), sel.fund_available(fund)) == (
        D("300000.00"), D("18000.00"), D("282000.00"))

    # R9: not yet: 9 000 of 18 000 raised.
    blockers = sel.release_blockers(p)
    assert len(blockers) == 1 and "居民自筹：应筹" in blockers[0] and "9,000.00" in blockers[0]
    contribute(world, p, "9000.00", households=18, prefix="B")
    assert sel.contributions_collected(p) == D("18000.00")
    assert sel.release_blockers(p) == []

    # R10: release moves the reserved share out of the fund.
    fs.funds_release(proposal=p, actor=world.street_staff)
    p.refresh_from_db()
    assert p.status == S.RELEASED
    release = LedgerEntry.objects.get(proposal=p, kind=EntryKind.RELEASE)
    assert (release.balance_delta, release.reserved_delta) == (D("-18000.00"), D("-18000.00"))
    assert (sel.fund_balance(fund), sel.fund_reserved(fund), sel.fund_available(fund)) == (
        D("282000.00"), D("0.00"), D("282000.00"))

    # R12: three bids; the lowest is chosen by a panel with a supervisor.
    bids = record_bids(world, p, ("35200.00", "34800.00", "35900.00"))
    chosen = fs.bid_select(bid=bids[1], actor=world.group_members[0],
                           panel=[world.group_members[0], world.group_members[1], world.supervisor])
    p.refresh_from_db()
    assert p.status == S.IN_PROGRESS and chosen.is_selected and chosen.amount == D("34800.00")

    # R13: acceptance with the supervisor present (taken from the panel), then the accounts.
    acceptance = fs.acceptance_record(proposal=p, actor=world.group_members[0], passed=True,
                                      satisfaction="satisfied", notes="后门、消防通道、防盗刺均已完工")
    assert acceptance.supervisor == world.supervisor
    settlement = fs.settlement_record(proposal=p, actor=world.group_members[0], actual_cost="34500.00")
    p.refresh_from_db()
    assert p.status == S.SETTLED
    assert settlement.actual_cost == D("34500.00")
    assert settlement.savings == D("1500.00")
    assert settlement.community_savings == D("750.00")
    assert settlement.residents_savings == D("750.00")
    assert settlement.refundable_total == D("750.00")
    assert settlement.savings_entry.kind == EntryKind.SAVINGS_RETURN
    assert settlement.savings_entry.balance_delta == D("750.00")

    # The fund: 300 000 − 18 000 + 750.
    totals = sel.fund_totals(fund)
    assert totals == {
        "balance": D("282750.00"), "reserved": D("0.00"), "available": D("282750.00"),
        "allocated": D("300000.00"), "donated": D("0.00"), "reservations_made": D("18000.00"),
        "reservations_cancelled": D("0.00"), "released": D("18000.00"), "savings_returned": D("750.00"),
        "corrections": D("0.00"),
    }

    # 750 refundable over 36 households of 500: 75 000 fen / 36 → 12 × 20.84 + 24 × 20.83.
    refunds = list(Refund.objects.filter(settlement=settlement).order_by("contribution__recorded_at",
                                                                          "contribution__pk"))
    assert len(refunds) == 36 and all(r.cause == RefundCause.SAVINGS for r in refunds)
    assert sum(r.amount for r in refunds) == D("750.00")
    assert [r.amount for r in refunds] == [D("20.84")] * 12 + [D("20.83")] * 24

    # Every yuan traced: in = out + left.
    paid_in = D("300000.00") + D("18000.00")
    spent = settlement.actual_cost
    left = sel.fund_balance(fund) + settlement.refundable_total
    assert paid_in == spent + left

    # The public record and the history.
    accounts = sel.final_accounts(p)
    assert accounts["actual_cost"] == D("34500.00") and accounts["returned_to_fund"] == D("750.00")
    assert accounts["refundable_total"] == D("750.00") and accounts["contractor"] == "成都乙市政工程公司"
    assert "payer" not in str(accounts)
    kinds = list(p.events.order_by("seq").values_list("kind", flat=True))
    for kind in ["budget_approved", "funds_released", "bid_selected", "acceptance_recorded", "settled"]:
        assert kinds.count(kind) == 1
    assert kinds.count("contribution_recorded") == 36 and kinds.count("bid_recorded") == 3
    settled = p.events.get(kind="settled")
    assert settled.amounts["returned_to_fund"] == "750.00" and settled.amounts["refundable"] == "750.00"
    assert [why for _f, _n, _bad, why in verify_fund_chains()] == [""]
    call_command("verify_history")


def test_r13_beiyuan_numbers_split_exactly():
    assert fs.savings_split(savings=Decimal("1500.00"), community_share=Decimal("18000.00"),
                            total=Decimal("36000.00")) == (D("750.00"), D("750.00"))
