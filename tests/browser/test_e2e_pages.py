"""The demo world in the browser: screenshots of the key pages, and every page as every role.

``portal.demo.seed_demo`` builds the world through the services (proposals in
every state, funds, ballots, notices); the tests then only read pages.

- Screenshots of each key page at phone (390x844) and desktop (1366x900) width
  go to docs/screenshots/<name>-phone.png and -desktop.png (full page).
- Every page reachable from the header and the pages' own links is opened as
  each role: it must answer 200, fit a 360 px phone without sideways scrolling
  where checked, and log no console error, no uncaught exception and no CSP
  violation.
"""

import re
from collections import defaultdict
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import expect

from funding.enums import FundKind
from funding.models import Fund
from portal.demo import BACK_GATE_TITLE, DEMO_PASSWORD, seed_demo
from proposals.models import Ballot, Proposal

from .helpers import log_in, no_horizontal_overflow, overflowing_elements, screenshot_both, wait_htmx_idle

PHONE_NARROW = {"width": 360, "height": 780}


@pytest.fixture
def demo(transactional_db):
    return seed_demo()


def _open(page, url: str) -> int:
    response = page.goto(url)
    wait_htmx_idle(page)
    return response.status if response else 0


# --------------------------------------------------------------------------- screenshots


@pytest.mark.browser
def test_screenshots_of_key_pages_at_phone_and_desktop_width(demo, people, watch):
    back_gate = Proposal.objects.get(title=BACK_GATE_TITLE)
    in_notice = Proposal.objects.get(title="北苑中庭绿化补植")
    draft = Proposal.objects.get(title="3栋楼道加装扶手")
    voting = Ballot.objects.get(proposal__title="南苑单元门禁维修", closed_at__isnull=True)
    fund = Fund.objects.filter(community__name="晋阳社区", kind=FundKind.PUBLIC_SERVICE).order_by("-year").first()
    assert fund is not None

    shots = []  # (name, role, url, what must be on it)
    shots += [
        ("home", None, "/", "议事"),
        ("login", None, "/accounts/login/", "登录"),
        ("proposal-public", None, f"/proposals/{back_gate.pk}/", "时间线"),
        ("notice-poster", None, f"/proposals/{in_notice.pk}/poster/", "扫码查看议案与异议"),
        ("proposal-form", "resident", f"/proposals/{draft.pk}/edit/", "预算明细"),
        ("dashboard", "resident", "/me/", "您好"),
        ("inbox", "resident", "/inbox/", "通知"),
        ("review-queue", "groupchair", "/group/review/", "小组审议"),
        ("ballot", "councillor", f"/ballots/{voting.pk}/", "实时计票"),
        ("budget-review-queue", "streetstaff", "/street/reviews/", "预算审核"),
        ("fund", "streetstaff", f"/street/funds/{fund.pk}/", fund.community.name),
        ("supervision", "supervisor", "/supervision/", "监督"),
    ]
    pages = {}
    overflowing = []
    for name, role, url, text in shots:
        if role not in pages:
            page = people().new_page()
            if role:
                log_in(page, role, DEMO_PASSWORD)
            pages[role] = page
        page = pages[role]
        assert _open(page, url) == 200, f"{name}: {url}"
        expect(page.locator("main")).to_contain_text(text)
        screenshot_both(page, name)
        page.set_viewport_size(PHONE_NARROW)
        if not no_horizontal_overflow(page):
            overflowing.append(f"{name} ({url}): {', '.join(overflowing_elements(page))}")
        page.set_viewport_size({"width": 1366, "height": 900})
    assert not overflowing, "wider than a 360 px phone:\n" + "\n".join(overflowing)
    watch.assert_clean()


# --------------------------------------------------------------------------- every page as every role

# One person per role of docs/domain.md "Who uses it" (None: a visitor), plus a resident of another street.
ROLES = [None, "resident", "groupchair", "councillor", "communitystaff", "streetstaff", "supervisor",
         "discipline", "yudong_resident", "admin"]
# Pages not to follow: downloads, the admin (visited on its own), language and log-out forms.
SKIP = re.compile(r"^/(admin/|i18n/|static/)|\.(xlsx|csv|svg|png)$")
# How many pages of one kind each role opens (the rest of the kind render the same template branch).
PER_KIND = defaultdict(lambda: 1, {
    "/proposals/{n}/": 14,  # every state of a proposal shows different actions
    "/ballots/{n}/": 3,
    "/proposals/{n}/money/": 4,
    "/supervision/proposals/{n}/": 3,
})
MAX_PAGES = 60
# Pages no link leads to (yet) are opened directly.
EXTRA_START = {"groupchair": ["/council/meetings/"]}


