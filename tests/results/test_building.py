"""Reports built without validation serialise exactly as validated ones do, and two
reports never share a mutable part."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from calculator import Calculator, load_profile
from calculator.results.report import Report

from ..conftest import PROFILES

AS_OF = date(2025, 6, 30)


@pytest.mark.parametrize("path", sorted(PROFILES.glob("*.yaml")), ids=lambda p: p.stem)
def test_json_bytes_is_model_dump_json(calc: Calculator, path: Path) -> None:
    report = calc.evaluate(load_profile(path), AS_OF, detail="full")
    assert report.json_bytes() == report.model_dump_json().encode()
    assert Report.model_validate_json(report.json_bytes()) == report


def test_reports_do_not_share_what_a_caller_may_change(calc: Calculator) -> None:
    profile = load_profile(PROFILES / "global500-first-entry.yaml")
    first, second = calc.evaluate(profile, AS_OF), calc.evaluate(profile, AS_OF)
    assert first == second
    for a, b in zip(first.results, second.results, strict=True):
        assert a.benefit is not b.benefit and a.benefit.payers is not b.benefit.payers
        assert a.caveats is not b.caveats and a.reasons is not b.reasons
        assert all(x is not y for x, y in zip(a.reasons, b.reasons, strict=True))
    first.results[0].reasons.clear()
    first.results[0].benefit.payers.append("改动")
    assert calc.evaluate(profile, AS_OF) == second
