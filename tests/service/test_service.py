"""The HTTP service in-process (the real app, the shipped rules): every endpoint, the same
report as ``policycalc check --json``, and a clear Chinese JSON error for every kind of
bad or hostile input, never a traceback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from calculator import Calculator, EvaluationError, ProfileError, RuleFileError, load_profile
from calculator.results.calculator import package_version
from calculator.service import create_app
from calculator.service.contract import MAX_SCREEN_PROFILES
from calculator.service.request_body import MAX_BODY_BYTES, MAX_DEPTH, nesting_depth

from ..apihelpers import AS_OF, SHIPPED, check_json, has_chinese, profile_json
from ..conftest import PROFILES, RULES

GLOBAL500 = PROFILES / "global500-first-entry.yaml"


@pytest.fixture(scope="module")
def client(calc: Calculator) -> Iterator[TestClient]:
    with TestClient(create_app(calc)) as test_client:
        yield test_client


def error_of(response: Response, status: int) -> dict[str, Any]:
    """The structured error of a refused request, after checking it is one."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text and 'File "' not in response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"message", "problems"} and has_chinese(error["message"])
    return error


def fields_of(error: dict[str, Any]) -> dict[str, str]:
    return {p["field"]: p["message"] for p in error["problems"]}


def evaluate(client: TestClient, profile: Any, **extra: Any) -> Response:
    return client.post("/v1/evaluate", json={"profile": profile, **extra})


# ---- the endpoints -----------------------------------------------------------------------

@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_evaluate_returns_exactly_the_check_json_report(client: TestClient, path: Path) -> None:
    response = evaluate(client, profile_json(path), as_of=AS_OF)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.json() == check_json(path)


def test_amounts_stay_decimal_strings(client: TestClient) -> None:
    report = evaluate(client, profile_json(GLOBAL500), as_of=AS_OF).json()
    award = next(r for r in report["results"] if r["clause_id"] == "global-500-first-entry-award")
    assert award["benefit"]["min"] == award["benefit"]["max"] == "30000000"
    assert isinstance(report["totals"]["min"], str)


def test_as_of_defaults_to_today(client: TestClient) -> None:
    report = evaluate(client, {"kind": "talent", "name": "张三"}).json()
    assert report["as_of"] == date.today().isoformat()
    assert evaluate(client, {"kind": "talent", "name": "张三"}, as_of=None).json()["as_of"] \
        == date.today().isoformat()


def test_screen_returns_one_report_per_profile_in_order(client: TestClient) -> None:
    profiles = [profile_json(path) for path in SHIPPED]
    response = client.post("/v1/screen", json={"profiles": profiles, "as_of": AS_OF})
    assert response.status_code == 200
    reports = response.json()["reports"]
    assert [r["profile"]["name"] for r in reports] == [p["name"] for p in profiles]
    for profile, report in zip(profiles, reports, strict=True):
        assert report == evaluate(client, profile, as_of=AS_OF).json()


def test_screen_refuses_more_than_the_documented_maximum(client: TestClient) -> None:
    profiles = [{"kind": "talent", "name": f"人{i}"} for i in range(MAX_SCREEN_PROFILES + 1)]
    error = error_of(client.post("/v1/screen", json={"profiles": profiles}), 422)
    assert f"最多 {MAX_SCREEN_PROFILES} 个" in fields_of(error)["profiles"]


def test_screen_names_the_bad_profile_by_index(client: TestClient) -> None:
    profiles = [{"kind": "company", "name": "甲"}, {"kind": "company", "name": "乙", "revenue": "很多"}]
    error = error_of(client.post("/v1/screen", json={"profiles": profiles}), 422)
    assert "无法识别的金额" in fields_of(error)["profiles[1].revenue"]


def test_clause_list_and_every_clause_detail(client: TestClient, calc: Calculator) -> None:
    listing = client.get("/v1/clauses").json()
    assert listing["rules_version"] == calc.rules_version
    assert [c["id"] for c in listing["clauses"]] == [r.id for r in calc.bundle.clauses]
    for summary in listing["clauses"]:
        detail = client.get(f"/v1/clauses/{summary['id']}").json()
        rule = calc.bundle.clause(summary["id"])
        assert {k: detail[k] for k in summary} == summary
        assert detail["quote"] == rule.clause.citation.quote and detail["conditions"]
    draft = next(c for c in listing["clauses"] if c["document_status"] == "draft")
    assert draft["document"]


def test_unknown_clause_is_404_with_a_suggestion(client: TestClient) -> None:
    error = error_of(client.get("/v1/clauses/global-500-first-entry-awrd"), 404)
    assert "是否想写 global-500-first-entry-award" in fields_of(error)["clause_id"]


