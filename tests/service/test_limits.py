"""What keeps the service up under load and abuse, in-process: the screen limit (503 with
Retry-After), work off the event loop (``/healthz`` answers while evaluations block), body
read and reply send timeouts, bounded error replies, the streamed NDJSON screen, screens in
processes of their own, metrics and the JSON access log."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from calculator import Calculator, EvaluationError
from calculator.service import create_app
from calculator.service.limits import Limits
from calculator.service.request_body import MAX_PROBLEMS
from calculator.service.screens import ScreenProcesses

from ..apihelpers import AS_OF, SHIPPED, has_chinese, profile_json
from ..conftest import RULES
from .asgi import Exchange, call

PROFILES = [profile_json(path) for path in SHIPPED]


def _screen_body(profiles: list[dict[str, Any]]) -> bytes:
    return json.dumps({"profiles": profiles, "as_of": AS_OF}, ensure_ascii=False).encode()


def _lines(body: bytes) -> list[Any]:
    return [json.loads(line) for line in body.decode().splitlines()]


def test_a_screen_over_the_limit_is_503_with_retry_after(calc: Calculator) -> None:
    app = create_app(calc, limits=Limits(max_screens=1, screen_chunk=2, retry_after=7))
    ndjson = {"accept": "application/x-ndjson"}

    async def main() -> tuple[Exchange, Exchange, Exchange]:
        hold = anyio.Event()
        first = Exchange()
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: call(app, "POST", "/v1/screen", _screen_body(PROFILES),
                                          headers=ndjson, hold=hold, exchange=first))
            with anyio.fail_after(30):
                await first.started.wait()
            refused = await call(app, "POST", "/v1/screen", _screen_body(PROFILES[:1]), headers=ndjson)
            hold.set()
        after = await call(app, "POST", "/v1/screen", _screen_body(PROFILES[:1]), headers=ndjson)
        return first, refused, after

    first, refused, after = anyio.run(main)
    assert refused.status == 503 and refused.headers["retry-after"] == "7"
    error = refused.json()["error"]
    assert "7 秒后重试" in error["message"] and has_chinese(error["message"])
    # The screen that held the place finished in full, and the place was given back.
    assert first.status == 200 and len(_lines(first.body)) == len(PROFILES)
    assert after.status == 200 and len(_lines(after.body)) == 1


class Blocking(Calculator):
    """Evaluations wait until ``release`` is set; ``waiting`` counts those waiting."""

    def __init__(self, calc: Calculator) -> None:
        super().__init__(calc.bundle)
        self.release = threading.Event()
        self.waiting = 0

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        self.waiting += 1
        assert self.release.wait(30)
        return super().evaluate(*args, **kwargs)


def test_healthz_and_metrics_answer_while_every_evaluation_thread_is_busy(calc: Calculator) -> None:
    blocking = Blocking(calc)
    app = create_app(blocking, limits=Limits(eval_threads=2))
    body = json.dumps({"profile": PROFILES[0], "as_of": AS_OF}, ensure_ascii=False).encode()

    async def main() -> tuple[list[Exchange], Exchange, Exchange, int]:
        busy = [Exchange() for _ in range(3)]
        async with anyio.create_task_group() as group:
            for exchange in busy:
                group.start_soon(lambda e=exchange: call(app, "POST", "/v1/evaluate", body, exchange=e))
            with anyio.fail_after(10):
                while blocking.waiting < 2:
                    await anyio.sleep(0.01)
            with anyio.fail_after(10):  # bounded: this is the point of the test, not a timing
                health = await call(app, "GET", "/healthz")
                scraped = await call(app, "GET", "/metrics")
            still_waiting = sum(1 for e in busy if not e.finished.is_set())
            blocking.release.set()
        return busy, health, scraped, still_waiting

    busy, health, scraped, still_waiting = anyio.run(main)
    assert health.status == 200 and health.json()["status"] == "ok"
    assert scraped.status == 200
    assert still_waiting == 3  # healthz did not wait for any of them
    assert [e.status for e in busy] == [200, 200, 200]


def test_a_body_that_never_finishes_is_408(calc: Calculator) -> None:
    app = create_app(calc, limits=Limits(body_timeout=0.3))

    async def main() -> Exchange:
        with anyio.fail_after(10):
            return await call(app, "POST", "/v1/evaluate", b'{"profile": {"kind": ', body_complete=False)

    refused = anyio.run(main)
    assert refused.status == 408
    assert "0.3 秒内收完" in refused.json()["error"]["message"]


def test_a_client_that_stops_reading_gives_its_screen_place_back(calc: Calculator) -> None:
    app = create_app(calc, limits=Limits(max_screens=1, screen_chunk=1, send_timeout=0.3))
    ndjson = {"accept": "application/x-ndjson"}

    async def main() -> tuple[Exchange, Exchange]:
        never = anyio.Event()
        with anyio.fail_after(30):
            stalled = await call(app, "POST", "/v1/screen", _screen_body(PROFILES), headers=ndjson,
                                 hold=never)
            after = await call(app, "POST", "/v1/screen", _screen_body(PROFILES[:1]), headers=ndjson)
        return stalled, after

    stalled, after = anyio.run(main)
    assert stalled.status == 200 and len(stalled.body.splitlines()) < len(PROFILES)
    assert after.status == 200


@pytest.fixture(scope="module")
def client(calc: Calculator) -> Iterable[TestClient]:
    with TestClient(create_app(calc)) as test_client:
        yield test_client


def test_tens_of_thousands_of_mistakes_cost_a_bounded_reply(client: TestClient) -> None:
    keys = {f"u{i}": 0 for i in range(50_000)}
    response = client.post("/v1/evaluate", json={"profile": {"kind": "talent", "name": "甲"}, **keys})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["problem_count"] == 50_000
    assert len(error["problems"]) == MAX_PROBLEMS
    assert error["problems"][0]["field"] == "u0"
    assert "等共 50000 处" in error["message"]
    assert len(response.content) < 20_000


def test_a_profile_of_unknown_fields_is_named_without_explaining_each(client: TestClient) -> None:
    profile = {"kind": "company", "name": "甲", "revnue": "1亿", **{f"x{i}": 1 for i in range(5000)}}
    response = client.post("/v1/evaluate", json={"profile": profile})
    error = response.json()["error"]
    assert response.status_code == 422 and error["problem_count"] == 5001
    shown = {p["field"]: p["message"] for p in error["problems"]}
    assert len(shown) == MAX_PROBLEMS and "是否想写 revenue" in shown["profile.revnue"]


def test_a_batch_of_bad_profiles_lists_the_first_and_counts_all(client: TestClient) -> None:
    bad = [{"kind": "company", "name": f"甲{i}", "revenue": "很多"} for i in range(1000)]
    error = client.post("/v1/screen", json={"profiles": bad}).json()["error"]
    assert error["problem_count"] == 1000
    assert [p["field"] for p in error["problems"]] == [f"profiles[{i}].revenue" for i in range(MAX_PROBLEMS)]


def test_the_ndjson_screen_is_one_report_a_line(client: TestClient) -> None:
    response = client.post("/v1/screen", content=_screen_body(PROFILES),
                           headers={"content-type": "application/json", "accept": "application/x-ndjson"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.text.endswith("\n")
    reports = _lines(response.content)
    for profile, report in zip(PROFILES, reports, strict=True):
        alone = client.post("/v1/evaluate", json={"profile": profile, "as_of": AS_OF}).json()
        assert report == alone


def test_an_empty_screen_is_an_empty_list(client: TestClient) -> None:
    assert client.post("/v1/screen", json={"profiles": []}).json() == {"reports": []}
    response = client.post("/v1/screen", json={"profiles": []}, headers={"accept": "application/x-ndjson"})
    assert response.status_code == 200 and response.content == b""


class FailsOnSecond(Calculator):
    def evaluate(self, profile: Any, *args: Any, **kwargs: Any) -> Any:
        if profile.name == "坏":
            raise EvaluationError("条款 x：规则引擎与参考求值不一致；结果不可信，已停止")
        return super().evaluate(profile, *args, **kwargs)


def test_an_evaluation_error_mid_screen_ends_the_ndjson_reply_with_the_error(calc: Calculator) -> None:
    app = create_app(FailsOnSecond(calc.bundle), limits=Limits(screen_chunk=1))
    profiles = [{"kind": "talent", "name": "好"}, {"kind": "talent", "name": "坏"},
                {"kind": "talent", "name": "好"}]

    async def main() -> Exchange:
        return await call(app, "POST", "/v1/screen", _screen_body(profiles),
                          headers={"accept": "application/x-ndjson"})

    reply = anyio.run(main)
    lines = _lines(reply.body)
    assert reply.status == 200 and len(lines) == 2
    assert lines[0]["profile"]["name"] == "好"
    assert "结果不可信" in lines[1]["error"]["message"]

    async def as_json() -> Exchange:
        return await call(app, "POST", "/v1/screen", _screen_body(profiles))

    broken = anyio.run(as_json)
    assert broken.status == 200 and broken.body.startswith(b'{"reports":[')
    with pytest.raises(ValueError):  # the JSON reply is left unfinished: it cannot be mistaken
        json.loads(broken.body)


def test_screens_in_processes_of_their_own_give_the_same_reports(calc: Calculator,
                                                                client: TestClient) -> None:
    processes = ScreenProcesses(RULES, 1)
    try:
        with TestClient(create_app(calc, screen_processes=processes)) as apart:
            response = apart.post("/v1/screen", json={"profiles": PROFILES, "as_of": AS_OF})
        assert response.status_code == 200
        in_threads = client.post("/v1/screen", json={"profiles": PROFILES, "as_of": AS_OF})
        assert response.json() == in_threads.json()
    finally:
        processes.close()


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = client.get("/metrics").text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_requests_evaluations_and_errors(client: TestClient, calc: Calculator) -> None:
    before = _samples(client)
    client.post("/v1/evaluate", json={"profile": {"kind": "talent", "name": "甲"}, "as_of": AS_OF})
    client.post("/v1/evaluate", json={"profile": {"kind": "talent", "name": "甲", "x": 1}})
    after = _samples(client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("policycalc_http_requests_total", path="/v1/evaluate", method="POST", status="200") == 1
    assert grew("policycalc_http_requests_total", path="/v1/evaluate", method="POST", status="422") == 1
    assert grew("policycalc_evaluations_total", kind="talent") == 1
    assert grew("policycalc_http_request_duration_seconds_count", path="/v1/evaluate") == 2
    assert after[("policycalc_rules_info", (("rules_version", calc.rules_version),))] == 1
    # A scanner's paths do not grow the label set.
    client.get("/wp-admin/setup.php")
    assert ("policycalc_http_requests_total",
            (("method", "GET"), ("path", "other"), ("status", "404"))) in _samples(client)


def test_the_json_access_log_is_one_line_per_request(calc: Calculator,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(create_app(calc, json_access_log=True)) as logged, \
            caplog.at_level(logging.INFO, logger="policycalc.access"):
        logged.get("/healthz")
        logged.get("/v1/clauses/nope")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "policycalc.access"]
    assert [(line["path"], line["status"]) for line in lines] == [("/healthz", 200),
                                                                 ("/v1/clauses/nope", 404)]
    assert lines[1]["route"] == "/v1/clauses/{clause_id}" and lines[0]["ms"] >= 0
    assert lines[0]["bytes"] > 0 and lines[0]["client"]
