"""Accessibility in the browser (issue 10): axe-core on every page, and the key flows by keyboard.

- axe-core (tests/browser/axe.py) runs on one page of every kind the demo accounts reach (the
  walk of tests/test_pages_words.py), opened as the role that reaches it, at desktop width and
  on a 360 px phone; a serious or critical violation fails the test.
- Keyboard only, on a 360 px phone with large text where a resident would have it: a resident
  logs in and files an objection, a councillor votes, community staff open a ballot. On every
  page of the flow Tab reaches every control in the page's order with a visible focus ring
  (tests/browser/keyboard.py), and the flow completes with Tab, typing and Enter alone.
"""

import re

import pytest
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD, seed_demo
from proposals.models import Ballot, Notice, Objection, Proposal

from .axe import describe, page_list, run_axe
from .helpers import CHROMIUM_ARGS, DESKTOP, TIMEOUT_MS, wait_htmx_idle  # noqa: F401
from .keyboard import tab_to, walk_problems

PHONE_NARROW = {"width": 360, "height": 780}
# Pages that are not ours: django-ninja's Swagger UI for programmers (its markup is the tool's).
NOT_OURS = re.compile(r"^/api/v1/docs")


@pytest.fixture
def demo(transactional_db):
    return seed_demo()


@pytest.fixture
def person(browser, live_server, watch):
    """``person(role, viewport)``: a logged-in page in a context that bypasses the CSP (to inject axe)."""
    contexts = []

    def open_person(role=None, viewport=DESKTOP, *, keyboard_login=False):
        context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", bypass_csp=True)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", watch.attach)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # a confirm() answered with Enter
        if role:
            (log_in_by_keyboard if keyboard_login else log_in_quickly)(page, role)
        return page

    yield open_person
    for context in contexts:
        context.close()


def log_in_quickly(page, role):
    page.goto("/accounts/login/")
    form = page.locator("main form")
    form.get_by_label("用户名").fill(role)
    form.get_by_label("密码").fill(DEMO_PASSWORD)
    form.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def log_in_by_keyboard(page, role):
    page.goto("/accounts/login/")
    assert walk_problems(page, "/accounts/login/") == []
    tab_to(page, "el => el.name === 'username'")
    page.keyboard.type(role)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.name") == "password"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


# --------------------------------------------------------------------------- axe-core


@pytest.mark.browser
def test_axe_finds_no_serious_violation_on_any_page(demo, person, watch):
    pages = [(role, url) for role, url in page_list() if not NOT_OURS.search(url)]
    assert len(pages) > 50  # the walk reached the site
    found, opened = [], {}
    for role, url in pages:
        if role not in opened:
            opened[role] = person(role)
        page = opened[role]
        for size in (DESKTOP, PHONE_NARROW):
            page.set_viewport_size(size)
            response = page.goto(url)
            assert response.status == 200, f"{role}: {url} answered {response.status}"
            wait_htmx_idle(page)
            found += describe(f"{role or 'visitor'} {url} at {size['width']} px", run_axe(page))
    assert found == [], "axe-core, serious and critical:\n" + "\n".join(found)
    watch.assert_clean()


@pytest.mark.browser
def test_axe_check_can_fail(demo, person):
    """The guard of the test above: a button without a name and an image without text are reported."""
    page = person()
    page.goto("/proposals/")
    page.evaluate("""() => {
      const main = document.querySelector('main');
      main.append(document.createElement('button'));
      const img = document.createElement('img'); img.src = '/favicon.ico'; main.append(img);
    }""")
    ids = {v["id"] for v in run_axe(page)}
    assert {"button-name", "image-alt"} <= ids


# --------------------------------------------------------------------------- the keyboard


def _focused(page) -> str:
    return page.evaluate("() => (document.activeElement.innerText || document.activeElement.value || '').trim()")


@pytest.mark.browser
def test_keyboard_only_resident_files_an_objection(demo, person, watch):
    proposal = Proposal.objects.get(title="北苑中庭绿化补植")
    notice = Notice.objects.get(proposal=proposal, voided_at__isnull=True)
    before = Objection.objects.filter(notice=notice).count()
    page = person("resident", PHONE_NARROW, keyboard_login=True)
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-text\b"))  # the demo resident's setting
    page.goto(f"/proposals/{proposal.pk}/")
    assert walk_problems(page, "proposal page") == []
    tab_to(page, "el => el.tagName === 'TEXTAREA' && el.form && el.form.id === 'objection-form'")
    page.keyboard.type("中庭种树会挡住一楼住户的采光，建议改种矮灌木。")
    page.keyboard.press("Tab")
    assert _focused(page) == "提交异议"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("中庭种树会挡住一楼住户的采光")
    assert Objection.objects.filter(notice=notice).count() == before + 1
    watch.assert_clean()


@pytest.mark.browser
def test_keyboard_only_councillor_votes(demo, person, watch):
    ballot = Ballot.objects.get(proposal__title="南苑单元门禁维修", closed_at__isnull=True)
    page = person("councillor", PHONE_NARROW, keyboard_login=True)
    page.goto(f"/ballots/{ballot.pk}/")
    wait_htmx_idle(page)
    assert walk_problems(page, "ballot page") == []
    tab_to(page, "el => el.closest('#vote-panel') && el.innerText.trim() === '赞成'")
    page.keyboard.press("Enter")
    wait_htmx_idle(page)
    expect(page.locator("#vote-panel")).to_contain_text("确定投赞成票")
    # The confirmation takes the focus where the choice was: the next Tab is inside it.
    assert page.evaluate("() => !!document.activeElement.closest('#vote-panel')"), "focus left the vote panel"
    assert walk_problems(page, "confirmation") == []
    tab_to(page, "el => el.closest('#vote-panel') && el.type === 'submit'")
    assert "确定投赞成票" in _focused(page)
    page.keyboard.press("Enter")
    wait_htmx_idle(page)
    expect(page.locator("#vote-panel")).to_contain_text("您已投票")
    assert ballot.votes.filter(voter__username="councillor").exists()
    watch.assert_clean()


@pytest.mark.browser
def test_keyboard_only_staff_open_a_community_ballot(demo, person, watch):
    proposal = Proposal.objects.get(title="南苑楼道声控灯改造")
    page = person("communitystaff", DESKTOP, keyboard_login=True)
    page.goto("/staff/")
    assert walk_problems(page, "staff home") == []
    tab_to(page, f"el => el.name === 'closes_at' && el.id === 'id_p{proposal.pk}_closes_at'")
    # Tab moves through the date's parts (year, month, day, hour, minute), then on to the button.
    tab_to(page, "el => el.type === 'submit' && el.closest('form').querySelector(\"[name=closes_at]\") === "
                 f"document.getElementById('id_p{proposal.pk}_closes_at')")
    assert _focused(page) == "发起社区表决"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("已发起社区表决")
    assert Ballot.objects.filter(proposal=proposal, kind="community", closed_at__isnull=True).exists()
    assert walk_problems(page, "staff home after") == []
    watch.assert_clean()
