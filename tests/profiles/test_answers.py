"""An explicit "no" is a known answer wherever facts arrive, and past events cannot lie after
the evaluation date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from calculator import Calculator, ProfileError, parse_profile
from calculator.batch.run import screen_table
from calculator.profiles.absent import NONE
from calculator.profiles.fields import FIELDS
from calculator.profiles.values import convert
from calculator.service import create_app

AS_OF = date(2025, 6, 30)


@pytest.mark.parametrize("word", ["无", "未入选", "没有", "不适用", " 未入选 "])
def test_no_words_mean_known_none_for_years_and_dates(word: str) -> None:
    firm = parse_profile({"kind": "company", "name": "甲", "global500_first_entry_year": word,
                          "national_institution_approved_on": word})
    assert firm.global500_first_entry_year is NONE and firm.national_institution_approved_on is NONE  # type: ignore[attr-defined]
    assert firm.model_dump(mode="json")["global500_first_entry_year"] == "无"


def test_json_input_takes_the_same_words_and_refuses_others() -> None:
    firm = parse_profile({"kind": "company", "name": "甲", "global500_first_entry_year": "未入选"},
                         json_types=True)
    assert firm.global500_first_entry_year is NONE  # type: ignore[attr-defined]
    with pytest.raises(ProfileError):
        parse_profile({"kind": "company", "name": "甲", "global500_first_entry_year": "今年"},
                      json_types=True)


def test_a_cell_says_no_the_same_way() -> None:
    fields = FIELDS["company"]
    assert convert(fields["global500_first_entry_year"], "未入选") is NONE
    assert convert(fields["national_institution"], "无") is NONE
    assert convert(fields["qualifications"], "无") == []
    assert convert(fields["foreign_invested"], "否") is False
    with pytest.raises(ProfileError):  # a money field says "none" with 0, not a word
        parse_profile({"kind": "company", "name": "甲", "revenue": convert(fields["revenue"], "未入选")})


def test_known_none_is_ineligible_and_never_asked_again(calc: Calculator) -> None:
    base = {"kind": "company", "name": "某中小企业", "district": "吴江区"}
    blank = calc.evaluate(parse_profile(base), AS_OF).result("global-500-first-entry-award")
    said_no = calc.evaluate(parse_profile({**base, "global500_first_entry_year": "未入选"}),
                            AS_OF).result("global-500-first-entry-award")
    assert blank.status == "needs_info" and [m.field for m in blank.missing] == ["global500_first_entry_year"]
    assert said_no.status == "ineligible" and said_no.missing == [] and not said_no.near_miss
    assert said_no.reasons[0].text == "✗ 首次入选世界500强年份 无，要求 ≥ 2022"


@pytest.mark.parametrize(("field", "value"), [("global500_first_entry_year", 2026),
                                              ("founded_on", "2025-07-01")])
def test_a_past_event_after_the_evaluation_date_is_refused_naming_the_field(
        calc: Calculator, field: str, value: object) -> None:
    firm = parse_profile({"kind": "company", "name": "甲", field: value})
    with pytest.raises(ProfileError) as caught:
        calc.evaluate(firm, AS_OF)
    assert caught.value.problems[0].path == field and "晚于评估日期 2025-06-30" in str(caught.value)
    with pytest.raises(ProfileError):
        calc.screen(firm, AS_OF)
    calc.evaluate(firm, date(2026, 12, 31))  # the same fact is fine once it has happened


def test_http_refuses_it_with_422_naming_the_field(calc: Calculator) -> None:
    client = TestClient(create_app(calc))
    profile = {"kind": "company", "name": "甲", "global500_first_entry_year": 2030}
    response = client.post("/v1/evaluate", json={"profile": profile, "as_of": "2025-06-30"})
    assert response.status_code == 422
    problem = response.json()["error"]["problems"][0]
    assert problem["field"] == "profile.global500_first_entry_year" and "晚于评估日期" in problem["message"]


def test_a_batch_row_with_a_future_year_is_that_rows_error(tmp_path: Path, calc: Calculator) -> None:
    source = tmp_path / "in.csv"
    source.write_text("企业名称,所在板块,首次入选世界500强年份\n甲,姑苏区,2030\n乙,姑苏区,未入选\n",
                      encoding="utf-8")
    result = screen_table(source, tmp_path / "out.jsonl", as_of=AS_OF, calculator=calc)
    assert result.line == "读取 2 行，输出 2 行，其中 1 行有错误"
    rows = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert '"column": "首次入选世界500强年份", "value": "2030"' in rows[0] and "晚于评估日期" in rows[0]
    assert '"errors": []' in rows[1]


def test_a_text_field_answered_none_is_none_not_the_text(calc: Calculator) -> None:
    person = parse_profile({"kind": "talent", "name": "甲", "district": "姑苏区", "project_name": "无"})
    assert person.project_name is NONE  # type: ignore[attr-defined]
    named = parse_profile({"kind": "talent", "name": "乙", "team_name": "无锡团队"})
    assert named.team_name == "无锡团队"  # type: ignore[attr-defined]
    # "has a project" is answered: it fails (this draft clause is never in force either way)
    result = calc.evaluate(person, AS_OF).result("tpd-research-funding-lump-sum")
    assert result.reasons[0].outcome == "failed" and result.missing == []
