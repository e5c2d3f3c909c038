"""The self-check page's form handling in-process (the browser tests drive it in Chromium):
the answers travel in the hidden state and are read again, 无 is an explicit no, mistakes
and tampering are named in Chinese, and the page asks for nothing from outside."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from calculator import Calculator
from calculator.service import create_app

START = {"kind": "company", "name": "苏州恒远新材料集团有限公司", "as_of": "2025-06-30"}


@pytest.fixture(scope="module")
def client(calc: Calculator) -> Iterator[TestClient]:
    with TestClient(create_app(calc)) as test_client:
        yield test_client


def _state(response: Response) -> dict[str, object]:
    found = re.search(r'name="state" value="([^"]*)"', response.text)
    assert found, response.text[:500]
    state: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return state


def test_the_start_page_is_chinese_and_self_contained(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert re.findall(r'(?:src|href)="(https?:)?//', page.text) == []
    assert client.get("/static/selfcheck.css").status_code == 200


def test_answers_are_carried_and_read_again(client: TestClient) -> None:
    first = client.post("/check", data=START)
    assert first.status_code == 200 and 'id="q-district"' in first.text
    state = json.dumps(_state(first), ensure_ascii=False)
    second = client.post("/check", data={"state": state, "q.district": "吴江区",
                                         "q.global500_first_entry_year": "2024",
                                         "q.qualifications": "无"})
    carried = _state(second)
    assert carried["answers"] == {"district": "吴江区", "global500_first_entry_year": "2024",
                                  "qualifications": "无"}
    assert 'id="clause-global-500-first-entry-award"' in second.text
    assert "status-eligible" in second.text.split('id="clause-global-500-first-entry-award"')[0][-200:]
    assert "qualifications" not in re.findall(r'id="question-([a-z0-9_]+)"', second.text)


def test_a_mistake_is_named_and_a_date_after_as_of_is_taken_back(client: TestClient) -> None:
    state = json.dumps(_state(client.post("/check", data=START)), ensure_ascii=False)
    page = client.post("/check", data={"state": state, "q.global500_first_entry_year": "2030"})
    assert page.status_code == 200 and 'role="alert"' in page.text
    assert "晚于评估日期" in page.text
    assert "global500_first_entry_year" not in _state(page)["answers"]  # type: ignore[operator]


@pytest.mark.parametrize("form", [
    {"kind": "robot", "name": "甲"},
    {"kind": "company", "name": ""},
    {"kind": "company", "name": "甲", "as_of": "2025-13-01"},
    {"state": '{"kind": "company", "name": "甲", "answers": {"no_such_field": "1"}}'},
])
def test_wrong_or_tampered_forms_are_refused_in_chinese(client: TestClient, form: dict[str, str]) -> None:
    page = client.post("/check", data=form)
    assert 'role="alert"' in page.text
    assert "Traceback" not in page.text
    alert = page.text.split('role="alert"')[1][:400]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in alert)


def test_a_form_that_is_not_a_form_is_refused(client: TestClient) -> None:
    page = client.post("/check", content=b"{}", headers={"content-type": "application/json"})
    assert page.status_code == 415 and "表单应为" in page.text


def test_the_printable_report_has_the_award(client: TestClient) -> None:
    state = {"kind": "company", "name": "甲集团", "as_of": "2025-06-30",
             "answers": {"district": "吴江区", "global500_first_entry_year": "2024"}, "skipped": []}
    page = client.post("/report", data={"state": json.dumps(state, ensure_ascii=False), "action": "report"})
    assert page.status_code == 200 and "3000万元" in page.text
    assert "政策自查报告" in page.text


def test_a_form_of_too_many_fields_is_refused(client: TestClient) -> None:
    page = client.post("/check", content="&".join(f"q.x{i}=1" for i in range(600)).encode(),
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert page.status_code == 422 and "字段过多" in page.text
