"""The whole story of a proposal, done in the browser by the people who do it (issue 4).

A resident drafts a proposal with three budget lines and submits it; the group
council adopts it (3 of 5); a member publishes the notice; a resident objects and
a member answers; the clock moves past the 7-day notice; a member submits it to
the community; community staff open the ballot; 25 of the 37 community-council
members approve (R7) and the live tally shows it passed; street-office staff
approve the budget and, once the group council has recorded the self-raised
money, release it; a visitor reads the whole history on the public page.

A second run ends REJECTED with 24 approvals. The world (people, seats, a fund
with money in it) is set up directly; every step of the story is a click.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from funding import services as funding_services
from funding.selectors import current_year
from proposals.enums import ProposalStatus as S
from proposals.models import Ballot, Proposal
from tests.factories import PASSWORD, build_world, to_submitted

from .helpers import log_in, wait_htmx_idle

TITLE = "北苑后门、消防通道和围墙整治"
LINES = [
    ("后门维修", "1", "项", "12000"),
    ("消防通道整治", "1", "项", "16000"),
    ("围墙防盗刺", "100", "米", "80"),
]


def _proposal_id(page) -> int:
    match = re.search(r"/proposals/(\d+)/", page.url)
    assert match, page.url
    return int(match.group(1))


def _ballot_id(page) -> int:
    match = re.search(r"/ballots/(\d+)/", page.url)
    assert match, page.url
    return int(match.group(1))


def tally(page):
    """The live tally while the ballot is open, the result once it has closed."""
    return page.get_by_role("region", name=re.compile(r"^(实时计票|表决结果)$"))


def notice_section(page):
    return page.get_by_role("region", name="公示与异议")


def _fill_line(page, n: int, item, quantity, unit, price) -> None:
    row = page.get_by_role("group", name=f"第 {n} 项", exact=True)
    expect(row).to_be_visible()
    row.get_by_label("项目").fill(item)
    row.get_by_label("数量").fill(quantity)
    row.get_by_label("单位").fill(unit)
    row.get_by_label("单价").fill(price)


def _vote(page, ballot_id: int, choice: str = "赞成") -> None:
    """On the ballot page: choose, confirm, and see the vote recorded (final)."""
    panel = page.get_by_role("region", name="表决", exact=True)
    panel.get_by_role("link", name=choice, exact=True).click()
    panel.get_by_role("button", name=f"确定投{choice}票").click()
    expect(panel.get_by_text("您已投票")).to_be_visible()
    expect(panel).to_contain_text(choice)
    expect(panel).to_contain_text("投出后不能更改")
    expect(panel.get_by_role("link", name=choice, exact=True)).to_have_count(0)  # final: no second choice


def _member_votes(people, user, ballot_id: int, choice: str = "赞成") -> None:
    """One member on their own phone: log in straight to the ballot, vote, confirm, leave."""
    context = people()
    page = context.new_page()
    log_in(page, user.username, PASSWORD, next_url=f"/ballots/{ballot_id}/")
    _vote(page, ballot_id, choice)
    context.close()


def draft_and_submit(people, world) -> int:
    """The resident drafts the proposal with three lines (added in place), saves it, then submits it."""
    resident = world.author
    page = people().new_page()
    log_in(page, resident.username, PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="提出议案").click()
    expect(page.get_by_role("heading", name="提出议案", level=1)).to_be_visible()

    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("内容").fill("后门锁坏了一年，消防通道被杂物堵住，围墙有人翻越。修后门、清通道、装防盗刺。")
    page.get_by_label("类别").select_option(label="安全与消防")
    _fill_line(page, 1, *LINES[0])
    for n, line in enumerate(LINES[1:], start=2):
        page.get_by_role("button", name="添加一项").click()
        _fill_line(page, n, *line)
    # A fourth line added by mistake is removed in place again.
    page.get_by_role("button", name="添加一项").click()
    expect(page.get_by_role("group", name="第 4 项", exact=True)).to_be_visible()
    page.get_by_role("button", name="删除第 4 项").click()
    expect(page.get_by_role("group", name="第 4 项", exact=True)).to_have_count(0)
    expect(page.get_by_role("group", name="第 3 项", exact=True).get_by_label("项目")).to_have_value("围墙防盗刺")

    totals = page.locator("#budget-totals")
    # More than half from the community fund: the cap is explained at once (R3).
    page.get_by_label("申请公服资金（元）").fill("20000")
    expect(totals).to_contain_text("36,000.00")
    expect(totals.get_by_role("alert")).to_be_visible()
    expect(totals).to_contain_text(re.compile(r"最多\s*18,000\.00\s*元"))  # the most the fund may pay
    page.get_by_label("申请公服资金（元）").fill("18000")
    expect(totals.get_by_role("alert")).to_have_count(0)
    expect(totals).to_contain_text(re.compile(r"申请公服资金\s*18,000\.00\s*元\s*居民自筹\s*18,000\.00\s*元"))
    wait_htmx_idle(page)

    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存")).to_be_visible()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.locator(".page-header")).to_contain_text("草稿")
    pk = _proposal_id(page)
    proposal = Proposal.objects.get(pk=pk)
    assert proposal.total == Decimal("36000.00") and proposal.lines.count() == 3

    page.get_by_role("button", name="提交小组议事会").click()
    expect(page.locator(".page-header")).to_contain_text("小组议事中")
    return pk


def group_adopts(people, world, pk: int):
    """The chair opens the group ballot from the review queue; 3 of 5 approve; the chair closes it.

    Returns the chair's page (the chair stays logged in for the later steps).
    """
    chair = world.group_members[0]
    page = people().new_page()
    log_in(page, chair.username, PASSWORD)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="小组审议").click()
    page.get_by_role("link", name=TITLE).first.click()
    expect(page).to_have_url(re.compile(rf"/proposals/{pk}/"))
    page.get_by_text("发起小组表决").click()
    expect(page.get_by_label("表决截止时间")).not_to_have_value("")
    page.get_by_role("button", name="开始表决").click()
    expect(page.get_by_text("小组表决已开始")).to_be_visible()
    ballot_id = _ballot_id(page)
    expect(tally(page)).to_contain_text("通过需要 3 票，共 5 名成员")
    _vote(page, ballot_id)

    for member in world.group_members[1:3]:
        _member_votes(people, member, ballot_id)

    page.reload()
    board = tally(page)
    expect(board).to_contain_text("已有 3 票赞成，通过需要 3 票")
    expect(board).to_contain_text("赞成票已达到通过所需票数")
    page.get_by_role("button", name="结束表决并确定结果").click()
    expect(page.get_by_text("表决已结束，结果已确定")).to_be_visible()
    expect(tally(page).get_by_text("通过", exact=True)).to_be_visible()
    page.get_by_role("link", name="查看议案全部信息").click()
    expect(page.locator(".page-header")).to_contain_text("已形成决议")
    expect(page.get_by_role("heading", name="决议（第 1 号）")).to_be_visible()
    return page


def notice_objection_answer(people, world, chair_page, pk: int) -> None:
    """The chair publishes the notice; a neighbour objects; the chair dismisses it with a reason (R5)."""
    chair_page.get_by_role("button", name="发布公示").click()
    expect(chair_page.get_by_text("决议已公示")).to_be_visible()
    expect(chair_page.locator(".page-header")).to_contain_text("公示中")
    chair_page.get_by_role("link", name="打印公示海报").click()
    expect(chair_page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    # The QR code's accessible name is the address it encodes.
    qr_code = chair_page.get_by_role("img", name=re.compile(rf"proposals\W{pk}\W"))
    expect(qr_code).to_be_visible()
    expect(chair_page.get_by_role("button", name="打印（A4）")).to_be_visible()
    chair_page.go_back()

    neighbour = world.residents[1]
    page = people().new_page()
    log_in(page, neighbour.username, PASSWORD, next_url=f"/proposals/{pk}/")
    expect(notice_section(page)).to_contain_text("公示中，还剩")
    page.get_by_label("异议内容").fill("防盗刺太尖，小孩在墙边玩容易受伤，建议换成防攀爬网。")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_text("异议已提交")).to_be_visible()
    expect(notice_section(page)).to_contain_text("防盗刺太尖")
    expect(notice_section(page)).to_contain_text("等待小组议事会答复")
    page.context.close()

    chair_page.reload()
    objection = notice_section(chair_page).get_by_role("listitem").filter(has_text="防盗刺太尖")
    objection.get_by_label("不予采纳").check()
    objection.get_by_label("答复内容").fill("防盗刺装在 2.2 米以上，小孩够不着；墙边另设提示牌。")
    objection.get_by_role("button", name="提交答复").click()
    expect(chair_page.get_by_text("已答复异议")).to_be_visible()
    expect(notice_section(chair_page)).to_contain_text("不予采纳")
    # Still running: the submission to the community is refused until the 7 days are over (R6).
    expect(chair_page.get_by_role("button", name="提交社区议事会")).to_be_disabled()


def community_vote(people, world, chair_page, pk: int, approvals: int) -> tuple[int, object]:
    """The chair submits to the community; staff open the ballot; ``approvals`` members approve.

    Returns (ballot id, the staff member's page on the ballot).
    """
    chair_page.reload()
    expect(notice_section(chair_page)).to_contain_text("公示期已满")
    chair_page.get_by_role("button", name="提交社区议事会").click()
    expect(chair_page.get_by_text("已提交社区议事会")).to_be_visible()
    expect(chair_page.locator(".page-header")).to_contain_text("已提交社区")

    staff_page = people().new_page()
    log_in(staff_page, world.staff.username, PASSWORD)
    staff_page.get_by_role("navigation", name="主导航").get_by_role("link", name="社区工作").click()
    card = staff_page.get_by_role("article").filter(has_text=TITLE)
    expect(card.get_by_label("表决截止时间")).not_to_have_value("")
    card.get_by_role("button", name="发起社区表决").click()
    expect(staff_page.get_by_text("已发起社区表决")).to_be_visible()
    staff_page.get_by_role("region", name="进行中的社区表决").get_by_role("link", name=TITLE).click()
    staff_page.get_by_role("link", name="进入表决页面").click()
    ballot_id = _ballot_id(staff_page)
    expect(tally(staff_page)).to_contain_text("已有 0 票赞成，通过需要 25 票，共 37 名成员")
    # Off the ballot page while the members vote (its tally polls the server every 5 s).
    staff_page.get_by_role("navigation", name="主导航").get_by_role("link", name="社区工作").click()

    members = world.community_members
    # The first member finds the ballot the way anyone would: 我的 -> 我的表决 -> the proposal.
    first = people().new_page()
    log_in(first, members[0].username, PASSWORD)
    first.get_by_role("navigation", name="主导航").get_by_role("link", name="我的表决").click()
    first.get_by_role("link", name=TITLE).click()
    expect(first).to_have_url(re.compile(rf"/ballots/{ballot_id}/"))
    _vote(first, ballot_id)
    first.context.close()
    for member in members[1:approvals - 1]:
        _member_votes(people, member, ballot_id)
    # Staff watch the ballot page while the last member votes: the vote shows up there without a reload.
    staff_page.goto(f"/ballots/{ballot_id}/")
    expect(tally(staff_page)).to_contain_text(f"已有 {approvals - 1} 票赞成")
    _member_votes(people, members[approvals - 1], ballot_id)
    return ballot_id, staff_page


def budget_and_release(people, world, chair_page, pk: int) -> None:
    """Street staff approve the budget; release is refused until the self-raised money is in (R8-R10)."""
    street = people().new_page()
    log_in(street, world.street_staff.username, PASSWORD)
    street.get_by_role("navigation", name="主导航").get_by_role("link", name="预算审核").click()
    card = street.get_by_role("article").filter(has=street.get_by_role("heading", name=TITLE))
    expect(card).to_contain_text("300,000.00")  # the fund's available amount beside the request
    expect(card.get_by_label("核定公服资金（元）")).to_have_value(re.compile(r"^18,?000(\.00)?$"))
    card.get_by_role("button", name="核准并预留").click()
    expect(street.get_by_text(f"已核准预算：{TITLE}")).to_be_visible()

    waiting = street.get_by_role("article").filter(has=street.get_by_role("heading", name=TITLE))
    expect(waiting).to_contain_text("还差 18,000.00 元")
    # The button cannot be pressed yet, and says why beside it (before any click).
    expect(waiting.get_by_role("button", name="拨付公服资金")).to_be_disabled()
    expect(waiting).to_contain_text("现在还不能拨付")
    expect(waiting).to_contain_text("居民自筹还差 18,000.00 元")
    assert Proposal.objects.get(pk=pk).status == S.FUNDED

    # The group council records the residents' money, receipt by receipt (R9).
    chair_page.reload()
    chair_page.get_by_role("link", name=re.compile("登记资金")).click()
    expect(chair_page.get_by_role("heading", name=re.compile("项目资金"), level=1)).to_be_visible()
    for payer, amount, receipt in (("1栋全体住户", "10000", "BY-001"), ("2栋全体住户", "8000", "BY-002")):
        form = chair_page.get_by_role("heading", name="登记一笔自筹资金").locator("xpath=ancestor::form")
        form.get_by_label(re.compile(r"^缴款人\s*\*?$")).fill(payer)
        form.get_by_label("金额（元）").fill(amount)
        form.get_by_label("收据编号").fill(receipt)
        expect(form.get_by_label("缴款日期")).not_to_have_value("")
        form.get_by_role("button", name="登记").click()
        expect(chair_page.get_by_text("已登记自筹资金")).to_be_visible()
    expect(chair_page.get_by_role("region", name="资金概况")).to_contain_text("18,000.00 / 18,000.00")

    street.reload()
    waiting = street.get_by_role("article").filter(has=street.get_by_role("heading", name=TITLE))
    expect(waiting).not_to_contain_text("还差")
    waiting.get_by_role("button", name="拨付公服资金").click()
    expect(street.get_by_text(f"已拨付公服资金：{TITLE}")).to_be_visible()
    assert Proposal.objects.get(pk=pk).status == S.RELEASED


def visitor_reads_the_history(people, world, pk: int) -> None:
    """Anyone, not logged in, reads the whole story on the public page, without anyone's personal data."""
    page = people().new_page()
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="公示与项目").click()
    page.get_by_role("link", name=TITLE).first.click()
    expect(page).to_have_url(re.compile(rf"/proposals/{pk}/$"))
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.locator(".page-header")).to_contain_text("资金已拨付")
    budget = page.get_by_role("region", name="预算")
    for item, *_rest in LINES:
        expect(budget).to_contain_text(item)
    expect(budget).to_contain_text("36,000.00")
    expect(page.get_by_role("heading", name="决议（第 1 号）")).to_be_visible()
    notice = notice_section(page)
    expect(notice).to_contain_text("公示期已满")
    expect(notice).to_contain_text("防盗刺太尖")
    expect(notice).to_contain_text("不予采纳")
    expect(notice).to_contain_text("2.2 米以上")
    ballots = page.get_by_role("region", name="表决", exact=True)
    expect(ballots).to_contain_text("赞成 3，反对 0，弃权 0，应参加表决 5 人")
    expect(ballots).to_contain_text("赞成 25，反对 0，弃权 0，应参加表决 37 人")
    money = page.get_by_role("region", name="资金", exact=True)
    expect(money).to_contain_text("已拨付公服资金")
    expect(money).to_contain_text("18,000.00")
    # The timeline is folded under the stage stepper; a reader opens it.
    stage = page.get_by_role("region", name="进展")
    expect(stage.locator('[aria-current="step"]')).to_contain_text("实施")
    stage.locator("summary", has_text="时间线").click()
    timeline = stage.locator("ol.timeline")
    for step in ("起草议案", "提交小组议事", "形成决议", "发布公示", "提出异议", "答复异议", "提交社区议事会",
                 "社区表决通过", "预算审核通过", "登记自筹资金", "拨付资金"):
        expect(timeline).to_contain_text(step)
    expect(page.locator(".page-header")).not_to_contain_text("未公开")
    # No personal data in public: not who objected, not who paid.
    body = page.locator("main")
    expect(body).not_to_contain_text(world.residents[1].full_name)
    expect(body).not_to_contain_text("1栋全体住户")
    expect(body).not_to_contain_text(world.author.full_name)
    expect(page.get_by_role("button", name="拨付公服资金")).to_have_count(0)


