"""Library misuse raises CalculatorError subclasses, or is read the natural way."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from calculator import Calculator, CalculatorError, ProfileError, load_profile

from ..conftest import PROFILES

GLOBAL500 = {"kind": "company", "name": "某公司", "district": "吴江区", "global500_first_entry_year": 2024}


def test_a_mapping_is_read_as_a_profile(calc: Calculator) -> None:
    report = calc.evaluate(GLOBAL500, as_of=date(2025, 6, 1))
    assert report.result("global-500-first-entry-award").status == "eligible"


def test_an_iso_date_string_is_an_evaluation_date(calc: Calculator) -> None:
    profile = load_profile(PROFILES / "global500-first-entry.yaml")
    assert calc.evaluate(profile, as_of="2025-06-01").as_of == date(2025, 6, 1)
    assert calc.evaluate(profile, as_of=datetime(2025, 6, 1, 9, 30)).as_of == date(2025, 6, 1)
    assert calc.screen(profile, as_of="2025-06-01").eligible


@pytest.mark.parametrize("as_of", ["2025/13/01", "明天", 20250601])
def test_a_bad_date_is_a_profile_error(calc: Calculator, as_of: object) -> None:
    with pytest.raises(ProfileError, match="评估日期 as_of 应为日期"):
        calc.evaluate(GLOBAL500, as_of=as_of)  # type: ignore[arg-type]


@pytest.mark.parametrize("profile", ["profiles/global500-first-entry.yaml", 42, ["kind", "company"]])
def test_a_profile_of_the_wrong_type_is_a_profile_error(calc: Calculator, profile: object) -> None:
    with pytest.raises(ProfileError, match="档案应为"):
        calc.evaluate(profile)  # type: ignore[arg-type]


def test_a_bad_mapping_names_the_field(calc: Calculator) -> None:
    with pytest.raises(ProfileError, match=r"revnue.*是否想写 revenue"):
        calc.evaluate({"kind": "company", "name": "x", "revnue": "1亿"})


def test_an_unknown_clause_in_a_report_has_a_did_you_mean(calc: Calculator) -> None:
    report = calc.evaluate(GLOBAL500, as_of="2025-06-01")
    with pytest.raises(CalculatorError, match="是否想写 global-500-first-entry-award") as info:
        report.result("global-500-first-entry-awrd")
    assert isinstance(info.value, KeyError)  # still a failed lookup by key
    assert str(info.value).startswith("报告中没有条款")


def test_clauses_are_found_by_title(calc: Calculator) -> None:
    assert calc.bundle.resolve("世界500强").id == "global-500-first-entry-award"
    with pytest.raises(CalculatorError, match="没有编号或标题为"):
        calc.bundle.resolve("不存在的政策")
    with pytest.raises(CalculatorError, match="条条款，请写出编号"):
        calc.bundle.resolve("奖励")


def test_load_profile_needs_a_path() -> None:
    with pytest.raises(ProfileError, match="load_profile 需要文件路径"):
        load_profile(123)  # type: ignore[arg-type]


def test_screen_clauses_must_be_a_list(calc: Calculator) -> None:
    with pytest.raises(CalculatorError, match="clauses 应为条款编号的列表"):
        calc.screen(GLOBAL500, as_of="2025-06-01", clauses="global-500-first-entry-award")
