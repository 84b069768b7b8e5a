"""R21 × R19: a micro-grant call on a community foundation draws the money designated for its purpose.

The call's pool may use the money donors gave for the call's category and the
foundation's free money, never another purpose's; the draws are written against
the call's ledger entries, so the fund's given / spent / left per purpose stays
true through awards, refunds and the closing return.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from funding import services as fs
from funding.enums import DonorKind, EntryKind, FundKind
from funding.foundation import free_available, monthly_figures, purpose_left
from funding.ledger import fund_sums
from funding.models import LedgerEntry, PurposeDraw
from funding.selectors import current_year
from grants import services as gs
from grants.models import GrantCall
from tests.funding_support import D, make_fund, old_world
from tests.sanshe_support import apply_in_past, organisation, score_fully
from yishi.errors import DomainError

ELDERLY = ("category", "elderly")
CULTURE = ("category", "culture")


@pytest.fixture
def world(db):
    return old_world(group_seats=3, community_seats=3)


def ten_days_ago():
    return time_machine.travel(timezone.now() - timedelta(days=10), tick=True)


def give(world, fund, amount, purpose=None, name="张秀英"):
    return fs.donation_record(fund=fund, actor=world.staff, donor_kind=DonorKind.RESIDENT, donor_name=name,
                              amount=amount, method="cash", paid_on=timezone.localdate(), purpose=purpose)


@pytest.fixture
def foundation(world):
    """6000 given for the elderly, 3000 for culture, 2000 free: all ten days ago."""
    with ten_days_ago():
        fund = fs.fund_create(community=world.community, year=current_year(), actor=world.street_staff,
                              kind=FundKind.FOUNDATION)
        give(world, fund, "6000.00", "elderly")
        give(world, fund, "3000.00", "culture", name="李文")
        give(world, fund, "2000.00", name="王芳")
    return fund


def open_call(world, fund, pool, purpose=None, cap=None):
    with ten_days_ago():
        return gs.grant_call_open(
            community=world.community, fund=fund, actor=world.staff, title="助老微创投", pool=pool,
            cap=cap or pool, applications_close=timezone.now() + timedelta(days=5),
            ends_on=timezone.localdate() + timedelta(days=60), purpose=purpose,
        )


def state(fund):
    return (LedgerEntry.objects.filter(fund=fund).count(), PurposeDraw.objects.count(), GrantCall.objects.count())


def test_r21_call_for_a_purpose_draws_its_designated_money_first(world, foundation):
    call = open_call(world, foundation, "7000.00", purpose="elderly")
    lefts = purpose_left(foundation)
    assert lefts[ELDERLY] == {"given": D("6000.00"), "spent": D("6000.00"), "left": D("0.00")}
    assert lefts[CULTURE]["left"] == D("3000.00")  # another purpose's money is untouched
    assert free_available(foundation) == D("1000.00")  # 7000 = 6000 designated + 1000 free
    draw = PurposeDraw.objects.get()
    assert draw.entry_id == call.reservation_entry_id and draw.proposal_id is None
    assert (draw.purpose_category, draw.amount) == ("elderly", D("6000.00"))
    assert "6,000.00" in call.reservation_entry.memo or "6000.00" in call.reservation_entry.memo
    assert call.purpose_category == "elderly"


def test_r21_call_refused_when_its_purpose_and_free_money_are_short(world, foundation):
    before = state(foundation)
    with pytest.raises(DomainError) as refused:
        open_call(world, foundation, "8500.00", purpose="elderly")  # 6000 designated + 2000 free = 8000
    message = str(refused.value)
    assert "8,000.00" in message or "8000.00" in message
    assert "文体活动" in message  # the culture money is named as not usable here
    assert state(foundation) == before


def test_r21_call_for_another_purpose_cannot_use_designated_money(world, foundation):
    before = state(foundation)
    with pytest.raises(DomainError) as refused:
        open_call(world, foundation, "3000.00", purpose="greening")  # only 2000 free money fits
    assert "为老服务" in str(refused.value) and "文体活动" in str(refused.value)
    assert state(foundation) == before
    with pytest.raises(DomainError):
        open_call(world, foundation, "2000.01")  # no purpose: free money only
    assert state(foundation) == before
    open_call(world, foundation, "2000.00")  # exactly the free money
    assert not PurposeDraw.objects.exists()
    assert purpose_left(foundation)[ELDERLY]["left"] == D("6000.00")


def test_r21_unknown_purpose_is_refused_with_a_sentence(world, foundation):
    with pytest.raises(DomainError, match="资助方向"):
        open_call(world, foundation, "100.00", purpose="moon")
    assert not GrantCall.objects.exists()


def test_r21_purpose_on_an_ordinary_fund_draws_nothing(world):
    with ten_days_ago():
        fund = make_fund(world, "5000.00")
    call = open_call(world, fund, "5000.00", purpose="elderly")
    assert call.purpose_category == "elderly" and not PurposeDraw.objects.exists()


def test_r21_designated_money_spent_is_what_grantees_spent(world, foundation):
    """Pool 7000 (6000 designated + 1000 free); one award of 3000, 1000 spent: the elderly money used is 1000."""
    call = open_call(world, foundation, "7000.00", purpose="elderly", cap="3000.00")
    org = organisation(world)
    application = apply_in_past(call, days_ago=8, actor=org.admin, title="长者午餐", plan="每周三次送餐",
                                amount="3000.00", matched="1500.00", organisation=org)
    score_fully(world, application)
    award = gs.grant_award(application=application, actor=world.staff, amount="3000.00")
    assert award.first_tranche == D("2100.00")
    assert purpose_left(foundation)[ELDERLY]["spent"] == D("6000.00")  # still held by the call
    gs.grant_report(award=award, actor=org.admin, people_served=40, spent="1000.00", report="送餐 120 份")
    award = gs.grant_report_accept(award=award, actor=world.staff)
    # 1100 came back: the call now holds or has spent 5900, so 100 designated money is back.
    assert award.refund_entry.kind == EntryKind.GRANT_REFUND
    assert purpose_left(foundation)[ELDERLY]["spent"] == D("5900.00")
    assert PurposeDraw.objects.filter(entry=award.refund_entry).get().amount == D("-100.00")
    call = gs.grant_call_close(call=call, actor=world.staff)
    lefts = purpose_left(foundation)
    assert lefts[ELDERLY] == {"given": D("6000.00"), "spent": D("1000.00"), "left": D("5000.00")}
    assert lefts[CULTURE] == {"given": D("3000.00"), "spent": D("0.00"), "left": D("3000.00")}
    balance, reserved = fund_sums(foundation)
    assert (balance, reserved) == (D("10000.00"), D("0.00"))
    assert free_available(foundation) == D("2000.00")  # the free money is whole again
    give_backs = PurposeDraw.objects.filter(entry=call.return_entry)
    assert [d.amount for d in give_backs] == [D("-4900.00")]


def test_r21_designated_money_a_call_holds_cannot_be_reversed(world, foundation):
    from funding.models import Donation

    open_call(world, foundation, "6000.00", purpose="elderly")
    elderly = Donation.objects.get(purpose_category="elderly")
    with pytest.raises(DomainError, match="已有项目使用了这笔钱"):
        fs.donation_reverse(donation=elderly, actor=world.staff, reason="登记错了")
    elderly.refresh_from_db()
    assert elderly.reversed_at is None


def test_r21_monthly_accounts_with_grants_add_up_to_the_fen(world, foundation):
    call = open_call(world, foundation, "3000.00", purpose="culture", cap="3000.00")
    org = organisation(world)
    application = apply_in_past(call, days_ago=8, actor=org.admin, title="社区合唱", plan="每周排练",
                                amount="2000.00", matched="800.00", organisation=org)
    score_fully(world, application)
    gs.grant_award(application=application, actor=world.staff, amount="2000.00")
    figures = monthly_figures(foundation, timezone.localdate().replace(day=1))
    total = (Decimal(figures["opening"]) + Decimal(figures["income_total"]) - Decimal(figures["spending_total"])
             + Decimal(figures["corrections"]))
    assert total == Decimal(figures["closing"])
    grants_row = [row for row in figures["spending"] if row["proposal"] is None]
    assert grants_row and grants_row[0]["amount"] == "1400.00"
