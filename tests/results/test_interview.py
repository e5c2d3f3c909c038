"""The interview: which fact is asked first, and typed answers read like spreadsheet cells."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from calculator import Calculator, ProfileError, parse_profile
from calculator.base.errors import CalculatorError
from calculator.results.interview import SKIP, Interview, answer, next_questions

AS_OF = date(2025, 6, 1)
WUJIANG = {"kind": "company", "name": "某公司", "district": "吴江区"}


def test_an_empty_company_is_first_asked_where_it_is(calc: Calculator) -> None:
    # Every clause applies in Suzhou only: the district decides the most money of all.
    first = calc.next_questions({"kind": "company", "name": "某公司"}, AS_OF)[0]
    assert first.field == "district"
    assert first.at_stake_max is None  # some of the clauses it decides have no maximum
    assert first.at_stake_text.startswith("最高 ")
    assert "global-500-first-entry-award" in first.clauses


def test_then_for_the_fact_deciding_the_global_500_award(calc: Calculator) -> None:
    questions = calc.next_questions(WUJIANG, AS_OF)
    first = questions[0]
    assert first.field == "global500_first_entry_year"
    assert first.at_stake_max == Decimal(30_000_000)
    assert first.at_stake_text == "最高 3000万元"
    assert first.clauses == ["global-500-first-entry-award"]
    assert first.prompt == "首次入选世界500强年份是哪一年？"
    assert len(questions) == 5


def test_questions_are_ordered_by_money_then_open_awards_then_clauses(calc: Calculator) -> None:
    questions = calc.next_questions(WUJIANG, AS_OF, limit=None)
    fields = [q.field for q in questions]
    assert len(fields) == len(set(fields))
    # 3000万元 first; then two facts deciding 1000万元 each, where the one that also opens
    # awards without a maximum (资质) goes first.
    assert fields[:3] == ["global500_first_entry_year", "qualifications", "china500_first_entry_year"]
    assert questions[1].at_stake_max is None
    assert questions[1].at_stake_text.startswith("最高 1000万元，另有 ")
    assert questions[2].at_stake_max == Decimal(10_000_000)
    # Among facts without stated money, more open clauses first.
    rest = [q for q in questions if not q.at_stake_text.startswith("最高")]
    keys = [(q.at_stake_max is not None, -len(q.clauses)) for q in rest]
    assert keys == sorted(keys)


def test_an_answer_closes_its_clauses_and_a_skip_is_not_asked_again(calc: Calculator) -> None:
    interview = Interview("company", "某公司")
    assert interview.questions(calc, AS_OF)[0].field == "district"
    interview.give("district", "吴江")
    assert interview.questions(calc, AS_OF)[0].field == "global500_first_entry_year"
    assert interview.give("global500_first_entry_year", "2024") == 2024
    report = calc.evaluate(interview.profile(), AS_OF)
    assert report.result("global-500-first-entry-award").status == "eligible"
    asked = [q.field for q in interview.questions(calc, AS_OF, limit=None)]
    assert "global500_first_entry_year" not in asked
    following = asked[0]
    assert interview.give(following, "不知道") is SKIP
    assert following in interview.skipped
    assert following not in [q.field for q in interview.questions(calc, AS_OF, limit=None)]
    assert interview.data() == {"kind": "company", "name": "某公司", "district": "吴江区",
                                "global500_first_entry_year": 2024}


def test_an_explicit_no_closes_the_clauses_for_good(calc: Calculator) -> None:
    interview = Interview("company", "某公司", answers={"district": "吴江区"})
    interview.give("global500_first_entry_year", "未入选")
    report = calc.evaluate(interview.profile(), AS_OF)
    assert report.result("global-500-first-entry-award").status == "ineligible"
    assert "global500_first_entry_year" not in [q.field for q in interview.questions(calc, AS_OF, limit=None)]


def test_a_talent_interview_asks_talent_facts(calc: Calculator) -> None:
    questions = next_questions(calc, parse_profile({"kind": "talent", "name": "张三"}), AS_OF)
    assert questions and all(q.kind == "talent" for q in questions)
    assert all(q.field in type(parse_profile({"kind": "talent", "name": "x"})).model_fields
               for q in questions)


@pytest.mark.parametrize(("field", "text", "value"), [
    ("owns_ip", "是", True),
    ("owns_ip", "否", False),
    ("revenue", "3000万", Decimal(30_000_000)),
    ("revenue", "1.2亿", Decimal(120_000_000)),
    ("founded_on", "2020/5/1", date(2020, 5, 1)),
    ("founded_on", "2020年5月1日", date(2020, 5, 1)),
    ("district", "园区", "苏州工业园区"),
    ("district", "吴江", "吴江区"),
    ("qualifications", "高新技术企业、专精特新", frozenset({"高新技术企业", "专精特新"})),
    ("qualifications", "无", frozenset()),
    ("employees", "120", 120),
])
def test_answers_typed_as_people_type_them(field: str, text: str, value: object) -> None:
    assert answer("company", field, text) == value


@pytest.mark.parametrize("text", ["不知道", "跳过", "", "  ", None])
def test_skip_words(text: str | None) -> None:
    assert answer("company", "revenue", text) is SKIP


@pytest.mark.parametrize(("field", "text", "message"), [
    ("revenue", "很多", "营业收入：无法识别的金额"),
    ("revenue", "-5", "金额不能为负数"),
    ("owns_ip", "也许", "应为 是 或 否"),
    ("listing_status", "上市", "允许的值：未上市、拟上市、境内上市、境外上市"),
    ("founded_on", "2020/2/30", "日期不存在"),
    ("qualifications", "高薪技术企业", "是否想写 高新技术企业"),
])
def test_a_bad_answer_says_what_is_expected(field: str, text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        answer("company", field, text)


def test_a_bad_answer_records_nothing() -> None:
    interview = Interview("company", "某公司")
    with pytest.raises(ProfileError):
        interview.give("revenue", "很多")
    assert interview.answers == {} and interview.skipped == set()


def test_misuse_is_a_calculator_error(calc: Calculator) -> None:
    with pytest.raises(ProfileError, match="没有字段 revenu"):
        answer("company", "revenu", "1")
    with pytest.raises(ProfileError, match="档案类型"):
        Interview("firm", "某公司")
    with pytest.raises(CalculatorError, match="limit"):
        calc.next_questions({"kind": "company", "name": "x"}, AS_OF, limit=0)
