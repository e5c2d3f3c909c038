"""One parser for a profile value as people write it, shared by every way facts arrive:
a YAML or JSON profile, a spreadsheet or CSV cell, an HTTP body, an interview answer.

``convert`` turns what was written (text, a number, a date, a list) into what the profile
model expects for the field: ``是/否`` into a bool, ``2021年3月5日`` into a date, ``无`` into
the empty set. A problem is a ``ValueError`` with a Chinese message saying what was expected.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ..base.errors import did_you_mean
from .absent import NONE, is_no_word
from .fields import TYPE_LABELS, FieldSpec
from .spellings import ALIASES as ALIASES  # the table, for callers of this parser
from .spellings import spelled

LIST_SEPARATORS = re.compile(r"[、,，;；/\n]+")
_TRUE = {"是", "有", "true", "yes", "y", "1", "√", "✓", "对"}
_FALSE = {"否", "无", "false", "no", "n", "0", "×", "✗", "不是"}
#: What a multiple-choice cell holds for "none": the empty set, known, unlike a blank cell.
_NONE = ("无", "没有")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
#: An Excel date serial number, also written as text: 10000-109999 is 1927-05-18 to 2201-02-28.
_SERIAL_TEXT = re.compile(r"^(?:1\d{5}|[1-9]\d{4})(?:\.0+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)
#: Longer numbers are no count, amount or ratio anyone writes (and cost time to convert).
MAX_DIGITS = 30
#: A count with its unit: 2人, 3 名, 5家.
_COUNT = re.compile(r"^([-+]?[\d,]+)\s*(?:人|名|个|位|家|项|年|次|件)$")


#: Short names people write for a choice, where the choice is not simply found inside them.
CHOICE_ALIASES = {
    "工业园区": "苏州工业园区", "园区": "苏州工业园区", "高新区": "苏州高新区",
    "大型企业": "大型", "中型企业": "中型", "小型企业": "小型", "微型企业": "微型",
    "自贸区": "中国（江苏）自贸试验区苏州片区", "示范区": "长三角生态绿色一体化发展示范区",
    "研究生": "硕士", "学士": "本科", "专科": "大专",
}


def choice(spec: FieldSpec, text: str) -> str:
    """The choice ``text`` names: itself, a known short name (园区), or the one choice that
    contains it (吴江 for 吴江区); unchanged when none or several fit, so that the model
    reports it with the allowed values."""
    if text in spec.choices:
        return text
    spelt = spelled(spec.name, text)  # the per-field table of common spellings, below
    if spelt in spec.choices:
        return spelt
    alias = CHOICE_ALIASES.get(text)
    if alias in spec.choices:
        return alias
    if len(text) >= 2:
        fitting = [c for c in spec.choices if text in c]
        if len(fitting) == 1:
            return fitting[0]
    return text


def shown(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, datetime) and raw.time() == datetime.min.time():
        return raw.date().isoformat()
    if isinstance(raw, (date, datetime)):
        return raw.isoformat()
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def convert(spec: FieldSpec, raw: Any) -> Any:
    """A cell as the profile model expects the field; ``ValueError`` with a Chinese message
    when it cannot be one."""
    if isinstance(raw, str):
        raw = raw.strip()
    if spec.accepts_none and is_no_word(raw):
        return NONE  # 未入选 / 无: known not to exist, unlike a blank cell
    if spec.type == "set":
        if raw in _NONE:  # a blank cell is unknown; this is how to say "none of them"
            return []
        if isinstance(raw, (list, tuple, set, frozenset)):
            items = [str(item).strip() for item in raw]
        else:
            items = [item.strip() for item in LIST_SEPARATORS.split(str(raw)) if item.strip()]
        items = [choice(spec, item) for item in items]
        # Checked here: the model's own error for a wrong item is pydantic's English list.
        for item in items:
            if item not in spec.choices:
                raise ValueError(f"“{item}”不是可选的值{did_you_mean(item, spec.choices)}")
        return items
    if spec.type == "bool":
        if isinstance(raw, bool):
            return raw
        word = shown(raw).lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValueError("应为 是 或 否")
    if spec.type == "date":
        return _date(raw)
    if spec.type == "int":
        return _integer(raw)
    if spec.type == "number":
        return _decimal(raw)
    if spec.type == "enum" and isinstance(raw, str):
        return choice(spec, raw)
    if spec.type == "money":
        return _float_decimal(raw) if isinstance(raw, float) else raw
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # a code or a name the spreadsheet stored as a number
    return raw if isinstance(raw, str) else shown(raw)


def _date(raw: Any) -> date:
    if isinstance(raw, datetime):
        if raw.time() != datetime.min.time():
            raise ValueError("应为日期（不带时间）")
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool) \
            and 10_000 <= raw < 110_000:
        return _serial_date(raw)
    text = shown(raw).strip()
    if _SERIAL_TEXT.match(text):
        return _serial_date(Decimal(text))
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match:
        year, month, day, *clock = match.groups() + (None,) * (6 - len(match.groups()))
        if any(part and int(part) for part in clock):
            raise ValueError("应为日期（不带时间；午夜 00:00:00 可以）")
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError("日期不存在（月份应为 1–12，日不超过当月天数，如 2 月没有 30 日）") from None
    raise ValueError("应为日期，如 2021-03-05 或 2021年3月5日")


def _serial_date(serial: int | float | Decimal) -> date:
    """An Excel date serial number (days since 1899-12-30, as Excel counts from 1900-03-01)."""
    if isinstance(serial, float) and not math.isfinite(serial):
        raise ValueError("应为日期，如 2021-03-05 或 2021年3月5日")
    if serial != int(serial):
        raise ValueError("应为日期（不带时间）")
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("应为整数")
    if isinstance(raw, int):
        if abs(raw) >= 10 ** MAX_DIGITS:
            raise ValueError(f"数值过大（超过 {MAX_DIGITS} 位）")
        return raw
    if isinstance(raw, str):
        count = _COUNT.match(raw.strip())
        if count:
            raw = count.group(1)
    number = _decimal(raw)
    if number != number.to_integral_value():
        raise ValueError("应为整数")
    return int(number)


def _float_decimal(raw: float) -> Decimal:
    """A spreadsheet number as the user sees it: Excel keeps 15 significant digits, so a
    computed 3*1.1 is 3.3, not 3.3000000000000003 (which repr() would give)."""
    if not math.isfinite(raw):
        raise ValueError("应为数值")
    return Decimal(f"{raw:.15g}")


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError("应为数值")
    text = "" if isinstance(raw, float) else shown(raw).replace(",", "").strip()
    if len(text.lstrip("+-").replace(".", "", 1)) > MAX_DIGITS:
        raise ValueError(f"数值过长（超过 {MAX_DIGITS} 位）")
    try:
        number = _float_decimal(raw) if isinstance(raw, float) else Decimal(text)
    except InvalidOperation:
        raise ValueError("应为数值") from None
    if not number.is_finite():
        raise ValueError("应为数值")
    return number


def expected_text(spec: FieldSpec) -> str:
    """What a column accepts, for templates and error messages."""
    if spec.type == "enum":
        none = "；没有填 无" if spec.accepts_none else ""
        return "选一项：" + "、".join(spec.choices) + none
    if spec.type == "set":
        return "可多选，用顿号分隔：" + "、".join(spec.choices) + "；都没有填 无"
    if spec.type == "bool":
        return "是 或 否"
    if spec.type == "date":
        return "日期，如 2021-03-05"
    if spec.type == "money":
        return "金额（元），可写 3000万、1.2亿 或 5000000"
    text = TYPE_LABELS[spec.type]
    return f"{text}；没有填 无" if spec.accepts_none else text


# --- Common spellings ----------------------------------------------------------------------
# What people write for a choice instead of its catalogue value (园区, 虎丘区, 博士研究生, 教授,
# 团队负责人, ...). The table is ``spellings.ALIASES``, a module of its own so that the profile
# models apply it too (to YAML, JSON and HTTP profiles) without importing this parser.
# ``choice`` above consults it for every choice column, before the short names and the
# containment rule.
