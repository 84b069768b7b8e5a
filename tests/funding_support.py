"""Helpers for the funding tests: a funded fund and proposals driven to APPROVED through the public API.

The proposal's early life runs ten days in the past (``time_machine``), so by
"now" its notice has run its full seven days and the community ballot and
every money step happen at the real present, as they would in life.
"""

from datetime import timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from funding import services as fs
from funding.models import LedgerEntry
from funding.selectors import current_year, fund_sums
from proposals import services as ps
from proposals.enums import ProposalStatus as S
from proposals.models import ProposalEvent
from tests.factories import BACK_GATE_LINES, build_world


def old_world(**kwargs):
    """``build_world`` a month ago, so memberships already hold when the proposal starts ten days ago."""
    with time_machine.travel(timezone.now() - timedelta(days=30), tick=False):
        return build_world(**kwargs)


def D(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def make_fund(world, amount="300000.00", **kwargs):
    fund = fs.fund_create(community=world.community, year=current_year(), actor=world.street_staff, **kwargs)
    if Decimal(str(amount)) > 0:
        fs.fund_allocate(fund=fund, actor=world.street_staff, amount=amount, source="区财政")
    return fund


def drive_to_notice(world, *, lines=BACK_GATE_LINES, share="18000", category=None, title="北苑后门维修"):
    """Create, adopt and publish a proposal ten days ago; returns it in NOTICE (notice already over by now)."""
    chair = world.group_members[0]
    majority = len(world.group_members) // 2 + 1
    with time_machine.travel(timezone.now() - timedelta(days=10), tick=True):
        p = ps.proposal_create(
            author=world.author, group=world.group, title=title, summary="修后门、消防通道和围墙防盗刺",
            lines=lines, community_share=share, category=category,
        )
        ps.proposal_submit(proposal=p, actor=world.author)
        ballot = ps.group_ballot_open(proposal=p, actor=chair, closes_at=timezone.now() + timedelta(days=2))
        for member in world.group_members[:majority]:
            ps.vote_cast(ballot=ballot, voter=member, choice="approve")
        ps.ballot_close(ballot=ballot, actor=chair)
        ps.notice_publish(proposal=p, actor=chair)
    p.refresh_from_db()
    assert p.status == S.NOTICE
    return p


def drive_to_approved(world, p=None, **kwargs):
    """From NOTICE (or from scratch) through the community ballot to APPROVED."""
    if p is None:
        p = drive_to_notice(world, **kwargs)
    chair = world.group_members[0]
    ps.proposal_submit_to_community(proposal=p, actor=chair)
    ballot = ps.community_ballot_open(proposal=p, actor=world.staff, closes_at=timezone.now() + timedelta(days=3))
    members = world.community_members
    needed = -(-2 * len(members) // 3)
    for member in members[:needed]:
        ps.vote_cast(ballot=ballot, voter=member, choice="approve")
    ps.ballot_close(ballot=ballot, actor=world.staff)
    p.refresh_from_db()
    assert p.status == S.APPROVED
    return p


def contribute(world, p, total, *, households=None, prefix="R"):
    """Record ``total`` yuan as equal household contributions (the last one takes the remainder)."""
    total = D(total)
    households = households or 1
    each = (total / households).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    out = []
    for n in range(households):
        amount = each if n < households - 1 else total - each * (households - 1)
        out.append(
            fs.contribution_record(
                proposal=p, actor=world.group_members[1], payer=f"北苑 {n + 1} 户", amount=amount,
                receipt_no=f"{prefix}{n + 1:04d}", paid_on=timezone.localdate(),
            )
        )
    return out


def record_bids(world, p, amounts=("35200.00", "34800.00", "35900.00")):
    names = ["成都甲建筑工程公司", "成都乙市政工程公司", "成都丙装饰工程公司", "成都丁工程公司"]
    return [
        fs.bid_record(proposal=p, actor=world.group_members[0], contractor=names[n], amount=a, notes="含材料和人工")
        for n, a in enumerate(amounts)
    ]


def snapshot(p, fund):
    """What must not change when a step is refused."""
    p.refresh_from_db()
    balance, reserved = fund_sums(fund)
    return {
        "status": p.status,
        "entries": LedgerEntry.objects.count(),
        "events": ProposalEvent.objects.filter(proposal=p).count(),
        "balance": balance,
        "reserved": reserved,
    }


def drive_to_released(world, *, fund_amount="100000.00", households=3, **kwargs):
    """Fund, approve, raise the self-raised share and release; returns (proposal, fund)."""
    from funding.selectors import fund_for

    fund = fund_for(world.community) or make_fund(world, fund_amount)
    p = drive_to_approved(world, **kwargs)
    review = fs.budget_approve(proposal=p, reviewer=world.street_staff)
    contribute(world, p, review.self_raised_share, households=households, prefix=f"P{p.pk}-")
    fs.funds_release(proposal=p, actor=world.street_staff)
    p.refresh_from_db()
    assert p.status == S.RELEASED
    return p, fund


def drive_to_accepted(world, **kwargs):
    p, fund = drive_to_released(world, **kwargs)
    bids = record_bids(world, p)
    lowest = min(bids, key=lambda b: b.amount)
    fs.bid_select(bid=lowest, actor=world.group_members[0], panel=[world.group_members[0], world.supervisor])
    fs.acceptance_record(proposal=p, actor=world.group_members[0], passed=True, satisfaction="satisfied",
                         notes="合格")
    p.refresh_from_db()
    assert p.status == S.ACCEPTED
    return p, fund
