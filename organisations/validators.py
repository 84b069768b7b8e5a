"""The unified social credit code (统一社会信用代码, GB 32100-2015).

Eighteen characters from the 31-character set below (no I, O, S, V, Z); the
last is a check character: with weights 3^(i) mod 31 for positions 1..17,
check = 31 − (Σ value × weight mod 31), and 31 means 0.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The check character for the first 17 characters (which must come from ``CHARSET``)."""
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalise_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    """Raise ``ValidationError`` with a sentence a person can act on when ``value`` is not a valid code."""
    code = normalise_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为 18 位，现在是 %(n)d 位，请对照登记证书核对。") % {"n": len(code)},
            code="credit_code_length",
        )
    bad = [c for c in code if c not in CHARSET]
    if bad:
        raise ValidationError(
            _("统一社会信用代码里不能有“%(c)s”（不使用 I、O、S、V、Z），请对照登记证书核对。") % {"c": bad[0]},
            code="credit_code_charset",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("统一社会信用代码的最后一位校验码不对，可能有一位抄错了，请对照登记证书核对。"),
            code="credit_code_check",
        )
