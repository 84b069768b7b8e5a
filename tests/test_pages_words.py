"""Words for people (issue 10, finding 1): no rule code, hash or untranslated text on a page.

The demo world is seeded once for the module (rolled back at the end); every page
reachable from each demo account's start pages is opened with the test client, in
Chinese and in English. A page fails when its visible text

- names a rule code (``R`` and digits: a clerk or resident cannot know what R9 means),
- shows a content hash (a run of 16+ hex digits) outside a supervisor's "verify" disclosure,
- in English, still shows one of our own Chinese msgids (a string whose msgid changed
  without the catalogue following, or one never translated).

A source scan backs the page walk for refusals, which a walk of GET pages cannot reach:
no string passed to gettext in the apps or the templates carries a rule code.
"""

import ast
import re
from collections import defaultdict
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings

from councils.models import User
from tests.test_i18n import CJK, PO_PATH, parse_po, visible_text

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROOT = Path(settings.BASE_DIR)
APPS = ["councils", "proposals", "funding", "notifications", "portal", "yishi"]

RULE_CODE = re.compile(r"(?<![A-Za-z0-9])R\d+(?![0-9])")
HEX_RUN = re.compile(r"\b[0-9a-f]{16,}\b")
ROLES = [None, "resident", "groupchair", "groupmember", "councillor", "communitystaff", "streetstaff",
         "supervisor", "discipline", "yudong_resident", "admin"]
SKIP = re.compile(r"^/(admin/|i18n/|static/|accounts/logout)|\.(xlsx|csv|svg|png)$|/export")
PER_KIND = defaultdict(lambda: 1, {"/proposals/{n}/": 14, "/ballots/{n}/": 3, "/proposals/{n}/money/": 4,
                                   "/supervision/proposals/{n}/": 3})
MAX_PAGES = 45
HREF = re.compile(r'href="(/[^"#]*)"')

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(DEBUG=True, PASSWORD_HASHERS=MD5):
        with transaction.atomic():
            call_command("seed_demo", stdout=StringIO())
            yield
            transaction.set_rollback(True)


@pytest.fixture(scope="module")
def pages(demo, django_db_blocker):
    """(role, url, language, visible text pieces, raw html) of every page reached, walked once."""
    found = []
    with django_db_blocker.unblock():
        for role in ROLES:
            client = Client()
            start = ["/", "/proposals/"]
            if role:
                client.force_login(User.objects.get(username=role))
                start = ["/me/", *start, "/inbox/", "/inbox/settings/", "/council/meetings/"]
            for url, html in _crawl(client, start):
                found.append((role or "visitor", url, "zh-hans", _visible(html), html))
                english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
                if english.status_code == 200 and "html" in english.get("Content-Type", ""):
                    html_en = english.content.decode()
                    found.append((role or "visitor", url, "en", _visible(html_en), html_en))
    return found


def _visible(html: str) -> list[str]:
    """Visible text pieces. The i18n reader skips anything marked Chinese (it looks for Chinese
    left on English pages), so the page's own ``<html lang="zh-hans">`` is unmarked first."""
    return visible_text(re.sub(r'<html lang="[^"]*"', "<html", html, count=1)).all


