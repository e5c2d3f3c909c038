"""Detail levels: a report explains in full what it shows, and an ineligible clause its
first failed requirement, unless the full reasoning is asked for; nothing else differs."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from calculator import Calculator, load_profile
from calculator.results.report import Report
from calculator.service.app import create_app

from ..conftest import PROFILES

AS_OF = date(2025, 6, 30)


def _without_reasons(report: Report) -> list[dict[str, Any]]:
    return [r.model_dump(exclude={"reasons"}) for r in report.results]


@pytest.mark.parametrize("path", sorted(PROFILES.glob("*.yaml")), ids=lambda p: p.stem)
def test_shown_differs_from_full_only_in_ineligible_reasons(calc: Calculator, path: Any) -> None:
    profile = load_profile(path)
    shown = calc.evaluate(profile, AS_OF)
    full = calc.evaluate(profile, AS_OF, detail="full")
    assert (shown.detail, full.detail) == ("shown", "full")
    assert _without_reasons(shown) == _without_reasons(full)
    assert shown.totals == full.totals
    for brief, whole in zip(shown.results, full.results, strict=True):
        if brief.status == "ineligible" and not brief.near_miss:
            failed = [r for r in whole.reasons if r.outcome == "failed"]
            assert brief.reasons == failed[:1]
            assert len(failed) >= 1
        else:
            assert brief.reasons == whole.reasons
    # Built without validation, yet valid: the JSON reads back as the same report.
    for report in (shown, full):
        assert Report.model_validate_json(report.model_dump_json()) == report


def test_unknown_detail_is_refused(calc: Calculator) -> None:
    with pytest.raises(ValueError, match="detail"):
        calc.evaluate(load_profile(PROFILES / "global500-first-entry.yaml"), AS_OF, detail="all")  # type: ignore[arg-type]


def test_service_gives_full_reasons_on_request(calc: Calculator) -> None:
    profile = load_profile(PROFILES / "global500-first-entry.yaml").model_dump(mode="json")
    with TestClient(create_app(calc)) as client:
        brief = client.post("/v1/evaluate", json={"profile": profile, "as_of": AS_OF.isoformat()})
        whole = client.post("/v1/evaluate?detail=full", json={"profile": profile, "as_of": AS_OF.isoformat()})
        wrong = client.post("/v1/evaluate?detail=every", json={"profile": profile})
    assert (brief.json()["detail"], whole.json()["detail"]) == ("shown", "full")
    count = sum(len(r["reasons"]) for r in brief.json()["results"])
    assert count < sum(len(r["reasons"]) for r in whole.json()["results"])
    assert wrong.status_code == 422


def test_service_screen_gives_full_reasons_on_request(calc: Calculator) -> None:
    profile = load_profile(PROFILES / "global500-first-entry.yaml").model_dump(mode="json")
    request = {"profiles": [profile, profile], "as_of": AS_OF.isoformat()}
    with TestClient(create_app(calc)) as client:
        brief = client.post("/v1/screen", json=request).json()["reports"]
        whole = client.post("/v1/screen?detail=full", json=request).json()["reports"]
    assert [r["detail"] for r in brief + whole] == ["shown"] * 2 + ["full"] * 2
    assert whole[0] == calc.evaluate(profile, AS_OF, "full").model_dump(mode="json")
