"""An open tender from publishing to the panel's choice, in the browser (R24), with 360 px screenshots.

The group council publishes; a company finds it in the tender hall on a phone and bids (sealed:
nobody else sees the amount); after the close a resident in large-text mode votes on the big,
simple ballot; after the voting days the panel chooses with the votes beside the bids.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from funding import services as fs
from funding.models import Bid, BidderVote, Tender, TenderBid
from tests.factories import PASSWORD
from tests.tender_support import COMPANY_CODES, drive_to_released, old_world
from tests.sanshe_support import organisation

from .helpers import PHONE, log_in, no_horizontal_overflow, overflowing_elements

NARROW = {"width": 360, "height": 780}
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(150)
    assert no_horizontal_overflow(page), overflowing_elements(page)
    path = SHOTS / f"{name}-360.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000


@pytest.mark.browser
def test_tender_from_publishing_through_bids_and_votes_to_the_panels_choice(people, watch):
    world = old_world(group_seats=3, community_seats=3)
    proposal, _fund = drive_to_released(world)
    chair = world.group_members[0]
    firm = organisation(world, "成都锦城建设有限公司", kind="enterprise", credit_code=COMPANY_CODES[0], active=False)
    others = [organisation(world, "北苑邻里互助社"), organisation(world, "晋阳物业服务中心")]
    resident = world.residents[0]
    resident.large_text = True
    resident.save(update_fields=["large_text"])

    # The group council publishes the tender from the proposal's money page.
    council = people().new_page()
    log_in(council, chair.username, PASSWORD, next_url=f"/proposals/{proposal.pk}/money/")
    council.get_by_role("link", name=re.compile("公开招标")).click()
    closes = timezone.localtime() + timedelta(days=2)
    council.get_by_label("投标截止时间").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    council.get_by_label("居民投票天数").fill("3")
    council.get_by_label("招标要求").fill("后门、消防通道和围墙防盗刺，工期 30 天。")
    council.get_by_role("button", name="发布招标").click()
    expect(council.get_by_text("招标已发布")).to_be_visible()
    tender = Tender.objects.get()

    # A company finds it in the tender hall on its phone and bids; the bid is sealed.
    company = people(viewport=PHONE).new_page()
    log_in(company, firm.admin.username, PASSWORD, next_url="/tenders/")
    company.get_by_role("link", name=proposal.title).click()
    company.get_by_label("报价（元）").fill("34800")
    company.get_by_label("实施方案").fill("分三段施工，先修消防通道。")
    company.get_by_role("button", name="提交投标").click()
    expect(company.get_by_text("已投标。报价在截止前保密，截止后公开。")).to_be_visible()
    expect(company.get_by_text("您的组织已经投标")).to_be_visible()
    shot(company, "tender-sealed")
    for org, amount in zip(others, ("35200", "35900"), strict=True):
        fs.tender_bid(tender=tender, organisation=org, actor=org.admin, amount=amount, plan="方案")

    # Before the close the council sees how many bids came in, never who or how much.
    council.goto(f"/tenders/{tender.pk}/")
    expect(council.get_by_text("3 家")).to_be_visible()
    expect(council.get_by_text(firm.name)).to_have_count(0)
    expect(council.get_by_text("34,800.00")).to_have_count(0)

    # After the close: a resident in large-text mode votes on the big, simple ballot.
    with time_machine.travel(tender.closes_at + timedelta(hours=1), tick=True):
        voter = people(viewport=PHONE).new_page()
        log_in(voter, resident.username, PASSWORD, next_url=f"/tenders/{tender.pk}/ballot/")
        expect(voter.locator("html")).to_have_class(re.compile("large-text"))
        shot(voter, "tender-ballot")
        voter.get_by_role("link", name=re.compile("晋阳物业服务中心")).click()
        expect(voter.get_by_text("您确定投票给 晋阳物业服务中心 吗")).to_be_visible()
        voter.get_by_role("button", name=re.compile("确定投给")).click()
        expect(voter.get_by_text("已投票，谢谢")).to_be_visible()
        expect(voter.get_by_text("您已投票给")).to_be_visible()
        shot(voter, "tender-voted")
        for other in world.residents[1:]:
            fs.bidder_vote(tender=tender, resident=other, bid=TenderBid.objects.get(organisation=others[1]))
    assert BidderVote.objects.filter(resident=resident).count() == 1

    # After the voting days the panel chooses the most voted (not the lowest): no reason needed.
    with time_machine.travel(tender.votes_close_at + timedelta(hours=1), tick=True):
        council.goto(f"/tenders/{tender.pk}/")
        expect(council.get_by_text("得票最多", exact=True)).to_be_visible()
        expect(council.get_by_role("cell", name="34,800.00")).to_be_visible()
        council.get_by_label(re.compile("晋阳物业服务中心 · 35,900.00")).check()
        council.get_by_label(chair.display_name).check()
        council.get_by_label(world.supervisor.display_name).check()
        council.get_by_role("button", name="确定中标方").click()
        expect(council.get_by_text("已确定中标方。")).to_be_visible()
        shot(council, "tender-selected")
    chosen = Bid.objects.get(selected_at__isnull=False)
    assert chosen.contractor == "晋阳物业服务中心" and chosen.selection_reason == ""
    proposal.refresh_from_db()
    assert proposal.status == "in_progress"
    watch.assert_clean()