@pytest.mark.browser
def test_story_proposal_from_draft_to_released_in_the_browser(people, watch):
    world = build_world()
    pk = draft_and_submit(people, world)
    chair_page = group_adopts(people, world, pk)
    notice_objection_answer(people, world, chair_page, pk)

    # A week and a day later (the live server runs in this process, so it sees the same clock).
    with time_machine.travel(timezone.now() + timedelta(days=8, hours=1), tick=True):
        fund = funding_services.fund_create(community=world.community, year=current_year(),
                                            actor=world.street_staff)
        funding_services.fund_allocate(fund=fund, actor=world.street_staff, amount=Decimal("300000.00"),
                                       source="区财政")

        ballot_id, staff_page = community_vote(people, world, chair_page, pk, approvals=25)
        board = tally(staff_page)
        # No reload: the tally polls every 5 s (htmx).
        expect(board).to_contain_text("已有 25 票赞成，通过需要 25 票，共 37 名成员", timeout=15000)
        expect(board).to_contain_text("赞成票已达到通过所需票数")
        staff_page.get_by_role("button", name="结束表决并确定结果").click()
        expect(staff_page.get_by_text("表决已结束，结果已确定")).to_be_visible()
        expect(tally(staff_page).get_by_text("通过", exact=True)).to_be_visible()
        roll = tally(staff_page).get_by_role("table")  # the named roll-call
        first_voter = staff_page.get_by_role("cell", name=world.community_members[0].full_name, exact=True)
        expect(roll.get_by_role("row").filter(has=first_voter)).to_contain_text("赞成")
        expect(roll.get_by_role("row").filter(has_text="未投票")).to_have_count(12)
        assert Ballot.objects.get(pk=ballot_id).approve_count == 25
        assert Proposal.objects.get(pk=pk).status == S.APPROVED

        budget_and_release(people, world, chair_page, pk)
        visitor_reads_the_history(people, world, pk)
    watch.assert_clean()