def _kind(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/{n}", path)


def _links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    found = []
    for href in hrefs:
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        url = urljoin(page.url, href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _crawl(page, origin: str, start: list[str]) -> tuple[list, list]:
    """Open pages breadth-first from ``start``; returns (visited, failures)."""
    queue = list(start)
    seen_urls, per_kind = set(), defaultdict(int)
    visited, failures = [], []
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        path = url.split("?")[0]
        kind = _kind(path)
        if url in seen_urls or per_kind[kind] >= PER_KIND[kind]:
            continue
        seen_urls.add(url)
        per_kind[kind] += 1
        status = _open(page, url)
        visited.append(url)
        if status != 200:
            failures.append(f"{url} answered {status}")
            continue
        queue.extend(u for u in _links(page, origin) if u not in seen_urls)
    return visited, failures


def _refusals(page, role, watch) -> list[str]:
    """A refusal reads as a sentence on a normal page (403 with the reason, 404 outside one's scope)."""
    wanted = {
        # role: (url, status, sentence on the page)
        "resident": ("/street/reviews/", 403, "街道办"),
        "yudong_resident": (f"/proposals/{Proposal.objects.get(title='3栋楼道加装扶手').pk}/", 404, "找不到这个页面"),
    }
    if role not in wanted:
        return []
    url, status, sentence = wanted[role]
    watch.allowed_statuses = {status}
    try:
        got = _open(page, url)
        expect(page.locator("main")).to_contain_text(sentence)
    finally:
        watch.allowed_statuses = set()
    return [] if got == status else [f"{role}: {url} answered {got}, not {status}"]


@pytest.mark.browser
def test_every_page_as_every_role_has_no_console_errors_or_csp_violations(demo, people, watch, live_server):
    origin = live_server.url
    report = {}
    failures = []
    for role in ROLES:
        page = people().new_page()
        start = ["/", "/proposals/"]
        if role:
            log_in(page, role, DEMO_PASSWORD)
            start = ["/me/", *start, "/inbox/", "/inbox/settings/", "/accounts/password/",
                     *EXTRA_START.get(role, [])]
        else:
            start.append("/accounts/login/")
        visited, failed = _crawl(page, origin, start)
        report[role or "visitor"] = visited
        failures += [f"{role or 'visitor'}: {f}" for f in failed]
        failures += _refusals(page, role, watch)
        if role == "admin":
            for url in ("/admin/", "/admin/proposals/proposal/"):
                status = _open(page, url)
                if status != 200:
                    failures.append(f"admin: {url} answered {status}")
        page.context.close()

    # Sanity: each role really reached its own pages.
    expect_reached = {
        "visitor": "/proposals/{n}/poster/",
        "resident": "/proposals/new/",
        "groupchair": "/group/review/",
        "councillor": "/ballots/{n}/",
        "communitystaff": "/staff/",
        "streetstaff": "/street/reviews/",
        "supervisor": "/supervision/",
        "discipline": "/supervision/",
    }
    for role, kind in expect_reached.items():
        kinds = {_kind(u.split("?")[0]) for u in report[role]}
        assert kind in kinds, f"{role} never reached {kind}; visited {sorted(kinds)}"
    assert not failures, "pages that did not answer 200:\n" + "\n".join(failures)
    watch.assert_clean()
    assert sum(len(v) for v in report.values()) > 100


@pytest.mark.browser
def test_language_switch_and_larger_text_work_without_errors(people, watch):
    """The header's two switches: English and back, larger text on and off (kept for the next page)."""
    page = people().new_page()
    page.goto("/proposals/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-hans")
    page.get_by_role("button", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/proposals/$"))  # back on the same page
    page.get_by_role("button", name="中文").click()
    expect(html).to_have_attribute("lang", "zh-hans")

    larger = page.get_by_role("button", name=re.compile("大字"))
    expect(larger).to_have_attribute("aria-pressed", "false")
    larger.click()
    expect(html).to_have_class(re.compile(r"\blarge-text\b"))
    expect(page.get_by_role("button", name=re.compile("大字"))).to_have_attribute("aria-pressed", "true")
    page.goto("/")
    expect(html).to_have_class(re.compile(r"\blarge-text\b"))
    page.get_by_role("button", name=re.compile("大字")).click()
    expect(html).not_to_have_class(re.compile(r"\blarge-text\b"))
    watch.assert_clean()


@pytest.mark.browser
def test_watch_catches_csp_violations_and_script_errors(people, watch):
    """The guard of every other test can fail: a page given an inline script, an inline style and a
    script error (by rewriting the server's answer on its way to the browser) is reported."""
    page = people().new_page()

    def tamper(route):
        response = route.fetch()
        body = response.text().replace(
            "</main>",
            '<script>window.inlineRan = true;</script><p style="color: red">x</p></main>',
        ).replace("</body>", '<script src="/static/js/yishi.js?broken" nonce="wrong"></script></body>')
        route.fulfill(response=response, body=body)

    page.route(re.compile(r"/proposals/$"), tamper)
    page.goto("/proposals/")
    page.evaluate("() => setTimeout(() => { throw new Error('boom from the page'); }, 0)")
    page.wait_for_timeout(300)
    assert not page.evaluate("() => window.inlineRan === true"), "the CSP let an inline script run"
    violations = watch.csp_violations()
    assert any("script-src" in p.text for p in violations), watch.problems
    assert any("style-src" in p.text for p in violations), watch.problems
    assert any(p.kind == "pageerror" and "boom from the page" in p.text for p in watch.problems), watch.problems
    with pytest.raises(AssertionError):
        watch.assert_clean()
