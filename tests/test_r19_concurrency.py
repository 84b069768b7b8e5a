"""R19 under real concurrency: awards never sum above the pool (the call row lock)."""

import pytest

from funding import selectors as fsel
from funding.enums import EntryKind
from funding.ledger import verify_fund_chains
from funding.models import LedgerEntry
from grants import services as gs
from grants.models import GrantApplication, GrantAward
from tests.sanshe_support import (
    D,
    make_fund,
    old_world,
    open_call,
    org_application,
    organisation,
    score_fully,
)
from tests.test_r15_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_r19_fifteen_concurrent_awards_sum_exactly_to_the_pool(postgres):
    world = old_world(community_seats=3)
    fund = make_fund(world, "100000.00")
    call = open_call(world, fund, pool="30000.00", cap="3000.00")
    applications = []
    for n in range(15):
        org = organisation(world, f"组织{n + 1}")
        application = org_application(world, call, org, amount="3000.00")
        score_fully(world, application)
        applications.append(application)

    def award(n):
        gs.grant_award(application=GrantApplication.objects.get(pk=applications[n].pk), actor=world.staff,
                       amount="3000.00")
        return "ok"

    results = run_at_once(15, award)
    assert results.count("ok") == 10, results
    assert results.count("pool_exhausted") == 5, results
    assert gs.awarded_sum(call) == D("30000.00")
    assert GrantAward.objects.filter(call=call).count() == 10
    assert LedgerEntry.objects.filter(fund=fund, kind=EntryKind.GRANT_PAYMENT).count() == 10
    # 70 % of 30 000 paid; the rest still reserved for the second tranches.
    assert fsel.fund_balance(fund) == D("79000.00") and fsel.fund_reserved(fund) == D("9000.00")
    assert [bad for _f, _c, bad, _w in verify_fund_chains([fund])] == [None]