@pytest.mark.browser
def test_story_24_of_37_approve_ends_rejected(people, watch):
    """R7 at its boundary: 24 approvals of 37 fall short of two thirds; the ballot ends REJECTED."""
    world = build_world()
    proposal = to_submitted(world, title=TITLE)  # drafted, adopted and noticed through the services
    pk = proposal.pk

    staff_page = people().new_page()
    log_in(staff_page, world.staff.username, PASSWORD, next_url=f"/proposals/{pk}/")
    staff_page.get_by_role("button", name="开始社区表决").click()
    expect(staff_page.get_by_text("社区表决已开始")).to_be_visible()
    ballot_id = _ballot_id(staff_page)
    closes_at = Ballot.objects.get(pk=ballot_id).closes_at
    staff_page.get_by_role("navigation", name="主导航").get_by_role("link", name="社区工作").click()

    members = world.community_members
    for member in members[:24]:
        _member_votes(people, member, ballot_id)

    staff_page.goto(f"/ballots/{ballot_id}/")
    board = tally(staff_page)
    expect(board).to_contain_text("已有 24 票赞成，通过需要 25 票，共 37 名成员")
    expect(board).to_contain_text("还需要 1 票赞成才能通过")
    # 13 members have not voted yet and could still carry it: staff may not close it early (R7);
    # the button says so before any click.
    close = staff_page.get_by_role("region", name="结束表决")
    expect(close.get_by_role("button", name="结束表决并确定结果")).to_be_disabled()
    expect(close).to_contain_text("现在还不能结束：还有 13 人未投票")
    assert Ballot.objects.get(pk=ballot_id).closed_at is None

    with time_machine.travel(closes_at + timedelta(minutes=5), tick=True):
        # Too late: a member who had not voted finds the ballot over (no vote after closes_at).
        late = people().new_page()
        log_in(late, members[24].username, PASSWORD, next_url=f"/ballots/{ballot_id}/")
        expect(late.get_by_text("表决已经结束，您没有投票。")).to_be_visible()
        late_panel = late.get_by_role("region", name="表决", exact=True)
        expect(late_panel.get_by_role("link", name="赞成")).to_have_count(0)

        staff_page.goto(f"/ballots/{ballot_id}/")  # not reload(): that would send the refused POST again
        expect(tally(staff_page)).to_contain_text("已到截止时间")
        staff_page.get_by_role("button", name="结束表决并确定结果").click()
        expect(staff_page.get_by_text("表决已结束，结果已确定")).to_be_visible()
        expect(tally(staff_page).get_by_text("未通过", exact=True)).to_be_visible()
        assert Proposal.objects.get(pk=pk).status == S.REJECTED

        visitor = people().new_page()
        visitor.goto(f"/proposals/{pk}/")
        expect(visitor.locator(".page-header")).to_contain_text("社区表决未通过")
        expect(visitor.get_by_role("region", name="表决", exact=True)).to_contain_text(
            "赞成 24，反对 0，弃权 0，应参加表决 37 人")
        stage = visitor.get_by_role("region", name="进展")
        expect(stage).to_contain_text("社区表决未通过，议案到此结束。")
        stage.locator("summary", has_text="时间线").click()
        expect(stage.locator("ol.timeline")).to_contain_text("社区表决未通过")
    watch.assert_clean()
