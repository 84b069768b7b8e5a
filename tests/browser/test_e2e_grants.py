"""A micro-grant from call to report, in the browser by the people who do it (issue 11): staff open
the call, an organisation applies, the panel scores, staff award (70 % paid), the organisation
reports, staff accept (the rest paid). Phone-width screenshots at 360 px with the larger text on;
the supervisors' conflicts page, where a staff member who belongs to the organisation is flagged."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from grants.enums import AwardStatus
from grants.models import GrantAward, GrantCall
from organisations.enums import MemberRole
from organisations.models import ConflictFlag, OrganisationMember
from tests.factories import PASSWORD
from tests.sanshe_support import make_fund, old_world, organisation

from .helpers import SCREENSHOTS, log_in, no_horizontal_overflow

NARROW = {"width": 360, "height": 780}


def shot(page, name):
    """A full-page screenshot at 360 px with the larger text switched on."""
    page.set_viewport_size(NARROW)
    page.wait_for_timeout(150)
    assert no_horizontal_overflow(page), name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-360.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000


def larger_text(page):
    button = page.get_by_role("button", name=re.compile("大字"))
    if button.get_attribute("aria-pressed") == "false":
        button.click()
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))


@pytest.mark.browser
def test_story_micro_grant_from_call_to_report(people, watch):
    world = old_world(community_seats=3)
    make_fund(world, "100000.00")
    org = organisation(world, "亲子厨房妈妈团")
    # The staff member also volunteers with the organisation: the award is flagged for supervisors.
    OrganisationMember.objects.create(organisation=org, user=world.staff, role=MemberRole.MEMBER)
    closes = timezone.localtime() + timedelta(minutes=10)

    # Staff open a call on the micro-grant page.
    staff = people(viewport=NARROW).new_page()
    log_in(staff, world.staff.username, PASSWORD, next_url="/micro-grants/")
    larger_text(staff)
    staff.get_by_text(re.compile("发布微创投")).click()
    staff.get_by_label("名称").fill("玉东公益微创投")
    staff.get_by_label("资金池（元）").fill("30000")
    staff.get_by_label("单个项目上限（元）").fill("3000")
    staff.get_by_label("申请截止").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    staff.get_by_label("项目结束日期").fill((timezone.localdate() + timedelta(days=90)).isoformat())
    staff.get_by_role("button", name="发布并预留资金池").click()
    expect(staff.get_by_text("微创投已发布")).to_be_visible()
    call = GrantCall.objects.get()
    call_url = f"/micro-grants/{call.pk}/"

    # The organisation applies, with what it brings.
    applicant = people(viewport=NARROW).new_page()
    log_in(applicant, org.admin.username, PASSWORD, next_url=call_url)
    larger_text(applicant)
    applicant.get_by_text("申请这次微创投").click()
    applicant.get_by_label("申请组织").select_option(label="亲子厨房妈妈团")
    applicant.get_by_label("项目名称").fill("周末亲子厨房")
    applicant.get_by_label("项目计划").fill("每周六上午，妈妈们带孩子学做一道家常菜，分给院里的独居老人。")
    applicant.get_by_label("申请金额（元）").fill("3000")
    applicant.get_by_label("自筹现金（元）").fill("800")
    applicant.get_by_label("志愿服务折算（元）").fill("1200")
    applicant.get_by_role("button", name="提交申请").click()
    expect(applicant.get_by_text("申请已提交")).to_be_visible()

    with time_machine.travel(closes + timedelta(minutes=1), tick=True):
        # The panel scores after applications close: a councillor, the supervisor, the staff member
        # (who, belonging to the organisation, is refused with a reason).
        for reviewer, score in ((world.community_members[0], "85"), (world.community_members[1], "80"),
                                (world.supervisor, "90")):
            page = people(viewport=NARROW).new_page()
            log_in(page, reviewer.username, PASSWORD, next_url=call_url)
            page.get_by_label("分数（0–100）").fill(score)
            page.get_by_role("button", name="打分").click()
            expect(page.get_by_text("已打分")).to_be_visible()
        staff.goto(call_url)
        staff.get_by_label("分数（0–100）").fill("99")
        staff.get_by_role("button", name="打分").click()
        expect(staff.get_by_text(re.compile("不能评审本组织的申请"))).to_be_visible()

        # Staff award: the page warns of the conflict first; 70 % is paid at once.
        staff.goto(call_url)
        expect(staff.get_by_text(re.compile("利益冲突提示：您是亲子厨房妈妈团的成员"))).to_be_visible()
        shot(staff, "grant-award")
        staff.get_by_label("资助金额（元）").fill("3000")
        staff.get_by_role("button", name="确定资助").click()
        expect(staff.get_by_text(re.compile("首笔 70% 已拨付"))).to_be_visible()
        award = GrantAward.objects.get()
        assert award.first_tranche == 2100

        # The organisation reports what it did and spent.
        applicant.goto(call_url)
        applicant.get_by_label("服务人次").fill("96")
        applicant.get_by_label("实际支出（元）").fill("2900")
        applicant.get_by_label("项目报告").fill("12 次活动，96 人次；为 8 位独居老人送菜。")
        applicant.get_by_role("button", name="提交报告").click()
        expect(applicant.get_by_text("报告已提交")).to_be_visible()
        shot(applicant, "grant-report")

        # Staff accept: the rest up to what was spent is paid.
        staff.goto(call_url)
        staff.get_by_role("button", name="验收并结算尾款").click()
        expect(staff.get_by_text("报告已验收，尾款已按实际支出结算。")).to_be_visible()
        award.refresh_from_db()
        assert award.status == AwardStatus.ACCEPTED and award.spent == 2900
        expect(staff.get_by_text("周末亲子厨房")).to_be_visible()
        shot(staff, "grant-accepted")

        # The supervisor sees both decisions flagged.
        supervisor = people(viewport=NARROW).new_page()
        log_in(supervisor, world.supervisor.username, PASSWORD, next_url="/supervision/conflicts/")
        larger_text(supervisor)
        expect(supervisor.get_by_text(re.compile("是亲子厨房妈妈团的成员"))).to_have_count(2)
        shot(supervisor, "supervision-conflicts")
    assert ConflictFlag.objects.count() == 2
    watch.assert_clean()