def _kind(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/{n}", path)


def _crawl(client, start):
    queue, seen, per_kind, out = list(start), set(), defaultdict(int), []
    while queue and len(out) < MAX_PAGES:
        url = queue.pop(0)
        kind = _kind(url.split("?")[0])
        if url in seen or per_kind[kind] >= PER_KIND[kind] or SKIP.search(url.split("?")[0]):
            continue
        seen.add(url)
        per_kind[kind] += 1
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        out.append((url, html))
        queue.extend(h.replace("&amp;", "&") for h in HREF.findall(html) if h not in seen)
    return out


def _without_verify(html: str) -> str:
    """The page minus the "verify" disclosures, the one place a hash may appear: a supervisor's
    resolution hash, and the signed history checkpoints published for anyone to keep a copy."""
    return re.sub(r'<details class="verify[^"]*">.*?</details>', "", html, flags=re.S)


def test_walk_reaches_the_pages_of_every_role(pages):
    # Guards the walk itself: a walk that opened nothing would pass every check below.
    reached = defaultdict(set)
    for role, url, _lang, _text, _html in pages:
        reached[role].add(_kind(url.split("?")[0]))
    assert "/ballots/{n}/" in reached["councillor"]
    assert "/street/reviews/" in reached["streetstaff"]
    assert "/supervision/" in reached["supervisor"]
    assert "/proposals/{n}/" in reached["visitor"]
    assert sum(len(kinds) for kinds in reached.values()) > 100
    # ... and read their text: Chinese pages in Chinese, English pages in English.
    zh = [t for _r, _u, lang, text, _h in pages if lang == "zh-hans" for t in text]
    en = [t for _r, _u, lang, text, _h in pages if lang == "en" for t in text]
    assert "公示与项目" in {t.strip() for t in zh} and len(zh) > 10000
    assert len(en) > 10000


def test_no_rule_code_in_visible_text_of_any_page(pages):
    bad = sorted({(role, url, lang, piece.strip()[:80]) for role, url, lang, text, _html in pages
                  for piece in text if RULE_CODE.search(piece)})
    assert bad == [], f"rule codes on pages: {bad[:10]}"


def test_no_hash_on_pages_outside_the_verify_disclosure(pages):
    bad = sorted({(role, url, piece.strip()[:40]) for role, url, lang, _text, html in pages if lang == "zh-hans"
                  for piece in _visible(_without_verify(html)) if HEX_RUN.search(piece)})
    assert bad == [], f"hashes on pages: {bad[:10]}"


def test_supervisor_sees_the_hash_under_verify_and_the_public_does_not(pages):
    verify = [(role, url) for role, url, lang, _t, html in pages if '<details class="verify">' in html]
    assert any(role == "supervisor" for role, _url in verify), "the supervisor never saw a verify disclosure"
    assert not [v for v in verify if v[0] in ("visitor", "resident", "councillor", "streetstaff")], verify


def test_english_pages_show_no_chinese_msgid(pages):
    msgids = {e["msgid"].strip() for e in parse_po(PO_PATH) if CJK.search(e["msgid"]) and "%" not in e["msgid"]}
    msgids |= _template_msgids()
    bad = sorted({(url, piece.strip()) for _role, url, lang, text, _html in pages if lang == "en"
                  for piece in text if piece.strip() in msgids})
    assert bad == [], f"untranslated strings on English pages: {bad[:10]}"


def _template_msgids() -> set[str]:
    found = set()
    for path in (ROOT / "templates").rglob("*.html"):
        found |= {m.strip() for m in re.findall(r'{%\s*translate\s+"([^"]+)"', path.read_text(encoding="utf-8"))
                  if CJK.search(m)}
    return found


def _gettext_literals():
    """Every string literal passed to a gettext function in the apps' Python code."""
    names = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in names:
                    for arg in node.args:
                        for const in ast.walk(arg):
                            if isinstance(const, ast.Constant) and isinstance(const.value, str):
                                yield path.relative_to(ROOT), const.value


def test_no_rule_code_in_any_translated_string():
    literals = list(_gettext_literals())
    assert len(literals) > 300  # the scan found the strings
    bad = [(str(p), s) for p, s in literals if RULE_CODE.search(s)]
    templates = [(str(p.relative_to(ROOT)), line.strip()) for p in (ROOT / "templates").rglob("*")
                 if p.is_file() for line in p.read_text(encoding="utf-8").splitlines()
                 if "translate" in line and RULE_CODE.search(line)]
    assert bad + templates == [], f"rule codes in user-facing strings: {(bad + templates)[:10]}"


def test_no_rule_code_in_the_english_catalogue():
    bad = [e["msgid"] for e in parse_po(PO_PATH) for s in [e["msgid"], *e["msgstr"].values()] if RULE_CODE.search(s)]
    assert bad == [], bad[:5]
