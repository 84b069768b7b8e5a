"""Sentences kept as a message id and its parameters, put into words when they are shown.

A notification is read in the reader's language (the inbox in the page's language, mail in the
recipient's ``User.language``), so it is stored as JSON, not as a sentence:

- ``Msg("“%(title)s”预算被退回") % {"title": p.title}`` — a msgid of the catalogue and its
  parameters. The notify modules import it as ``_``, so their sentences look as before and
  ``makemessages`` still finds them.
- parameters are user text and numbers (stored as they are), or values translated or formatted
  when shown: another ``Msg``, ``When(datetime)``, ``Day(date, format)``, ``Choice(enum, value)``
  (a TextChoices label), ``PerLanguage`` (a sentence produced elsewhere, rendered at creation in
  every language of ``settings.LANGUAGES``: e.g. the reasons ``submission_blockers`` gives).
- ``a + b`` joins sentences (without a space in Chinese, with one in English).

``render(data)`` turns the stored JSON back into text in the active language; anything it does
not know (an old row, a msgid no longer in the catalogue) still renders, never raises.
"""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext


class Msg:
    """A msgid and its parameters; ``str()`` renders it in the active language."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, params: dict | None = None):
        self.msgid = str(msgid)
        self.params = params

    def __mod__(self, params: dict) -> "Msg":
        return Msg(self.msgid, dict(params))

    def __add__(self, other) -> "Join":
        return Join([self, other])

    def __radd__(self, other) -> "Join":
        return Join([other, self])

    def __str__(self) -> str:
        return render(to_json(self))

    def __repr__(self) -> str:
        return f"Msg({self.msgid!r}, {self.params!r})"


class Join:
    """Sentences one after another."""

    __slots__ = ("parts",)

    def __init__(self, parts):
        self.parts = []
        for part in parts:
            self.parts.extend(part.parts if isinstance(part, Join) else [part])

    def __add__(self, other) -> "Join":
        return Join([self, other])

    def __radd__(self, other) -> "Join":
        return Join([other, self])

    def __str__(self) -> str:
        return render(to_json(self))


class When:
    """An instant, shown in Asia/Shanghai in the reader's date format."""

    __slots__ = ("at",)

    def __init__(self, at: datetime):
        self.at = at


class Day:
    """A date shown with one of Django's format names (``DATE_FORMAT``, ``MONTH_DAY_FORMAT``)."""

    __slots__ = ("day", "format")

    def __init__(self, day: date, format: str = "DATE_FORMAT"):
        self.day, self.format = day, format


class Choice:
    """The label of a value of a ``TextChoices``/``IntegerChoices`` enum."""

    __slots__ = ("enum", "value")

    def __init__(self, enum, value):
        self.enum, self.value = enum, value


class PerLanguage:
    """Text made elsewhere, rendered now in every language of the site."""

    __slots__ = ("texts",)

    def __init__(self, texts: dict):
        self.texts = texts

    @classmethod
    def of(cls, make) -> "PerLanguage":
        """``make()`` called once per language (``make`` returns text or a lazy string)."""
        texts = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                texts[code] = str(make())
        return cls(texts)


def to_json(value):
    """The JSON form of a message or parameter (see the module's docstring)."""
    if isinstance(value, Msg):
        out = {"m": value.msgid}
        if value.params:
            out["p"] = {str(k): to_json(v) for k, v in value.params.items()}
        return out
    if isinstance(value, Join):
        return {"join": [to_json(p) for p in value.parts]}
    if isinstance(value, When):
        return {"at": value.at.isoformat()}
    if isinstance(value, Day):
        return {"day": value.day.isoformat(), "f": value.format}
    if isinstance(value, Choice):
        return {"choice": f"{value.enum.__module__}.{value.enum.__qualname__}", "v": value.value}
    if isinstance(value, PerLanguage):
        return {"langs": value.texts}
    if isinstance(value, Promise):  # a lazy translation made elsewhere: keep it in every language
        return to_json(PerLanguage.of(lambda: value))
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def render(data) -> str:
    """Text of stored JSON in the active language."""
    if isinstance(data, str):
        return data
    if isinstance(data, bool) or data is None:
        return "" if data is None else str(data)
    if isinstance(data, int | float):
        return str(data)
    if isinstance(data, list):
        return "".join(render(d) for d in data)
    if not isinstance(data, dict):
        return str(data)
    if "m" in data:
        text = gettext(data["m"])
        params = data.get("p")
        if params:
            values = {k: _param(v) for k, v in params.items()}
            for pattern in (text, data["m"]):  # a translation that lost a parameter falls back to the msgid
                try:
                    return pattern % values
                except (KeyError, TypeError, ValueError):
                    continue
        return text
    if "join" in data:
        spaced = not _language().startswith("zh")  # English sentences need a space between them
        out = ""
        for part in (render(p) for p in data["join"]):
            if spaced and out and part and not out[-1].isspace() and not part[0].isspace():
                out += " "
            out += part
        return out
    if "at" in data:
        try:
            at = datetime.fromisoformat(data["at"])
        except (TypeError, ValueError):
            return str(data["at"])
        return date_format(timezone.localtime(at), "DATETIME_FORMAT")
    if "day" in data:
        try:
            return date_format(date.fromisoformat(data["day"]), data.get("f") or "DATE_FORMAT")
        except (TypeError, ValueError):
            return str(data["day"])
    if "choice" in data:
        try:
            return str(import_string(data["choice"])(data["v"]).label)
        except (ImportError, ValueError, AttributeError):
            return str(data.get("v", ""))
    if "langs" in data:
        texts = data["langs"] or {}
        lang = _language()
        for code in (lang, lang.split("-")[0], settings.LANGUAGE_CODE):
            if code in texts:
                return texts[code]
        return next(iter(texts.values()), "")
    return ""


def _param(value):
    """A parameter for ``%``: numbers stay numbers (for ``%(n)d``), the rest becomes text."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    return render(value)
