"""The key pages on the narrowest phone we serve (360 px), with normal and with large text (issue 10).

Each page is shot twice, full page: ``<name>-360.png`` and ``<name>-360-large.png`` (the header's
large-text switch on). They land in var/screenshots/; ``YISHI_UPDATE_SCREENSHOTS=1`` writes the
README's docs/screenshots/ instead. Each page must fit: no sideways scrolling, and no text cut off
by a box too narrow for it.
"""

import re

import pytest
from playwright.sync_api import expect

from funding.enums import FundKind
from funding.models import Fund
from portal.demo import BACK_GATE_TITLE, DEMO_PASSWORD, seed_demo
from proposals.models import Ballot, Proposal

from .helpers import SCREENSHOTS, log_in, no_horizontal_overflow, overflowing_elements, wait_htmx_idle

PHONE_NARROW = {"width": 360, "height": 780}

# Text that does not fit its box and is hidden by it (overflow hidden or clip), or that sticks
# out past the right edge of the screen. Visually hidden helpers (1 px boxes) are not text to read.
CLIPPED = """() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (typeof el.checkVisibility === 'function' && !el.checkVisibility()) continue;
    if (el.closest('svg')) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 2 || r.height <= 2) continue;
    const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim()).join('');
    if (!text) continue;
    const s = getComputedStyle(el);
    const hides = ['hidden', 'clip'].includes(s.overflowX);
    if ((hides && el.scrollWidth > el.clientWidth + 1) || r.right > window.innerWidth + 1) {
      out.push(el.tagName.toLowerCase() + ' "' + text.slice(0, 30) + '" right=' + Math.round(r.right));
    }
  }
  return out.slice(0, 8);
}"""


@pytest.fixture
def demo(transactional_db):
    return seed_demo()


def _switch_large_text(page, on: bool) -> None:
    """The header's switch, as a person uses it (it is kept for the next pages)."""
    html = page.locator("html")
    is_on = "large-text" in (html.get_attribute("class") or "")
    if is_on != on:
        page.get_by_role("button", name=re.compile("大字")).click()
        if on:
            expect(html).to_have_class(re.compile(r"\blarge-text\b"))
        else:
            expect(html).not_to_have_class(re.compile(r"\blarge-text\b"))


def _shoot(page, path) -> None:
    """The whole page as a phone as tall as the page shows it: the bottom tab bar (fixed to the
    screen's bottom) stays at the bottom instead of over the middle of a full-page capture."""
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": PHONE_NARROW["width"], "height": max(height, PHONE_NARROW["height"])})
    page.wait_for_timeout(100)
    page.screenshot(path=str(path))
    page.set_viewport_size(PHONE_NARROW)


@pytest.mark.browser
def test_key_pages_fit_a_360px_phone_with_normal_and_large_text(demo, people, watch):
    back_gate = Proposal.objects.get(title=BACK_GATE_TITLE)
    draft = Proposal.objects.get(title="3栋楼道加装扶手")
    voting = Ballot.objects.get(proposal__title="南苑单元门禁维修", closed_at__isnull=True)
    fund = Fund.objects.filter(community__name="晋阳社区", kind=FundKind.PUBLIC_SERVICE).order_by("-year").first()
    shots = {  # role: [(name, url, text on the page)]
        None: [("home", "/", "议事"), ("proposal-public", f"/proposals/{back_gate.pk}/", "时间线")],
        "resident": [("dashboard", "/me/", "您好"), ("proposal-form", f"/proposals/{draft.pk}/edit/", "预算明细"),
                     ("inbox", "/inbox/", "通知")],
        "groupchair": [("review-queue", "/group/review/", "小组审议")],
        "councillor": [("ballot", f"/ballots/{voting.pk}/", "实时计票")],
        "communitystaff": [("staff-home", "/staff/", "工作台")],
        "streetstaff": [("budget-review-queue", "/street/reviews/", "预算审核"),
                        ("fund", f"/street/funds/{fund.pk}/", fund.community.name)],
        "supervisor": [("supervision", "/supervision/", "监督")],
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems, written = [], []
    for role, pages in shots.items():
        page = people(viewport=PHONE_NARROW).new_page()
        if role:
            log_in(page, role, DEMO_PASSWORD)
        for large in (False, True):
            page.goto(pages[0][1])
            _switch_large_text(page, large)
            for name, url, text in pages:
                assert page.goto(url).status == 200, url
                wait_htmx_idle(page)
                expect(page.locator("main")).to_contain_text(text)
                path = SCREENSHOTS / f"{name}-360{'-large' if large else ''}.png"
                _shoot(page, path)
                assert path.stat().st_size > 5000, f"{path} looks empty"
                written.append(path)
                where = f"{name} ({url}, {'large' if large else 'normal'} text)"
                if not no_horizontal_overflow(page):
                    problems.append(f"{where} scrolls sideways: {', '.join(overflowing_elements(page))}")
                clipped = page.evaluate(CLIPPED)
                if clipped:
                    problems.append(f"{where} cuts text off: {clipped}")
    assert len(written) == 2 * sum(len(p) for p in shots.values())
    assert problems == [], "at 360 px:\n" + "\n".join(problems)
    watch.assert_clean()
