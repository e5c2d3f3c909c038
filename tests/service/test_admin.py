"""``POST /v1/admin/reload`` in-process: off without a token, refused with a wrong one
(compared in constant time), a bad bundle refused with its errors while the old rules keep
serving, a good one served from the next request; and reading the token from the
environment or a file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from calculator import Calculator
from calculator.base.errors import CalculatorError
from calculator.service import create_app
from calculator.service.server import admin_token

from ..conftest import RULES

TOKEN = "correct horse battery staple"
AWARD = "global-500-first-entry-award"


def _reload(client: TestClient, token: str | None = TOKEN) -> tuple[int, dict[str, object]]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = client.post("/v1/admin/reload", headers=headers)
    return response.status_code, response.json()


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    return copy


def test_without_a_token_reload_is_off(calc: Calculator) -> None:
    with TestClient(create_app(calc)) as client:
        status, body = _reload(client)
    assert status == 403 and "POLICYCALC_ADMIN_TOKEN" in str(body)


@pytest.mark.parametrize("given", [None, "", "wrong", TOKEN + "x", TOKEN[:-1]])
def test_a_missing_or_wrong_token_is_401(calc: Calculator, given: str | None) -> None:
    with TestClient(create_app(calc, admin_token=TOKEN)) as client:
        response = client.post("/v1/admin/reload",
                               headers={} if given is None else {"Authorization": f"Bearer {given}"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_a_bad_bundle_is_refused_and_a_good_one_served(rules: Path) -> None:
    calc = Calculator.load(rules)
    with TestClient(create_app(calc, rules=rules, admin_token=TOKEN)) as client:
        before = client.get("/healthz").json()["rules_version"]
        (rules / "broken.yaml").write_text("clauses:\n  - id: x\n    titel: 拼错的键\n", encoding="utf-8")
        status, body = _reload(client)
        assert status == 422
        problems = body["error"]["problems"]  # type: ignore[index]
        assert any("broken.yaml" in p["field"] for p in problems), problems
        assert client.get("/healthz").json()["rules_version"] == before
        assert client.get(f"/v1/clauses/{AWARD}").status_code == 200

        (rules / "broken.yaml").unlink()
        for path in rules.glob("zhongguo-gongyebao*.yaml"):
            path.unlink()
        status, body = _reload(client)
        assert status == 200 and body["status"] == "reloaded"
        assert body["rules_version"] == client.get("/healthz").json()["rules_version"] != before
        assert client.get(f"/v1/clauses/{AWARD}").status_code == 404
        metrics = client.get("/metrics").text
        assert f'policycalc_rules_info{{rules_version="{body["rules_version"]}"}} 1.0' in metrics
        assert f'rules_version="{before}"' not in metrics


def test_the_token_comes_from_a_file_or_the_environment(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLICYCALC_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("POLICYCALC_ADMIN_TOKEN_FILE", raising=False)
    assert admin_token() is None
    monkeypatch.setenv("POLICYCALC_ADMIN_TOKEN", "  from-env\n")
    assert admin_token() == "from-env"
    secret = tmp_path / "token"
    secret.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("POLICYCALC_ADMIN_TOKEN_FILE", str(secret))
    assert admin_token() == "from-file"  # the file wins
    secret.write_text("\n", encoding="utf-8")
    with pytest.raises(CalculatorError, match="是空的"):
        admin_token()
    with pytest.raises(CalculatorError, match="无法读取"):
        admin_token(str(tmp_path / "missing"))
