"""R11 holds: an open hold blocks release and settlement; lifting it lets them through."""

import pytest

from funding import selectors as sel
from funding import services as fs
from funding.enums import EntryKind
from funding.models import LedgerEntry, Settlement
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from tests.funding_support import (
    D,
    contribute,
    drive_to_accepted,
    drive_to_approved,
    make_fund,
    old_world,
    snapshot,
)
from yishi.errors import DomainError


@pytest.fixture
def small(db):
    return old_world(group_seats=3, community_seats=3)


def test_r11_hold_blocks_release_until_lifted(small):
    fund = make_fund(small, "100000.00")
    p = drive_to_approved(small)
    fs.budget_approve(proposal=p, reviewer=small.street_staff)
    contribute(small, p, "18000.00")
    hold = ps.hold_place(proposal=p, supervisor=small.supervisor, reason="施工方资质待核实")
    before = snapshot(p, fund)
    with pytest.raises(DomainError, match="监督暂停：施工方资质待核实"):
        fs.funds_release(proposal=p, actor=small.street_staff)
    assert snapshot(p, fund) == before
    ps.hold_lift(hold=hold, actor=small.supervisor, reason="资质已核实")
    fs.funds_release(proposal=p, actor=small.street_staff)
    p.refresh_from_db()
    assert p.status == S.RELEASED
    assert LedgerEntry.objects.filter(proposal=p, kind=EntryKind.RELEASE).count() == 1
    kinds = list(p.events.order_by("seq").values_list("kind", flat=True))
    assert kinds.index("hold_placed") < kinds.index("hold_lifted") < kinds.index("funds_released")


def test_r11_hold_blocks_settlement_until_lifted(small):
    p, fund = drive_to_accepted(small)
    hold = ps.hold_place(proposal=p, supervisor=small.supervisor, reason="决算发票待审")
    before = snapshot(p, fund)
    assert sel.settlement_blockers(p) and "决算发票待审" in sel.settlement_blockers(p)[0]
    with pytest.raises(DomainError, match="监督暂停：决算发票待审") as exc:
        fs.settlement_record(proposal=p, actor=small.group_members[0], actual_cost="34500.00")
    assert exc.value.code == "settlement_blocked"
    assert snapshot(p, fund) == before and not Settlement.objects.exists()
    ps.hold_lift(hold=hold, actor=small.supervisor, reason="发票齐全")
    settlement = fs.settlement_record(proposal=p, actor=small.group_members[0], actual_cost="34500.00")
    assert settlement.community_savings == D("750.00")
    assert sel.fund_balance(fund) == D("82750.00")


def test_r11_two_holds_both_must_be_lifted(small):
    fund = make_fund(small, "100000.00")
    p = drive_to_approved(small)
    fs.budget_approve(proposal=p, reviewer=small.street_staff)
    contribute(small, p, "18000.00")
    first = ps.hold_place(proposal=p, supervisor=small.supervisor, reason="一")
    ps.hold_place(proposal=p, supervisor=small.supervisor, reason="二")
    ps.hold_lift(hold=first, actor=small.supervisor, reason="已核实")
    blockers = sel.release_blockers(p)
    assert len(blockers) == 1 and "二" in blockers[0]
    with pytest.raises(DomainError):
        fs.funds_release(proposal=p, actor=small.street_staff)
    assert sel.fund_reserved(fund) == D("18000.00")
