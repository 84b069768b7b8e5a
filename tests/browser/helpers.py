"""Helpers of the browser tests: Chromium, a watch on every page's console, log-in, screenshots.

Selectors go by what a person sees (roles, labels, text), not by CSS paths, so
the tests keep working while the pages' markup changes.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import BrowserContext, Page, expect

CHROMIUM = os.environ.get("YISHI_CHROMIUM", "/usr/bin/chromium")  # Debian's package; never a download
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Screenshots land in var/screenshots (untracked), so a test run leaves the tree clean;
# YISHI_UPDATE_SCREENSHOTS=1 writes the README's docs/screenshots instead.
_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = _ROOT / ("docs" if os.environ.get("YISHI_UPDATE_SCREENSHOTS") == "1" else "var") / "screenshots"
# The machine running CI may be slow; a page that needs longer than this is broken.
TIMEOUT_MS = int(os.environ.get("YISHI_BROWSER_TIMEOUT_MS", "20000"))

# A CSP violation is also reported as a DOM event; the page's own console may say
# less (or nothing, for a report-only policy), so the init script repeats it there.
# It runs through the DevTools protocol, which the page's CSP does not govern.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', function (e) {
  console.error('Content Security Policy violation: ' + e.violatedDirective
                + ' blocked ' + (e.blockedURI || 'inline')
                + ' at ' + (e.sourceFile || document.location.href) + ':' + e.lineNumber);
});
"""
CSP_WORDS = ("Content Security Policy", "Refused to")


@dataclass
class Problem:
    url: str
    kind: str
    text: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.url}: {self.text}"


@dataclass
class Watch:
    """Console errors, CSP violations, uncaught exceptions and server errors of every page of a test."""

    problems: list = field(default_factory=list)
    visited: list = field(default_factory=list)
    # Error statuses a test asks for on purpose (a refusal page): their "Failed to load resource" is expected.
    allowed_statuses: set = field(default_factory=set)

    def attach(self, page: Page) -> None:
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda error: self.problems.append(Problem(page.url, "pageerror", str(error))))
        page.on("response", lambda response: self._response(response))
        page.on("framenavigated", lambda frame: frame == page.main_frame and self.visited.append(frame.url))

    def _console(self, page: Page, msg) -> None:
        text = msg.text
        if msg.type == "error":
            match = re.search(r"status of (\d{3})", text)
            if match and int(match.group(1)) in self.allowed_statuses:
                return
            where = (msg.location or {}).get("url") or ""
            self.problems.append(Problem(page.url, "console.error", f"{text} [{where}]" if where else text))
        elif any(word in text for word in CSP_WORDS):
            self.problems.append(Problem(page.url, f"console.{msg.type}", text))

    def _response(self, response) -> None:
        status = response.status
        if status >= 500:
            self.problems.append(Problem(response.url, "http", f"{status} {response.status_text}"))
        if response.request.resource_type == "document" and not response.url.startswith("data:"):
            if "content-security-policy" not in response.headers:
                self.problems.append(
                    Problem(response.url, "http", f"{status} without a Content-Security-Policy header"))
        elif status >= 400 and status not in self.allowed_statuses:
            # A missing stylesheet, script, icon or htmx fragment (pages themselves are checked by the tests).
            self.problems.append(Problem(response.url, f"http {response.request.resource_type}",
                                         f"{status} {response.status_text} (for {response.frame.url})"))

    def csp_violations(self) -> list:
        return [p for p in self.problems if any(word in p.text for word in CSP_WORDS)]

    def assert_clean(self) -> None:
        assert not self.problems, "problems in the browser:\n" + "\n".join(map(str, self.problems))


def new_context(browser, base_url: str, watch: Watch, *, viewport=None) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url, viewport=viewport or DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_LISTENER)
    context.on("page", watch.attach)
    return context


def wait_htmx_idle(page: Page) -> None:
    """Wait until no htmx request is in flight (htmx marks the element with ``htmx-request``)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def log_in(page: Page, username: str, password: str, *, next_url: str | None = None) -> None:
    """Log in through the form as a person would; ends on ``next_url`` (or the dashboard)."""
    url = "/accounts/login/"
    if next_url:
        url += "?next=" + quote(next_url)
    page.goto(url)
    form = page.locator("main form")
    form.get_by_label("用户名").fill(username)
    form.get_by_label("密码").fill(password)
    form.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    if next_url:
        expect(page).to_have_url(re.compile(re.escape(next_url.split("?")[0]) + r"(\?.*)?(#.*)?$"))


def screenshot_both(page: Page, name: str) -> list[Path]:
    """Full-page PNGs of the page at phone and desktop width: docs/screenshots/<name>-{phone,desktop}.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths = []
    original = page.viewport_size
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)  # let the layout settle at the new width
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5000, f"{path} looks empty"
        paths.append(path)
    if original:
        page.set_viewport_size(original)
    return paths


def no_horizontal_overflow(page: Page) -> bool:
    """True when the page fits its viewport's width (no sideways scrolling on a phone)."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def overflowing_elements(page: Page, limit: int = 5) -> list[str]:
    """The outermost elements that stick out past the right edge of the viewport (for a readable failure)."""
    return page.evaluate(
        """(limit) => {
          const out = [];
          const width = window.innerWidth;
          for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            const parent = el.parentElement;
            const parentOut = parent && parent.getBoundingClientRect().right > width + 1;
            if (r.right > width + 1 && r.width > 0 && !parentOut) {
              const classes = typeof el.className === 'string' && el.className.trim()
                ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
              const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes;
              out.push(name + ' right=' + Math.round(r.right) + 'px');
              if (out.length >= limit) break;
            }
          }
          return out;
        }""",
        limit,
    )
