"""Issue 10 in the browser, on a 360 px phone: the dashboard's pending items are links one taps to
do the work, and people at work are not told to get verified as residents."""

import re

import pytest
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD, seed_demo

from .helpers import log_in, wait_htmx_idle

PHONE_NARROW = {"width": 360, "height": 780}


@pytest.fixture
def demo(transactional_db):
    return seed_demo()


@pytest.mark.browser
def test_dashboard_items_are_links_to_where_the_work_is_done(demo, people, watch):
    page = people(viewport=PHONE_NARROW).new_page()
    log_in(page, "councillor", DEMO_PASSWORD)
    page.goto("/me/")
    waiting = page.get_by_role("region", name="等我表决")
    expect(waiting).to_contain_text("南苑单元门禁维修")
    waiting.get_by_role("link", name="南苑单元门禁维修").click()
    expect(page).to_have_url(re.compile(r"/ballots/\d+/$"))
    wait_htmx_idle(page)
    expect(page.locator("main")).to_contain_text("实时计票")
    expect(page.locator("#vote-panel").get_by_role("link", name="赞成")).to_be_visible()

    # People at work see their work, not advice meant for residents.
    for role, work, target in [
        ("communitystaff", "待发起社区表决", r"/staff/$"),
        ("streetstaff", "待审核预算", r"/street/reviews/#h-pending$"),
        ("supervisor", "未解除的暂停", r"/supervision/\?hold=open$"),
    ]:
        page = people(viewport=PHONE_NARROW).new_page()
        log_in(page, role, DEMO_PASSWORD)
        page.goto("/me/")
        main = page.locator("main")
        expect(main).not_to_contain_text("您还不是已核实的居民")
        main.locator("dt", has_text=work).locator("xpath=following-sibling::dd[1]").get_by_role("link").click()
        expect(page).to_have_url(re.compile(target))
        assert page.locator("main h1").count() == 1
    watch.assert_clean()
