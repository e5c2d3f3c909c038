"""Seeded synthetic applicants: valid profile data over the real field catalogue, filled
the way real registrations are (most fields present, some blank), for benchmarks and
large batch tests."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from calculator.batch.columns import header_of, input_fields
from calculator.profiles.models import credit_code_check_char

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
FILL_RATE = 0.75


def credit_code(index: int) -> str:
    """A valid, unique 统一社会信用代码 for each index."""
    body = ""
    for _ in range(8):
        index, digit = divmod(index, len(CODE_CHARS))
        body = CODE_CHARS[digit] + body
    first17 = "913205" + "00" + "0" + body
    return first17 + credit_code_check_char(first17)


def _value(rng: random.Random, kind: str, name: str, index: int) -> Any:
    spec = input_fields(kind)[name]
    if name == "credit_code" or name == "employer_credit_code":
        return credit_code(index if name == "credit_code" else 10**7 + index % 5000)
    if spec.type == "enum":
        return rng.choice(spec.choices)
    if spec.type == "set":
        size = min(len(spec.choices), rng.choice((0, 1, 1, 2, 3)))
        return frozenset(rng.sample(spec.choices, k=size))
    if spec.type == "bool":
        return rng.random() < 0.4
    if spec.type == "money":
        return Decimal(int(10 ** rng.uniform(4, 11)))
    if spec.type == "date":
        # past events: on or before the benchmark's evaluation date (2025-06-30)
        start = date(1965, 1, 1) if name == "birth_date" else date(1995, 1, 1)
        return start + timedelta(days=rng.randrange(0, (date(2025, 6, 30) - start).days))
    if spec.type == "int":
        if name.endswith("_year"):
            return rng.randrange(2015, 2026)
        return rng.randrange(0, 2000) if name == "employees" else rng.randrange(0, 4)
    if spec.type == "number":
        return Decimal(rng.randrange(0, 10000)) / 100
    return f"{spec.label}{index % 997}"


def profile_data(kind: str, index: int, rng: random.Random) -> dict[str, Any]:
    """Field name -> typed value for one applicant (``kind`` and ``name`` always set)."""
    data: dict[str, Any] = {"kind": kind,
                            "name": f"示例企业{index:07d}" if kind == "company" else f"申请人{index:07d}"}
    for name in input_fields(kind):
        if name != "name" and rng.random() < FILL_RATE:
            data[name] = _value(rng, kind, name, index)
    return data


def cells(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The same applicant as spreadsheet cells under the template's Chinese headers."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name == "kind":
            continue
        if isinstance(value, frozenset):
            value = "、".join(sorted(value))
        elif isinstance(value, bool):
            value = "是" if value else "否"
        elif isinstance(value, Decimal):
            value = str(value)
        out[header_of(kind, name)] = value
    return out


def applicants(kind: str, count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for index in range(count):
        yield profile_data(kind, index, rng)
