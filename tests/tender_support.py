"""Helpers for the open-tender tests (R24): a released proposal, eligible bidders, the clock moved past the close."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from funding import services as fs
from tests.funding_support import D, drive_to_released, old_world  # noqa: F401 — re-exported
from tests.sanshe_support import organisation

# Valid unified social credit codes (GB 32100-2015 check characters).
COMPANY_CODES = ["91510100MA6CXXXX0A", "91510107MA61ABCD10", "91350100M000100Y43"]
AMOUNTS = ("35200.00", "34800.00", "35900.00")
NAMES = ("成都锦城建设有限公司", "北苑邻里互助社", "晋阳物业服务中心")


def company(world, name=NAMES[0], code=COMPANY_CODES[0]):
    """A registered company: an enterprise with a valid credit code (it may bid while still registered)."""
    return organisation(world, name, kind="enterprise", credit_code=code, active=False)


def bidders(world):
    """Three eligible bidders: one company and two ACTIVE organisations."""
    return [company(world), organisation(world, NAMES[1]), organisation(world, NAMES[2])]


def publish(world, proposal, *, hours=48, voting_days=3):
    return fs.tender_publish(
        actor=world.group_members[0], closes_at=timezone.now() + timedelta(hours=hours), voting_days=voting_days,
        requirements="后门、消防通道和围墙防盗刺，工期 30 天，材料达到国家标准。", proposal=proposal,
    )


def bid_all(tender, orgs, amounts=AMOUNTS):
    return [
        fs.tender_bid(tender=tender, organisation=o, actor=o.admin, amount=a, plan=f"{o.name}的施工方案：分三段施工。")
        for o, a in zip(orgs, amounts, strict=True)
    ]


def after_close(tender, minutes=60):
    return time_machine.travel(tender.closes_at + timedelta(minutes=minutes), tick=False)


def after_voting(tender, minutes=60):
    return time_machine.travel(tender.votes_close_at + timedelta(minutes=minutes), tick=False)


def tendered(world):
    """(proposal, tender, organisations, bids): a released proposal with three sealed platform bids."""
    p, _fund = drive_to_released(world)
    tender = publish(world, p)
    orgs = bidders(world)
    return p, tender, orgs, bid_all(tender, orgs)
