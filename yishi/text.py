"""Text hygiene at the edge: one rule for every piece of text a person types into Yishi.

Names, titles and long texts reach exports (openpyxl refuses C0 control
characters), bid lists and notices read by neighbours (a right-to-left override
turns "报价 9800" into something else on screen) and CSV files (a leading
``=`` runs as a formula). So every text input is refused, with a sentence a
person can act on, when it carries:

- C0/C1 control characters other than newline and tab (``\\r\\n`` and a lone
  ``\\r`` become ``\\n`` first); single-line fields refuse newline and tab too;
- bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069) and the
  invisible direction marks (U+200E, U+200F, U+061C);
- zero-width characters (U+200B–200D, U+2060, U+FEFF). Long texts keep the
  zero-width *joiner* (U+200D) only: phone keyboards put it inside emoji
  sequences (👨‍👩‍👧), and a long text is never a name that a joiner could forge.

Accepted text is normalised to NFC, stripped and capped in length.
``TextField``/``LineField`` are the form fields; ``check_text`` is the same rule
for services that take text from elsewhere; ``plain`` cleans a value already
stored (exports, display) without refusing it.
"""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .errors import DomainError

LINE_MAX = 200
TEXT_MAX = 5000

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
ZWJ = "\u200d"
_CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x20), *range(0x7f, 0xa0)])

# What a long text refuses: controls except \n and \t, bidi, zero-width except the joiner.
_TEXT_BAD = re.compile("[" + re.escape("".join(
    c for c in _CONTROLS + BIDI + ZERO_WIDTH if c not in "\n\t" + ZWJ
)) + "]")
# What a single-line value (a name, a title, a receipt number) refuses: all of them.
_LINE_BAD = re.compile("[" + re.escape(_CONTROLS + BIDI + ZERO_WIDTH) + "]")
# What ``plain`` removes from stored values before they are shown or exported.
_STORED_BAD = re.compile("[" + re.escape("".join(
    c for c in _CONTROLS + BIDI + ZERO_WIDTH if c not in "\n\t"
)) + "]")


def _describe(char: str) -> str:
    if char in BIDI:
        return _("改变文字方向的隐藏字符")
    if char in ZERO_WIDTH:
        return _("看不见的零宽字符")
    if char in "\n\t":
        return _("换行或制表符")
    return _("看不见的控制字符")


def normalise(value: str) -> str:
    """NFC, line endings as ``\\n``, stripped; nothing refused."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", value).strip()


def problem(value: str, *, multiline: bool) -> str | None:
    """The reason ``value`` (already normalised) is refused, or None."""
    match = (_TEXT_BAD if multiline else _LINE_BAD).search(value)
    if match is None:
        return None
    position = match.start() + 1
    return _("第 %(n)d 个字的位置有%(what)s（常见于从网页或其他软件复制的文字），请删除后重新输入。") % {
        "n": position, "what": _describe(match.group()),
    }


def check_text(value, what: str, max_length: int, *, multiline: bool = False, required: bool = True) -> str:
    """The shared rule for services: normalised text, or a ``DomainError`` that names ``what``."""
    value = normalise("" if value is None else str(value))
    if required and not value:
        raise DomainError(_("请填写%(what)s。") % {"what": what})
    if len(value) > max_length:
        raise DomainError(_("%(what)s不能超过 %(n)d 个字。") % {"what": what, "n": max_length})
    reason = problem(value, multiline=multiline)
    if reason:
        raise DomainError(f"{what}：{reason}")
    return value


def plain(value):
    """A stored value made safe to show or export: no control, bidi or zero-width characters."""
    if not isinstance(value, str) or _STORED_BAD.search(value) is None:
        return value
    return _STORED_BAD.sub("", value)


class LineField(forms.CharField):
    """A single-line text input (names, titles, numbers on receipts): the rules above."""

    multiline = False
    default_max_length = LINE_MAX

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", self.default_max_length)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, str):
            value = normalise(value)
        return self.empty_value if value in self.empty_values else value

    def validate(self, value):
        super().validate(value)
        if isinstance(value, str):
            reason = problem(value, multiline=self.multiline)
            if reason:
                raise ValidationError(reason, code="unclean")


class TextField(LineField):
    """A long text (summaries, reasons, minutes): newlines and tabs allowed; a textarea."""

    multiline = True
    default_max_length = TEXT_MAX
    widget = forms.Textarea
