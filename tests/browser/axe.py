"""axe-core in the browser tests: the accessibility rules of Deque's engine, run on a page.

The engine is the ``axe.min.js`` that the PyPI package ``axe-playwright-python`` (a dev
dependency) ships; it is injected with ``page.evaluate`` into contexts opened with
``bypass_csp=True``, so the site's Content-Security-Policy stays as strict as it is.

``page_list()`` is the walk of tests/test_pages_words.py (every page each demo account reaches
from its start pages, by the Django test client), kept to one page of each kind, opened as the
first role that reaches it.
"""

from collections import defaultdict
from functools import cache
from pathlib import Path

FAILING = ("serious", "critical")
# WCAG 2.x A and AA, and Deque's best practices (landmarks, headings, names).
RUN_ONLY = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@cache
def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def run_axe(page, impacts=FAILING) -> list[dict]:
    """The violations of ``impacts`` on the page as it is now: [{id, impact, help, targets}]."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """(only) => axe.run(document, {resultTypes: ['violations'],
                                        runOnly: {type: 'tag', values: only}})""",
        RUN_ONLY,
    )
    out = []
    for violation in result["violations"]:
        if violation["impact"] not in impacts:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        summaries = [node.get("failureSummary", "") for node in violation["nodes"]]
        out.append({"id": violation["id"], "impact": violation["impact"], "help": violation["help"],
                    "targets": targets, "summary": summaries[0] if summaries else ""})
    return out


def describe(where: str, violations: list[dict]) -> list[str]:
    return [f"{where}: [{v['impact']}] {v['id']} ({v['help']}) at {', '.join(v['targets'][:4])}"
            f"{' …' if len(v['targets']) > 4 else ''}" for v in violations]


# Start pages beyond the words walk's, so that the apps no header link leads to are opened too.
MORE_STARTS = ["/foundations/", "/organisations/", "/service-projects/", "/micro-grants/", "/elections/",
               "/needs/", "/api/", "/history/checkpoints/"]
ROLE_STARTS = {"streetstaff": ["/street/funds/new/"], "communitystaff": ["/micro-grants/open/", "/needs/staff/record/"],
               "resident": ["/organisations/register/"]}


def page_list(roles=None) -> list[tuple[str | None, str]]:
    """(role, url): one page of each kind that the demo accounts reach (tests/test_pages_words.py's walk)."""
    from django.test import Client

    from councils.models import User
    from tests import test_pages_words as words

    out, kinds = [], set()
    per_role = defaultdict(int)
    for role in roles or words.ROLES:
        client = Client()
        start = ["/", "/proposals/", "/accounts/login/"]
        if role:
            client.force_login(User.objects.get(username=role))
            start = ["/me/", "/", "/proposals/", "/inbox/", "/inbox/settings/", "/council/meetings/",
                     "/accounts/password/"]
        for url, _html in words._crawl(client, [*start, *MORE_STARTS, *ROLE_STARTS.get(role, [])]):
            kind = words._kind(url.split("?")[0])
            if kind in kinds:
                continue
            kinds.add(kind)
            per_role[role] += 1
            out.append((role, url))
    return out