def test_healthz_names_rules_and_package_versions(client: TestClient, calc: Calculator) -> None:
    health = client.get("/healthz").json()
    assert health == {"status": "ok", "rules_version": calc.rules_version,
                      "engine_version": package_version(), "clauses": len(calc.bundle.clauses)}


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert {"/v1/evaluate", "/v1/screen", "/v1/clauses", "/v1/clauses/{clause_id}", "/healthz"} \
        <= set(spec["paths"])
    body = spec["paths"]["/v1/evaluate"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/EvaluateRequest"}
    assert client.get("/docs").status_code == 200


def test_a_reload_serves_the_new_rules_on_the_next_request(tmp_path: Path) -> None:
    calc = Calculator.load(RULES)
    with TestClient(create_app(calc)) as own:
        before = own.get("/healthz").json()["rules_version"]
        (tmp_path / "rules").mkdir()
        for rule_file in RULES.glob("*.yaml"):
            if "zhongguo-gongyebao" not in rule_file.name:
                (tmp_path / "rules" / rule_file.name).write_bytes(rule_file.read_bytes())
        calc.reload(tmp_path / "rules")
        assert own.get("/healthz").json()["rules_version"] not in (before, None)
        error_of(own.get("/v1/clauses/global-500-first-entry-award"), 404)


# ---- bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value", "expected"), [
    ("employees", "很多", "应为整数"),
    ("employees", 5.5, "应为整数"),
    ("employees", -1, "≥ 0"),
    ("founded_on", 20200101, "应为日期"),
    ("founded_on", "2020-02-30", "应为日期"),
    ("foreign_invested", 1, "应为 true 或 false"),
    ("qualifications", "专精特新", "应为列表"),
    ("district", "苏州", "允许的值"),
    ("revenue", "很多", "无法识别的金额"),
    ("revenue", -5, "不能为负"),
    ("revenue", 1.001, "最多两位小数"),
    ("credit_code", "91320500MA1XY3000A", "校验位错误"),
])
def test_wrong_types_and_values_name_the_field(client: TestClient, field: str, value: Any,
                                               expected: str) -> None:
    error = error_of(evaluate(client, {"kind": "company", "name": "示例", field: value}), 422)
    assert expected in fields_of(error)[f"profile.{field}"]


def test_unknown_fields_are_refused_with_a_suggestion(client: TestClient) -> None:
    error = error_of(evaluate(client, {"kind": "company", "name": "示例", "revnue": "1亿"}), 422)
    assert "是否想写 revenue" in fields_of(error)["profile.revnue"]
    error = error_of(client.post("/v1/evaluate", json={"profile": {"kind": "talent", "name": "甲"},
                                                       "as_off": "2025-06-30"}), 422)
    assert "是否想写 as_of" in fields_of(error)["as_off"]


@pytest.mark.parametrize(("profile", "expected"), [
    ({"name": "无类型"}, "缺少 kind"),
    ({"kind": "compny", "name": "甲"}, "是否想写 company"),
    ({"kind": {"a": 1}, "name": "甲"}, "应为 company"),
    ({"kind": "company"}, "缺少必填项 name"),
])
def test_missing_or_wrong_kind_and_name(client: TestClient, profile: Any, expected: str) -> None:
    error = error_of(evaluate(client, profile), 422)
    assert any(expected in message for message in fields_of(error).values()), error


def test_every_problem_is_reported_at_once(client: TestClient) -> None:
    response = client.post("/v1/evaluate", json={
        "profile": {"kind": "company", "name": "甲", "employees": "x", "revenue": "y"},
        "as_of": "2026-13-01", "extra": 1})
    assert set(fields_of(error_of(response, 422))) == {
        "profile.employees", "profile.revenue", "as_of", "extra"}


@pytest.mark.parametrize(("body", "expected"), [
    (b'{"profile": {"kind": "company",}}', "第 1 行第 32 列"),
    (b"", "请求体为空"),
    (b"\xff\xfe{}", "UTF-8"),
    (b'{"profile": {"kind": "company", "name": "a", "name": "b"}}', "重复的键 name"),
    (b'{"profile": {"kind": "company", "name": "a", "employees": NaN}}', "NaN"),
    (b'{"profile": {"kind": "company", "name": "\\ud800"}}', "代理项"),
    (b'{"profile": {"kind": "company", "name": "a", "employees": 1' + b"0" * 5000 + b"}}",
     "位数过多"),
    (b'{"profile": {"kind": "company", "name": "a"}} trailing', "多余内容"),
])
def test_malformed_json_is_400(client: TestClient, body: bytes, expected: str) -> None:
    response = client.post("/v1/evaluate", content=body, headers={"content-type": "application/json"})
    assert expected in error_of(response, 400)["message"]


