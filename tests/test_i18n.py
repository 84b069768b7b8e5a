"""The English translation (issue 4): Chinese is the source language, English comes from
locale/en/LC_MESSAGES/django.po. The catalogue must be complete, keep every placeholder,
be compiled, and actually reach the pages and the services' refusals."""

import ast
import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

PO_PATH = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sdr]|%%|\{\w*\}")


def parse_po(path: Path) -> list[dict]:
    """A small reader for the gettext .po format (no third-party parser needed in tests)."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and not entry["obsolete"]:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgctxt": None, "msgid": "", "msgid_plural": None,
                     "msgstr": {}, "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
        if match:
            keyword, index, literal = match.groups()
            value = ast.literal_eval(literal)
            if keyword.startswith("msgstr"):
                field = ("msgstr", int(index or 0))
                entry["msgstr"][field[1]] = value
            else:
                field = (keyword, None)
                entry[keyword] = value
            continue
        assert line.startswith('"'), f"unexpected line in {path.name}: {raw!r}"
        value = ast.literal_eval(line)
        if field[0] == "msgstr":
            entry["msgstr"][field[1]] += value
        else:
            entry[field[0]] += value
    finish()
    header = [e for e in entries if e["msgid"] == "" and e["msgctxt"] is None]
    assert len(header) == 1, "the .po needs exactly one header entry"
    return [e for e in entries if e is not header[0]]


@pytest.fixture(scope="module")
def po_entries():
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run makemessages -l en and translate"
    return parse_po(PO_PATH)


def test_po_header_declares_english_plural_forms():
    text = PO_PATH.read_text(encoding="utf-8")
    assert '"Language: en\\n"' in text
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in text
    assert not re.search(r'#, fuzzy\nmsgid ""\nmsgstr ""', text), "the header is still marked fuzzy"


def test_po_has_many_entries(po_entries):
    # Guards the reader itself: a parser that found nothing would pass every check below.
    assert len(po_entries) > 500


def test_po_has_no_untranslated_or_fuzzy_entries(po_entries):
    bad = []
    for e in po_entries:
        expected = [0, 1] if e["msgid_plural"] is not None else [0]
        if "fuzzy" in e["flags"] or any(not e["msgstr"].get(i) for i in expected):
            bad.append(e["msgid"])
    assert bad == [], f"{len(bad)} untranslated or fuzzy entries, e.g. {bad[:5]}"


def test_po_translations_are_english(po_entries):
    left = [(e["msgid"], s) for e in po_entries for s in e["msgstr"].values() if CJK.search(s)]
    assert left == [], f"Chinese left in translations: {left[:5]}"


def test_po_placeholders_kept_in_every_translation(po_entries):
    bad = []
    for e in po_entries:
        wanted = set(PLACEHOLDER.findall(e["msgid"])) | set(PLACEHOLDER.findall(e["msgid_plural"] or ""))
        for index, msgstr in e["msgstr"].items():
            got = set(PLACEHOLDER.findall(msgstr))
            if got != wanted:
                bad.append((e["msgid"], index, sorted(wanted), sorted(got)))
    assert bad == [], f"placeholders differ: {bad[:5]}"


def test_po_html_tags_kept_in_every_translation(po_entries):
    tag = re.compile(r"</?\w+[^>]*>")
    bad = [e["msgid"] for e in po_entries for s in e["msgstr"].values()
           if sorted(tag.findall(e["msgid"])) != sorted(tag.findall(s))]
    assert bad == [], f"HTML tags differ: {bad[:5]}"


def test_mo_is_compiled_from_current_po(po_entries):
    assert MO_PATH.exists(), "run: uv run python manage.py compilemessages --ignore=.venv"
    with MO_PATH.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog
    stale = []
    for e in po_entries:
        base = e["msgid"] if e["msgctxt"] is None else f"{e['msgctxt']}\x04{e['msgid']}"
        if e["msgid_plural"] is None:
            if catalog.get(base) != e["msgstr"][0]:
                stale.append(e["msgid"])
        elif any(catalog.get((base, i)) != e["msgstr"][i] for i in (0, 1)):
            stale.append(e["msgid"])
    assert stale == [], f"django.mo is out of date for {len(stale)} entries, e.g. {stale[:3]}"


def test_translation_singular_and_plural_forms_in_english():
    # msgids in variables, so makemessages does not list this test as a source.
    day, council = "%(n)d 天", "社区议事会"
    with translation.override("en"):
        assert translation.ngettext(day, day, 1) % {"n": 1} == "1 day"
        assert translation.ngettext(day, day, 3) % {"n": 3} == "3 days"
        assert translation.gettext(council) == "Community council"
    with translation.override("zh-hans"):
        assert translation.gettext(council) == "社区议事会"


class VisibleText(HTMLParser):
    """Text a reader sees, by region; skips scripts, aria-hidden marks and anything
    explicitly marked Chinese (the language switch's own label, 中文)."""

    REGIONS = {"nav", "h1", "h2", "h3", "title", "footer", "label", "button", "th"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.skip_at: int | None = None
        self.regions: dict[str, list[str]] = {}
        self.all: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            attrs = dict(attrs)
            for name in ("aria-label", "placeholder", "title"):
                if attrs.get(name) and self.skip_at is None:
                    self.all.append(attrs[name])
            return
        self.open.append(tag)
        attrs = dict(attrs)
        if self.skip_at is None and (
            tag in ("script", "style") or attrs.get("aria-hidden") == "true"
            or (attrs.get("lang") or "").startswith("zh")
        ):
            self.skip_at = len(self.open)
        if self.skip_at is None:
            for name in ("aria-label", "placeholder", "title"):
                if attrs.get(name):
                    self.all.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in self.VOID or tag not in self.open:
            return
        while self.open:
            closed = self.open.pop()
            if self.skip_at is not None and len(self.open) < self.skip_at:
                self.skip_at = None
            if closed == tag:
                break

    def handle_data(self, data):
        if self.skip_at is not None or not data.strip():
            return
        self.all.append(data)
        for region in self.REGIONS.intersection(self.open):
            self.regions.setdefault(region, []).append(data)


def visible_text(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser


def test_visible_text_reader_finds_chinese():
    # The page checks below rest on this reader; it must see Chinese where there is some.
    text = visible_text(
        '<nav><a href="/">首页</a></nav><h1>Hi</h1><span aria-hidden="true">议</span>'
        '<button lang="zh-hans">中文</button><input placeholder="搜索">'
    )
    assert CJK.search(" ".join(text.regions["nav"]))
    assert not CJK.search(" ".join(text.regions["h1"]))
    assert "议" not in "".join(text.all) and "中文" not in "".join(text.all)
    assert "搜索" in text.all


@pytest.mark.django_db
def test_home_in_english_has_no_chinese_text(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    html = response.content.decode()
    assert '<html lang="en"' in html
    text = visible_text(html)
    for region in ("title", "nav", "h1", "h2", "footer"):
        assert text.regions.get(region), f"no {region} text found on the home page"
        joined = " ".join(text.regions[region])
        assert not CJK.search(joined), f"Chinese in the English {region}: {joined!r}"
    # With no data in the database, nothing on the page is user content: all of it is ours.
    chinese = [t.strip() for t in text.all if CJK.search(t)]
    assert chinese == [], f"untranslated text on the English home page: {chinese}"
    assert "Recent decisions" in html
    # The switch offers the way back to Chinese.
    assert 'name="language" value="zh-hans"' in html


@pytest.mark.django_db
def test_home_default_language_is_chinese(client):
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans"' in html
    assert "最近的决定" in html


@pytest.mark.django_db
def test_language_cookie_switches_to_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/").content.decode()
    assert '<html lang="en"' in html and "Recent decisions" in html


@pytest.mark.django_db
def test_set_language_switch_sets_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Recent decisions" in client.get("/").content.decode()


@pytest.mark.django_db
def test_login_page_in_english_with_form_error(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    text = visible_text(page.content.decode())
    chinese = [t.strip() for t in text.all if CJK.search(t)]
    assert chinese == [], f"untranslated text on the English login page: {chinese}"
    response = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"},
                           HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code in (200, 422)
    assert "No account found" in body or "Incorrect username or password" in body


@pytest.mark.django_db
def test_superuser_navigation_in_english_has_no_chinese(client, django_user_model):
    admin = django_user_model.objects.create_superuser(
        username="i18n-admin", password="pw-i18n-admin", full_name="Admin"
    )
    client.force_login(admin)
    text = visible_text(client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    nav = " ".join(text.regions.get("nav", []))
    assert "Log out" in nav
    assert not CJK.search(nav), f"Chinese in the English navigation: {nav!r}"


def test_domain_error_from_service_reads_in_english(world):
    from councils import services as cs
    from yishi.errors import DomainError

    outsider = world.residents[1]
    with translation.override("en"):
        with pytest.raises(DomainError) as refusal:
            cs.residency_verify(resident=world.author, group=world.group, actor=outsider)
    assert str(refusal.value) == "Only staff of this community can verify residents."
    with translation.override("zh-hans"):
        with pytest.raises(DomainError) as refusal:
            cs.residency_verify(resident=world.author, group=world.group, actor=outsider)
    assert str(refusal.value) == "只有本社区的工作人员可以核实居民身份。"


def test_domain_error_with_placeholders_reads_in_english(world):
    from councils import services as cs
    from yishi.errors import DomainError

    with translation.override("en"):
        with pytest.raises(DomainError) as refusal:
            cs.residency_request(user=world.author, group=world.group)
    message = str(refusal.value)
    assert message.startswith("You are already registered in ")
    assert world.group.name in message
