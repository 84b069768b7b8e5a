"""R24 under real concurrency: one resident clicking "vote" ten times at once leaves one vote;
ten organisations' admins clicking "bid" twice each at once leave one bid per organisation."""

import pytest

from funding import services as fs
from funding.models import BidderVote, TenderBid
from funding.tenders import tender_close
from tests.funding_support import old_world
from tests.tender_support import after_close, bid_all, bidders, drive_to_released, publish
from tests.test_r15_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_r24_ten_concurrent_clicks_of_one_resident_give_one_vote(postgres):
    world = old_world(group_seats=3, community_seats=3)
    p, _fund = drive_to_released(world)
    tender = publish(world, p)
    bids = bid_all(tender, bidders(world))
    resident = world.residents[0]
    with after_close(tender):
        tender_close(tender=tender)

        def vote(n):
            fs.bidder_vote(tender=tender, resident=resident, bid=bids[n % 3])
            return "ok"

        results = run_at_once(10, vote)
    assert results.count("ok") == 1, results
    assert results.count("duplicate") == 9, results
    assert BidderVote.objects.filter(tender=tender, resident=resident).count() == 1


def test_r24_concurrent_double_bids_give_one_bid_per_organisation(postgres):
    world = old_world(group_seats=3, community_seats=3)
    p, _fund = drive_to_released(world)
    tender = publish(world, p)
    orgs = bidders(world)

    def bid(n):
        org = orgs[n % 3]
        fs.tender_bid(tender=tender, organisation=org, actor=org.admin, amount=f"{30000 + n}", plan="方案")
        return "ok"

    results = run_at_once(6, bid)
    assert results.count("ok") == 3, results
    assert results.count("duplicate") == 3, results
    assert TenderBid.objects.filter(tender=tender).count() == 3
