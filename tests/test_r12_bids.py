"""R12 procurement: at least 3 bids, a panel with a supervisor, a reason for any but the lowest,
no contract above the approved total."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from funding import services as fs
from funding.models import Bid
from proposals.enums import ProposalStatus as S
from tests.factories import UserFactory
from tests.funding_support import (
    D,
    drive_to_approved,
    drive_to_released,
    make_fund,
    old_world,
    record_bids,
)
from yishi.errors import DomainError, InvalidTransition, PermissionDenied


@pytest.fixture
def small(db):
    return old_world(group_seats=3, community_seats=3)


@pytest.fixture
def released(small):
    p, _fund = drive_to_released(small)
    return small, p


def panel(world):
    return [world.group_members[0], world.group_members[1], world.supervisor]


def test_r12_fewer_than_three_bids_refused(released):
    world, p = released
    bids = record_bids(world, p, ("35200.00", "34800.00"))
    with pytest.raises(DomainError, match="至少需要 3 家报价，目前只有 2 家") as exc:
        fs.bid_select(bid=bids[1], actor=world.group_members[0], panel=panel(world))
    assert exc.value.code == "too_few_bids"
    p.refresh_from_db()
    assert p.status == S.RELEASED and not Bid.objects.filter(selected_at__isnull=False).exists()


def test_r12_same_contractor_twice_refused(released):
    world, p = released
    record_bids(world, p, ("35200.00",))
    with pytest.raises(DomainError, match="已经登记过"):
        record_bids(world, p, ("30000.00",))


def test_r12_lowest_bid_needs_no_reason(released):
    world, p = released
    bids = record_bids(world, p)
    chosen = fs.bid_select(bid=bids[1], actor=world.group_members[0], panel=panel(world))
    p.refresh_from_db()
    assert p.status == S.IN_PROGRESS
    assert chosen.selected_by == world.group_members[0] and set(chosen.panel.all()) == set(panel(world))
    event = p.events.get(kind="bid_selected")
    assert event.amounts == {"contract": "34800.00", "lowest": "34800.00", "approved_total": "36000.00"}
    assert event.data["contractor"] == chosen.contractor and event.data["bids"] == 3


def test_r12_non_lowest_without_reason_refused(released):
    world, p = released
    bids = record_bids(world, p)
    with pytest.raises(DomainError, match="不是最低价") as exc:
        fs.bid_select(bid=bids[0], actor=world.group_members[0], panel=panel(world), reason="  ")
    assert exc.value.code == "reason_required" and "34,800.00" in str(exc.value)
    p.refresh_from_db()
    assert p.status == S.RELEASED
    chosen = fs.bid_select(bid=bids[0], actor=world.group_members[0], panel=panel(world),
                           reason="乙公司无消防通道施工资质")
    assert chosen.selection_reason == "乙公司无消防通道施工资质"
    assert p.events.get(kind="bid_selected").reason == "乙公司无消防通道施工资质"


def test_r12_tied_lowest_needs_no_reason(released):
    world, p = released
    bids = record_bids(world, p, ("34800.00", "34800.00", "35900.00"))
    fs.bid_select(bid=bids[1], actor=world.group_members[0], panel=panel(world))


def test_r12_contract_over_the_approved_total_refused(released):
    world, p = released
    bids = record_bids(world, p, ("36000.01", "36500.00", "37000.00"))
    with pytest.raises(DomainError, match="超过核定总预算 36,000.00 元") as exc:
        fs.bid_select(bid=bids[0], actor=world.group_members[0], panel=panel(world))
    assert exc.value.code == "over_total"
    p.refresh_from_db()
    assert p.status == S.RELEASED


def test_r12_contract_equal_to_the_total_is_allowed(released):
    world, p = released
    bids = record_bids(world, p, ("36000.00", "36500.00", "37000.00"))
    assert fs.bid_select(bid=bids[0], actor=world.group_members[0], panel=panel(world)).amount == D("36000.00")


def test_r12_panel_without_a_supervisor_refused(released):
    world, p = released
    bids = record_bids(world, p)
    with pytest.raises(DomainError, match="必须有监督人员") as exc:
        fs.bid_select(bid=bids[1], actor=world.group_members[0], panel=world.group_members[:3])
    assert exc.value.code == "panel"
    with pytest.raises(DomainError, match="比选小组成员"):
        fs.bid_select(bid=bids[1], actor=world.group_members[0], panel=[])


def test_r12_panel_of_outsiders_refused(released):
    world, p = released
    bids = record_bids(world, p)
    stranger = UserFactory(full_name="路人甲")
    with pytest.raises(DomainError, match="路人甲 不是"):
        fs.bid_select(bid=bids[1], actor=world.group_members[0], panel=[world.supervisor, stranger])


def test_r12_selection_needs_release_first(small):
    make_fund(small, "100000.00")
    p = drive_to_approved(small)
    bids = record_bids(small, p)  # bids may be gathered after the community's approval
    with pytest.raises(InvalidTransition, match="资金拨付后才能确定"):
        fs.bid_select(bid=bids[1], actor=small.group_members[0], panel=panel(small))


def test_r12_bids_only_by_group_council_members(released):
    world, p = released
    with pytest.raises(PermissionDenied):
        fs.bid_record(proposal=p, actor=world.staff, contractor="x", amount="1.00")
    bids = record_bids(world, p)
    with pytest.raises(PermissionDenied):
        fs.bid_select(bid=bids[1], actor=world.supervisor, panel=panel(world))


def test_r12_one_selected_bid_in_the_database(released):
    world, p = released
    bids = record_bids(world, p)
    fs.bid_select(bid=bids[1], actor=world.group_members[0], panel=panel(world))
    with pytest.raises(IntegrityError), transaction.atomic():
        Bid.objects.filter(pk=bids[0].pk).update(selected_at=timezone.now())
