"""Issue 10 in the browser, on a 360 px phone: the dashboard's pending items are links one taps to
do the work, and people at work are not told to get verified as residents."""

import re

import pytest
from playwright.sync_api import expect

from contextlib import contextmanager

from funding.enums import FundKind
from funding.models import Fund
from portal.demo import BACK_GATE_TITLE, DEMO_PASSWORD, seed_demo
from proposals.models import Proposal

from .helpers import log_in, no_horizontal_overflow, overflowing_elements, wait_htmx_idle

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


@contextmanager
def translation_en(page, english: bool):
    """Switch the page to English for the block (English with large text is the widest header)."""
    if english:
        page.goto("/me/")
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    yield


def _large_text(page):
    """Turn on the header's large-text switch (kept for the next pages)."""
    button = page.get_by_role("button", name=re.compile("大字"))
    if button.get_attribute("aria-pressed") != "true":
        button.click()
        expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))


def _fits(page) -> list[str]:
    """Problems at this width: sideways scrolling, or an amount cut off at the right edge."""
    problems = []
    if not no_horizontal_overflow(page):
        problems.append("scrolls sideways: " + ", ".join(overflowing_elements(page)))
    cut = page.evaluate(
        """() => [...document.querySelectorAll('main td.num, main tfoot td')]
                 .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
                               || el.scrollWidth > el.clientWidth + 1)
                 .map(el => el.textContent.trim()).slice(0, 5)"""
    )
    if cut:
        problems.append(f"amounts cut off: {cut}")
    return problems


@pytest.mark.browser
def test_money_tables_are_cards_on_a_360px_phone_with_large_text(demo, people, watch):
    back_gate = Proposal.objects.get(title=BACK_GATE_TITLE)
    fund = Fund.objects.filter(community__name="晋阳社区", kind=FundKind.PUBLIC_SERVICE).order_by("-year").first()
    pages = {
        "resident": [f"/proposals/{back_gate.pk}/", "/group/"],  # budget table, my group
        "councillor": ["/ballots/"],  # my ballots
        "streetstaff": ["/street/funds/", f"/street/funds/{fund.pk}/"],  # funds, fund ledger
    }
    problems = []
    for role, urls in pages.items():
        page = people(viewport=PHONE_NARROW).new_page()
        log_in(page, role, DEMO_PASSWORD)
        _large_text(page)
        for url in urls:
            page.goto(url)
            wait_htmx_idle(page)
            assert page.locator("main table.cards").count() >= 1, url
            # Below 480 px the header row of a card table is hidden and each row is a card.
            assert page.locator("main table.cards thead").first.bounding_box()["height"] <= 1.5, url
            problems += [f"{role} {url}: {p}" for p in _fits(page)]
    assert not problems, "\n".join(problems)
    watch.assert_clean()


@pytest.mark.browser
def test_navigation_is_one_bottom_tab_bar_on_a_phone_and_more_holds_the_rest(demo, people, watch):
    for role, work in [("resident", "我的小组"), ("councillor", "我的表决"), ("streetstaff", "预算审核"),
                       ("supervisor", "监督"), ("communitystaff", "社区工作")]:
        page = people(viewport=PHONE_NARROW).new_page()
        log_in(page, role, DEMO_PASSWORD)
        _large_text(page)
        with translation_en(page, role == "supervisor"):
            page.goto("/me/")
            tabs = page.get_by_role("navigation", name=re.compile("常用|Main places"))
            expect(tabs).to_be_visible()
            links = tabs.get_by_role("link")
            assert 4 <= links.count() <= 5, role
            boxes = [links.nth(i).bounding_box() for i in range(links.count())]
            assert len({round(b["y"]) for b in boxes}) == 1, f"{role}: tabs wrap to more than one row"
            assert all(b["x"] >= 0 and b["x"] + b["width"] <= 361 for b in boxes), role
            assert tabs.locator("svg").count() == links.count()  # an icon on every tab
            expect(page.get_by_role("navigation", name=re.compile("主导航|Main navigation"))).to_be_hidden()
            header = page.locator("header.site-header").bounding_box()
            assert header["height"] <= 110, f"{role}: the header takes {header['height']} px"
            assert not _fits(page), role
        if role != "supervisor":
            expect(tabs.get_by_role("link", name=work)).to_be_visible()
            tabs.get_by_role("link", name="更多").click()
            expect(page).to_have_url(re.compile(r"/more/$"))
            expect(page.locator("main")).to_contain_text("通知")
            expect(page.locator("main").get_by_role("button", name="退出")).to_be_visible()
    watch.assert_clean()


@pytest.mark.browser
def test_proposal_page_shows_the_stage_stepper_with_who_acts_next(demo, people, watch):
    in_notice = Proposal.objects.get(title="北苑中庭绿化补植")
    page = people(viewport=PHONE_NARROW).new_page()
    page.goto(f"/proposals/{in_notice.pk}/")
    stepper = page.get_by_role("region", name="进展")
    expect(stepper.locator('[aria-current="step"]')).to_contain_text("公示")
    assert stepper.locator(".step-done").count() == 2  # draft and group deliberation are behind it
    expect(stepper).to_contain_text("本小组居民")
    expect(stepper).to_contain_text("下一步")
    expect(stepper.locator(".stage-next time")).to_have_count(1)  # by when: the end of the notice
    timeline = stepper.locator("details.timeline-fold")
    expect(timeline.locator("ol.timeline")).to_be_hidden()  # folded
    timeline.locator("summary").click()
    expect(timeline.locator("ol.timeline")).to_be_visible()
    assert not _fits(page)
    watch.assert_clean()
