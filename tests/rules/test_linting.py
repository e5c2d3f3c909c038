"""``rules lint`` finds what loads but cannot be right."""

from __future__ import annotations

from pathlib import Path

from calculator import Calculator
from calculator.rules.linting import lint

HEADER = """document:
  id: lint-doc
  title: 测试
  issuer: 测试机关
  date: 2024-01-01
  status: issued
  source: t.txt
  effective: {start: 2024-01-01, basis: 自印发之日起施行}
definitions:
  青年人才: {field: age, op: "<=", value: 35}
  未使用的定义: {field: age, op: ">=", value: 18}
clauses:
"""
CLAUSE = """  - id: {id}
    title: 测试条款
    target: talent
    support: funding
    scope: city
    when: {when}
    benefit: {{kind: non_monetary, text: 服务}}
    citation: {{article: 一、, quote: "{quote}"}}
"""


def _lint(tmp_path: Path, *clauses: tuple[str, str, str]) -> list[str]:
    text = HEADER + "".join(CLAUSE.format(id=i, when=w, quote=q) for i, w, q in clauses)
    (tmp_path / "t.yaml").write_text(text, encoding="utf-8")
    return [str(f) for f in lint(Calculator.load(tmp_path).bundle)]


def test_contradictions_blank_quotes_and_unused_definitions(tmp_path: Path) -> None:
    found = _lint(
        tmp_path,
        ("age-gap", '{all: [{field: age, op: "<", value: 35}, {field: age, op: ">", value: 40}]}', "引文"),
        ("int-gap", '{all: [{field: age, op: ">", value: 35}, {field: age, op: "<", value: 36}]}', "引文"),
        ("fine", '{all: [{ref: 青年人才}, {field: age, op: ">=", value: 20}]}', "引文"),
        ("either", '{any: [{field: education, op: "==", value: 博士},'
                   ' {field: age, op: "<", value: 0}]}', "引文"),
        ("two-values", '{all: [{field: education, op: "==", value: 博士},'
                       ' {field: education, op: in, value: [硕士, 本科]}]}', "引文"),
        ("blank", '{not: {field: age, op: exists}}', "引文"),
        ("set", '{all: [{field: talent_programmes, op: contains, value: 顶尖人才},'
                ' {not: {field: talent_programmes, op: contains_any, value: [顶尖人才]}}]}', "引文"),
        ("no-quote", '{field: age, op: exists}', " "),
    )
    text = "\n".join(found)
    for clause_id in ("age-gap", "int-gap", "two-values", "blank", "set"):
        assert f" {clause_id}：条件永远无法同时满足" in text, clause_id
    for clause_id in ("fine", "either"):
        assert f" {clause_id}：" not in text, clause_id
    assert "no-quote：引文 quote 为空" in text
    assert "definitions.未使用的定义：定义未被任何条款使用" in text
    assert "definitions.青年人才" not in text
    assert "effective" not in text


def test_not_exists_can_hold_only_where_a_field_can_be_answered_none(tmp_path: Path) -> None:
    found = "\n".join(_lint(
        tmp_path,
        ("never-selected", '{not: {field: talent_selected_year, op: exists}}', "引文"),
        ("never-blank", '{not: {field: education, op: exists}}', "引文"),
    ))
    assert " never-blank：条件永远无法同时满足" in found
    assert " never-selected：" not in found


def test_a_document_must_say_when_and_why_it_is_in_force(tmp_path: Path) -> None:
    header = HEADER.replace("  effective: {start: 2024-01-01, basis: 自印发之日起施行}\n", "")
    (tmp_path / "t.yaml").write_text(header + CLAUSE.format(id="c", when="{ref: 青年人才}", quote="引文"),
                                     encoding="utf-8")
    found = [f for f in lint(Calculator.load(tmp_path).bundle) if "effective" in f.message]
    assert len(found) == 1 and found[0].severity == "error"
    assert found[0].message.startswith("未写明 effective") and "lint-doc" in found[0].where


def test_shipped_corpus_has_no_lint_errors(calc: Calculator) -> None:
    errors = [str(f) for f in lint(calc.bundle) if f.severity == "error"]
    assert errors == []
