"""Amounts in Chinese capitals (人民币大写) for donation receipts."""

from decimal import Decimal

import pytest

from funding.rmb import rmb_upper


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("10000.50", "壹万元伍角"),
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("1", "壹元整"),
        ("1.05", "壹元零伍分"),
        ("10", "壹拾元整"),
        ("15", "壹拾伍元整"),
        ("101", "壹佰零壹元整"),
        ("110", "壹佰壹拾元整"),
        ("1001", "壹仟零壹元整"),
        ("1010.10", "壹仟零壹拾元壹角"),
        ("10001", "壹万零壹元整"),
        ("100000", "壹拾万元整"),
        ("105000", "壹拾万伍仟元整"),
        ("1000000.01", "壹佰万元零壹分"),
        ("100010000", "壹亿零壹万元整"),
        ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
        ("2500.50", "贰仟伍佰元伍角"),
        (Decimal("36000.00"), "叁万陆仟元整"),
        ("30000.07", "叁万元零柒分"),
    ],
)
def test_rmb_upper(amount, expected):
    assert rmb_upper(amount) == expected


def test_rmb_upper_refuses_negative():
    with pytest.raises(ValueError):
        rmb_upper("-1")
