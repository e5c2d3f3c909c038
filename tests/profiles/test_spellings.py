"""Common spellings of districts, education, titles and roles mean the catalogue value,
whichever way the facts arrive: a spreadsheet cell, a YAML profile, a JSON body."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from calculator import Calculator, load_profile
from calculator.profiles.fields import FIELDS
from calculator.profiles.models import parse_profile
from calculator.profiles.spellings import ends_interview, kind_answer
from calculator.profiles.values import ALIASES, choice, convert
from calculator.service.app import create_app

SPELLINGS = [("district", "园区", "苏州工业园区"), ("district", "工业园区", "苏州工业园区"),
             ("district", "虎丘区", "苏州高新区"), ("district", "高新区", "苏州高新区"),
             ("education", "博士研究生", "博士"), ("title", "教授", "正高级"),
             ("title", "高级工程师", "副高级"), ("role", "团队负责人", "团队带头人")]


@pytest.mark.parametrize(("field", "written", "meant"), SPELLINGS)
def test_a_cell_a_yaml_profile_and_a_json_body_agree(tmp_path: Path, field: str, written: str,
                                                     meant: str) -> None:
    spec = FIELDS["talent"][field]
    assert convert(spec, written) == meant
    assert convert(spec, f" {written} ") == meant
    path = tmp_path / "p.yaml"
    path.write_text(f"kind: talent\nname: 张三\n{field}: {written}\n", encoding="utf-8")
    assert getattr(load_profile(path), field) == meant
    strict = parse_profile({"kind": "talent", "name": "张三", field: written}, json_types=True)
    assert getattr(strict, field) == meant


def test_every_alias_names_a_real_choice_and_leaves_real_values_alone() -> None:
    for field, table in ALIASES.items():
        spec = FIELDS["talent"][field]
        assert set(table.values()) <= set(spec.choices), field
        assert not set(table) & set(spec.choices), field  # never shadows a catalogue value
        for value in spec.choices:
            assert choice(spec, value) == value
    assert choice(FIELDS["talent"]["district"], "浦东新区") == "浦东新区"  # unknown stays, and is refused


def test_the_http_service_takes_the_same_spellings(calc: Calculator) -> None:
    def post(district: str) -> int:
        response = client.post("/v1/evaluate", json={"profile": {
            "kind": "talent", "name": "张三", "district": district, "education": "博士研究生"},
            "as_of": "2025-06-30"})
        return response.status_code

    with TestClient(create_app(calc)) as client:
        assert post("园区") == 200
        assert post("浦东新区") == 422  # a spelling not in the table is still refused


@pytest.mark.parametrize(("answer", "kind"), [("1", "company"), ("2", "talent"), ("企业", "company"),
                                              ("企业/机构", "company"), ("个人", "talent"),
                                              ("talent", "talent"), ("3", None), ("公司 ", None)])
def test_an_answer_names_a_profile_kind_or_none(answer: str, kind: str | None) -> None:
    assert kind_answer(answer) == kind


def test_the_words_that_end_an_interview() -> None:
    assert ends_interview("结束") and ends_interview("QUIT") and ends_interview("q")
    assert not ends_interview("") and not ends_interview("不知道")
