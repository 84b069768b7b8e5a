"""How funding plugs into proposals: the share-cap lookup, the transition hook, the ledger chain."""

from fractions import Fraction

import pytest

from funding import selectors as sel
from funding import services as fs
from funding.enums import EntryKind
from funding.ledger import verify_fund_chains
from funding.models import LedgerEntry, Refund
from funding.services import on_proposal_transition
from proposals import hooks
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from tests.funding_support import (
    D,
    contribute,
    drive_to_approved,
    drive_to_notice,
    make_fund,
    old_world,
)
from yishi.chain import CHAINS


@pytest.fixture
def small(db):
    return old_world(group_seats=3, community_seats=3)


def test_funding_registers_its_hooks_and_chain():
    assert on_proposal_transition in hooks._transition_hooks
    assert CHAINS["fund_ledger"] is verify_fund_chains


def test_funding_share_cap_is_this_years_public_service_fund(small):
    assert hooks.share_cap(small.community) == Fraction(1, 2)  # no fund yet: the default
    make_fund(small, "0", share_cap_percent="33.33")
    assert hooks.share_cap(small.community) == Fraction(3333, 10000)


def test_funding_withdrawal_before_budget_review_moves_no_money(small):
    fund = make_fund(small, "50000.00")
    p = drive_to_notice(small)
    contribute(small, p, "600.00", households=2)
    ps.proposal_withdraw(proposal=p, actor=small.author, reason="邻居不同意")
    assert list(fund.entries.values_list("kind", flat=True)) == [EntryKind.ALLOCATION]
    assert sel.fund_available(fund) == D("50000.00")
    # Residents who already paid are owed their money back.
    assert sorted(r.amount for r in Refund.objects.all()) == [D("300.00"), D("300.00")]


def test_funding_budget_return_leaves_the_fund_untouched(small):
    fund = make_fund(small, "50000.00")
    p = drive_to_approved(small)
    fs.budget_return(proposal=p, reviewer=small.street_staff, reason="请补充施工方案")
    assert not LedgerEntry.objects.filter(proposal=p).exists()
    assert sel.fund_available(fund) == D("50000.00")
    p.refresh_from_db()
    assert p.status == S.GROUP_REVIEW
