"""The published JSON Schemas: they accept every shipped profile and every report, and
what they accept is what the service accepts, apart from the few documented checks a
JSON Schema cannot express."""

from __future__ import annotations

import json
import random
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from calculator import Calculator, ProfileError, parse_profile
from calculator.service import create_app
from calculator.service.contract import openapi_components, profile_schema, report_schema
from cli import app as cli_app

from ..apihelpers import SHIPPED, check_json, profile_json
from ..randomprofiles import random_profile_data

PROFILE = Draft202012Validator(profile_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
REPORT = Draft202012Validator(report_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
VALID_CODE = "91320500MA1XY3000U"


def errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def test_the_schemas_are_valid_json_schemas() -> None:
    Draft202012Validator.check_schema(profile_schema())
    Draft202012Validator.check_schema(report_schema())


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_profile_and_its_report_fit_the_schemas(path: Any) -> None:
    assert errors(PROFILE, profile_json(path)) == []
    assert errors(REPORT, check_json(path)) == []


def _as_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def test_random_valid_profiles_fit_the_profile_schema() -> None:
    rng = random.Random(5)
    for _ in range(300):
        data = {k: _as_json(v) for k, v in random_profile_data(rng, missing=0.2).items()}
        assert errors(PROFILE, data) == [], data


def test_the_report_schema_rejects_a_number_where_an_amount_string_belongs() -> None:
    report = check_json(SHIPPED[0])
    report["totals"]["min"] = 30000000
    assert errors(REPORT, report)


def test_policycalc_schema_prints_the_same_schemas() -> None:
    for name, schema in (("profile", profile_schema()), ("report", report_schema())):
        result = CliRunner().invoke(cli_app, ["schema", name])
        assert result.exit_code == 0 and json.loads(result.output) == schema
    result = CliRunner().invoke(cli_app, ["schema", "profle"])
    assert result.exit_code == 1 and "是否想写 profile" in result.output


def test_openapi_uses_the_same_schemas() -> None:
    components = openapi_components()
    for name, schema in profile_schema()["$defs"].items():
        as_component = json.loads(json.dumps(schema).replace("#/$defs/", "#/components/schemas/"))
        assert components[name] == as_component


def test_json_typed_parsing_refuses_values_json_cannot_hold() -> None:
    for value in (date(2020, 1, 1), float("nan")):
        with pytest.raises(ProfileError, match="JSON 之外的值"):
            parse_profile({"kind": "company", "name": "甲", "founded_on": value}, json_types=True)
    lenient = parse_profile({"kind": "company", "name": "甲", "founded_on": date(2020, 1, 1)})
    assert lenient.founded_on == date(2020, 1, 1)


# (field, JSON value): schema and service agree on every one of these.
AGREED = [
    ("revenue", "3000万", True), ("revenue", "1.2亿", True), ("revenue", "3000万元", True),
    ("revenue", 5000000, True), ("revenue", 12.5, True), ("revenue", "1,200,000", True),
    ("revenue", "12.34", True), ("revenue", "1.2345万", True), ("revenue", "99999999999999999999", True),
    ("revenue", None, True), ("revenue", -1, False), ("revenue", "-1", False), ("revenue", "很多", False),
    ("revenue", "12.345", False), ("revenue", "1.2345678万", False), ("revenue", True, False),
    ("revenue", "1e5", False), ("revenue", 1e21, False), ("revenue", "1000000000001亿", False),
    ("employees", 5, True), ("employees", 5.0, True), ("employees", "5", False),
    ("employees", 5.5, False), ("employees", -1, False), ("employees", True, False),
    ("global500_first_entry_year", 2024, True), ("global500_first_entry_year", 1899, False),
    ("founded_on", "2020-01-01", True), ("founded_on", "2020-1-1", False),
    ("founded_on", "20200101", False), ("founded_on", "2020-02-30", False), ("founded_on", 0, False),
    ("founded_on", "2020-01-01T00:00:00", False),
    ("foreign_invested", True, True), ("foreign_invested", 1, False), ("foreign_invested", "true", False),
    ("qualifications", ["专精特新"], True), ("qualifications", ["专精特新", "专精特新"], True),
    ("qualifications", [], True), ("qualifications", "专精特新", False), ("qualifications", ["x"], False),
    ("district", "吴江区", True), ("district", "苏州", False),
    ("credit_code", VALID_CODE, True), ("credit_code", "91320500MA1XY3000", False),
    ("credit_code", "91320500MA1XY3000I", False), ("credit_code", 12, False),
    ("name", "", False), ("name", 5, False), ("kind", "compny", False), ("nope", 1, False),
]
TALENT_AGREED = [
    ("equity_share", 62, True), ("equity_share", 12.5, True), ("equity_share", "62.5", True),
    ("equity_share", "100", True), ("equity_share", 100.5, False), ("equity_share", "100.5", False),
    ("equity_share", "abc", False), ("equity_share", -1, False),
]
# Valid by the schema, refused by the service: checks a JSON Schema cannot state.
SCHEMA_ONLY = [
    ("company", "credit_code", "91320500MA1XY3000A"),   # wrong check digit
    ("company", "revenue", 1.001),                       # more than two decimals, as a number
    ("talent", "equity_share", 12.34567),                # more than four decimals, as a number
]
# Accepted by the service though outside the schema: lenient spellings, not promised.
SERVICE_ONLY = [
    ("company", "credit_code", VALID_CODE.lower()), ("company", "revenue", " 3000 万 "),
    ("company", "revenue", "+5"), ("talent", "equity_share", " 5 "),
]


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(create_app(Calculator.load())) as test_client:
        yield test_client


def _verdicts(client: TestClient, kind: str, field: str, value: Any) -> tuple[bool, bool]:
    profile = {"kind": kind, "name": "示例", field: value}
    if field == "name":
        profile["name"] = value
    if field == "kind":
        profile["kind"] = value
    by_schema = not errors(PROFILE, profile)
    response = client.post("/v1/evaluate", json={"profile": profile, "as_of": "2025-06-30"})
    assert response.status_code in (200, 422), response.text
    return by_schema, response.status_code == 200


@pytest.mark.parametrize(("kind", "field", "value", "valid"),
                         [("company", *case) for case in AGREED]
                         + [("talent", *case) for case in TALENT_AGREED])
def test_schema_and_service_agree(client: TestClient, kind: str, field: str, value: Any,
                                  valid: bool) -> None:
    assert _verdicts(client, kind, field, value) == (valid, valid)


@pytest.mark.parametrize(("kind", "field", "value"), SCHEMA_ONLY)
def test_the_documented_checks_beyond_the_schema(client: TestClient, kind: str, field: str,
                                                 value: Any) -> None:
    assert _verdicts(client, kind, field, value) == (True, False)


@pytest.mark.parametrize(("kind", "field", "value"), SERVICE_ONLY)
def test_lenient_spellings_beyond_the_schema(client: TestClient, kind: str, field: str,
                                             value: Any) -> None:
    assert _verdicts(client, kind, field, value) == (False, True)
