"""The community foundation in the browser (R21): a visitor reads the public page and a month's accounts;
community staff record a donation through the form and get the receipt. Screenshots of all three."""

import pytest
from playwright.sync_api import expect

from funding.enums import FundKind
from funding.models import Fund, MonthlyAccount
from portal.demo import DEMO_PASSWORD, seed_demo

from .helpers import log_in, no_horizontal_overflow, screenshot_both, wait_htmx_idle

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(transactional_db):
    return seed_demo()


def test_r21_foundation_page_receipt_and_monthly_accounts(demo, people, watch):
    fund = Fund.objects.get(community__name="晋阳社区", kind=FundKind.FOUNDATION)
    account = MonthlyAccount.objects.filter(fund=fund).order_by("-month").first()
    assert account is not None

    visitor = people().new_page()
    visitor.goto("/foundations/")
    visitor.get_by_role("link", name=str(fund)).click()
    main = visitor.locator("main")
    expect(main).to_contain_text("如何捐赠")
    expect(main).to_contain_text("四川晋阳商贸有限公司")  # consented
    expect(main).not_to_contain_text("王建国")  # did not
    expect(main).to_contain_text("南苑老年活动室适老化改造")  # paid for
    screenshot_both(visitor, "foundation-public")
    visitor.get_by_role("link", name=f"{account.month.year} 年 {account.month.month} 月").click()
    expect(visitor.locator("main")).to_contain_text(account.chain_head)
    wait_htmx_idle(visitor)
    screenshot_both(visitor, "foundation-monthly-accounts")

    staff = people().new_page()
    log_in(staff, "communitystaff", DEMO_PASSWORD)
    staff.goto(f"/foundations/{fund.pk}/")
    staff.get_by_role("link", name="登记和管理捐赠").click()
    form = staff.locator("form", has=staff.get_by_role("button", name="登记并打印收据"))
    form.get_by_label("捐赠人类型").select_option("enterprise")
    form.get_by_label("捐赠人姓名或名称").fill("成都晋阳建材有限公司")
    form.get_by_label("金额（元）").fill("10000.50")
    form.get_by_label("捐赠方式").select_option("transfer")
    form.get_by_label("捐赠人同意公开姓名").check()
    form.get_by_role("button", name="登记并打印收据").click()
    receipt = staff.locator("main")
    expect(receipt).to_contain_text("壹万元伍角")
    expect(receipt).to_contain_text("成都晋阳建材有限公司")
    expect(staff.locator("main svg.qr")).to_be_visible()
    screenshot_both(staff, "donation-receipt")
    staff.set_viewport_size({"width": 360, "height": 780})
    assert no_horizontal_overflow(staff)
    watch.assert_clean()
