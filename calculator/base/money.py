"""Money: parsing ``3000万`` / ``1.2亿`` / ``5000000`` into ``Decimal`` yuan, and showing it.

Money is never a float. Values carry at most two decimal places (分).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_UNITS = {"": Decimal(1), "元": Decimal(1), "万": Decimal(10_000), "万元": Decimal(10_000),
          "亿": Decimal(100_000_000), "亿元": Decimal(100_000_000)}
_PATTERN = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(万元|亿元|万|亿|元)?\s*$")
_CENT = Decimal("0.01")
WAN = Decimal(10_000)
YI = Decimal(100_000_000)
#: Larger amounts are refused: no real figure comes near, and beyond 26 digits ``Decimal``
#: arithmetic at its default precision raises instead of giving an answer.
MAX_AMOUNT = Decimal(10) ** 20


def parse_money(value: object) -> Decimal:
    """Parse a money value in yuan; raise ``ValueError`` with a Chinese message otherwise."""
    if isinstance(value, bool):
        raise ValueError("金额应为数字或带单位的文字（如 3000万、1.2亿、5000000），不能是是/否")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        match = _PATTERN.match(value.replace(",", "").replace("，", ""))
        if not match:
            raise ValueError(f"无法识别的金额 {value!r}：应写作 3000万、1.2亿 或 5000000（元）")
        try:
            amount = Decimal(match.group(1)) * _UNITS[match.group(2) or ""]
        except InvalidOperation:
            raise ValueError(f"无法识别的金额 {value!r}") from None
    else:
        raise ValueError(f"金额应为数字或带单位的文字，而不是 {type(value).__name__}")
    if not amount.is_finite():
        raise ValueError(f"无法识别的金额 {value!r}")
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"金额 {value!r} 过大：上限 10^20 元")
    if amount != amount.quantize(_CENT):
        raise ValueError(f"金额 {value!r} 精确到分以下，最多两位小数（元）")
    return normalize(amount)


def normalize(amount: Decimal) -> Decimal:
    """Canonical form: integral yuan without exponent, otherwise two decimal places."""
    amount = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if amount == amount.to_integral_value():
        return amount.quantize(Decimal(1))
    return amount


def to_cents(amount: Decimal) -> int:
    """Exact integer 分, the form money takes inside the rules engine."""
    return int((amount * 100).to_integral_value())


def format_money(amount: Decimal) -> str:
    """Chinese display: ``3000万元``, ``1.2亿元``, ``8500元``."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= YI:
        return f"{sign}{_trim(amount / YI)}亿元"
    if amount >= WAN:
        return f"{sign}{_trim(amount / WAN)}万元"
    return f"{sign}{_trim(amount)}元"


def _trim(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
