"""Amounts in Chinese capitals (人民币大写), as written on receipts and cheques.

Follows the usual bookkeeping rules: 零 once for each run of missing digits inside
the amount (but not right before 万/亿 when only zeros follow), 元 always when
there are yuan, 整 when there are no fen, no 零 between 元 and 角 unless yuan
are present and jiao missing (壹元零伍分). 10 000.50 → 壹万元伍角.
"""

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
GROUPS = ["", "万", "亿", "万亿"]


def _four(n: int) -> str:
    """A group of up to four digits, with inner zeros as one 零 and no leading or trailing 零."""
    out, zero = [], False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[d] + UNITS[pos])
    return "".join(out)


def yuan_capitals(n: int) -> str:
    if n == 0:
        return ""
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out, need_zero = [], False
    for index in range(len(groups) - 1, -1, -1):
        g = groups[index]
        if g == 0:
            need_zero = bool(out)
            continue
        if out and (need_zero or g < 1000):
            out.append("零")
        out.append(_four(g) + GROUPS[index])
        need_zero = False
    return "".join(out)


def rmb_upper(amount) -> str:
    """``Decimal('10000.50')`` → ``'壹万元伍角'``; ``0`` → ``'零元整'``. Negative amounts are refused."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        raise ValueError("amount must not be negative")
    fen_total = int(value * 100)
    yuan, jiao, fen = fen_total // 100, (fen_total // 10) % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    head = yuan_capitals(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return head + "整"
    tail = ""
    if jiao:
        tail += DIGITS[jiao] + "角"
    elif yuan:
        tail += "零"
    if fen:
        tail += DIGITS[fen] + "分"
    return head + tail
