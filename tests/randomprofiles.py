"""Seeded random valid profiles over the real field catalogue, for tests that need many of
them quickly and reproducibly (no hypothesis: the same seed gives the same profiles)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from calculator import CompanyProfile, TalentProfile
from calculator.profiles.fields import FIELDS, FieldSpec
from calculator.profiles.models import PROFILE_MODELS, credit_code_check_char

_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
AS_OF_DATES = (date(2022, 1, 1), date(2025, 6, 30), date(2026, 11, 21), date(2031, 1, 1))


def credit_code(rng: random.Random) -> str:
    first = "91" + "".join(rng.choice(_CODE_CHARS) for _ in range(15))
    return first + credit_code_check_char(first)


#: Past events (first entries, founding, birth) happen on or before every date in AS_OF_DATES.
LATEST_EVENT = min(AS_OF_DATES)


def _value(rng: random.Random, spec: FieldSpec) -> Any:
    if spec.accepts_none and rng.random() < 0.1:
        return "无"
    if spec.type == "enum":
        return rng.choice(spec.choices)
    if spec.type == "set":
        return rng.sample(spec.choices, rng.randint(0, min(4, len(spec.choices))))
    if spec.type == "bool":
        return rng.random() < 0.5
    if spec.type == "int":
        return rng.randint(1995, LATEST_EVENT.year) if spec.name.endswith("_year") else rng.randint(0, 3000)
    if spec.type == "money":
        return Decimal(rng.randint(0, 3_000_000_000))
    if spec.type == "number":
        return Decimal(rng.randint(0, 10_000)) / 100
    if spec.type == "date":
        return date(1950, 1, 1) + timedelta(days=rng.randint(0, (LATEST_EVENT - date(1950, 1, 1)).days))
    if spec.name.endswith("credit_code"):
        return credit_code(rng)
    if spec.name == "nationality":
        return rng.choice(["中国", "美国", "德国", "新加坡"])
    return f"示例{spec.name}{rng.randint(1, 999)}"


def random_profile_data(rng: random.Random, kind: str | None = None,
                        missing: float = 0.3) -> dict[str, Any]:
    """Profile data with each field present with probability ``1 - missing``."""
    kind = kind or rng.choice(sorted(PROFILE_MODELS))
    data: dict[str, Any] = {"kind": kind, "name": f"示例{kind}{rng.randint(1, 10**6)}"}
    for name, spec in sorted(FIELDS[kind].items()):
        if spec.source is None and rng.random() >= missing:
            data[name] = _value(rng, spec)
    return data


def random_profile(rng: random.Random, kind: str | None = None,
                   missing: float = 0.3) -> CompanyProfile | TalentProfile:
    data = random_profile_data(rng, kind, missing)
    model = PROFILE_MODELS[data["kind"]]
    return model.model_validate(data)  # type: ignore[return-value]