def test_a_body_that_is_not_an_object_is_422(client: TestClient) -> None:
    assert "JSON 对象" in error_of(client.post("/v1/evaluate", json=[1, 2]), 422)["message"]
    error = error_of(client.post("/v1/screen", json={"profiles": {"kind": "company"}}), 422)
    assert "应为档案列表" in fields_of(error)["profiles"]


def test_deep_nesting_is_refused_before_parsing(client: TestClient) -> None:
    depth = 100_000
    body = b'{"profile": ' + b"[" * depth + b"]" * depth + b"}"
    started = time.monotonic()
    response = client.post("/v1/evaluate", content=body, headers={"content-type": "application/json"})
    assert f"嵌套过深：最多 {MAX_DEPTH} 层" in error_of(response, 400)["message"]
    assert time.monotonic() - started < 2
    # Brackets inside a string are text, not nesting.
    assert evaluate(client, {"kind": "talent", "name": "[" * 1000}).status_code == 200


def test_nesting_is_counted_outside_strings_only() -> None:
    assert nesting_depth('{"a": [1, {"b": "\\"[[[{{"}]}', MAX_DEPTH) == 3
    assert nesting_depth("[" * 1000, 5) == 6  # stops counting once over the limit


def test_a_body_over_the_limit_is_413(client: TestClient) -> None:
    padding = "x" * MAX_BODY_BYTES
    error = error_of(evaluate(client, {"kind": "talent", "name": padding}), 413)
    assert str(MAX_BODY_BYTES) in error["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the service must count
        yield b'{"profile": {"kind": "talent", "name": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b"x" * 65536
        yield b'"}}'

    response = client.post("/v1/evaluate", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    error_of(response, 413)


def test_the_body_limit_is_configurable(calc: Calculator) -> None:
    with TestClient(create_app(calc, max_body_bytes=200)) as small:
        assert evaluate(small, {"kind": "talent", "name": "甲"}).status_code == 200
        error_of(evaluate(small, {"kind": "talent", "name": "甲" * 200}), 413)


def test_a_body_that_is_not_json_is_415(client: TestClient) -> None:
    response = client.post("/v1/evaluate", content=b"kind=company", headers={
        "content-type": "application/x-www-form-urlencoded"})
    assert "application/json" in error_of(response, 415)["message"]


def test_unknown_paths_and_methods_get_json_errors(client: TestClient) -> None:
    assert "是否想写 /v1/clauses" in error_of(client.get("/v1/clause"), 404)["message"]
    response = client.delete("/v1/evaluate")
    error_of(response, 405)
    assert response.headers["allow"] == "POST"


def test_an_evaluation_error_is_500_with_its_message(calc: Calculator) -> None:
    class Untrustworthy(Calculator):
        def evaluate(self, *args: Any, **kwargs: Any) -> Any:
            raise EvaluationError("条款 x：规则引擎与参考求值不一致；结果不可信，已停止")

    with TestClient(create_app(Untrustworthy(calc.bundle))) as broken:
        error = error_of(evaluate(broken, {"kind": "talent", "name": "甲"}), 500)
    assert "结果不可信" in error["message"]


def test_an_unexpected_exception_reveals_nothing(calc: Calculator) -> None:
    class Failing(Calculator):
        def evaluate(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("secret /srv/internal/path")

    with TestClient(create_app(Failing(calc.bundle)), raise_server_exceptions=False) as broken:
        response = broken.post("/v1/evaluate", json={"profile": {"kind": "talent", "name": "甲"}})
    error = error_of(response, 500)
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert "服务器内部错误" in error["message"]


# ---- YAML alias bombs --------------------------------------------------------------------

BILLION_LAUGHS = "".join(
    ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)])


def test_a_profile_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("kind: company\nname: 炸弹\n" + BILLION_LAUGHS, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ProfileError) as info:
        load_profile(bomb)
    assert time.monotonic() - started < 1
    assert "锚点/别名" in str(info.value) and "bomb.yaml:4" in str(info.value)


def test_a_rule_file_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(RuleFileError) as info:
        Calculator.load(tmp_path)
    assert time.monotonic() - started < 1
    assert "锚点/别名" in str(info.value)


def test_a_json_profile_file_gives_the_same_report_as_the_request(client: TestClient,
                                                                 tmp_path: Path) -> None:
    as_json = tmp_path / "profile.json"
    as_json.write_text(json.dumps(profile_json(GLOBAL500), ensure_ascii=False), encoding="utf-8")
    assert check_json(as_json) == evaluate(client, profile_json(GLOBAL500), as_of=AS_OF).json()
