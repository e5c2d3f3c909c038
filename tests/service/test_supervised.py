"""``policycalc serve --workers 2`` as an operator runs it: connections that send nothing
or trickle are closed, rules change without a restart (SIGHUP, or the admin endpoint with a
token from a file) by replacing the worker processes, a bad bundle leaves the old rules
serving, and /metrics adds up every worker."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import RULES
from .serving import get_json, running_service

TOKEN = "s3cret-token"
WAIT_SECONDS = 90


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Path, Path]]:
    home = tmp_path_factory.mktemp("supervised")
    rules = home / "rules"
    shutil.copytree(RULES, rules)
    token = home / "token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    log = home / "server.log"
    with running_service(log, "--workers", "2", "--rules", str(rules), "--admin-token-file", str(token),
                         "--header-timeout", "1", "--json-access-log") as (base, process):
        yield base, process, rules, log


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and "spawn_main" in (entry / "cmdline").read_text(errors="replace"):
                found.add(int(entry.name))
    return found


def _until(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{WAIT_SECONDS} 秒内未{what}")
        time.sleep(0.2)


def _reload(base: str, token: str) -> tuple[int, Any]:
    request = urllib.request.Request(f"{base}/v1/admin/reload", method="POST", data=b"",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_silent_and_trickling_connections_are_closed(service: tuple[str, Any, Path, Path]) -> None:
    base = service[0]
    port = int(base.rsplit(":", 1)[1])
    silent = socket.create_connection(("127.0.0.1", port), timeout=10)
    trickle = socket.create_connection(("127.0.0.1", port), timeout=10)
    started = time.monotonic()
    try:
        trickle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the head never ends
        assert get_json(f"{base}/healthz")["status"] == "ok"
        assert silent.recv(1024) == b""  # closed by the service, not by our 10 s timeout
        assert trickle.recv(1024) == b""
        assert time.monotonic() - started < 9
    finally:
        silent.close()
        trickle.close()


def test_rules_change_without_a_restart(service: tuple[str, Any, Path, Path]) -> None:
    base, process, rules, log = service
    first = get_json(f"{base}/healthz")["rules_version"]
    workers = _children(process.pid)
    assert len(workers) == 2

    # A bad bundle, by the endpoint: refused with its errors, nothing replaced.
    broken = rules / "broken.yaml"
    broken.write_text("clauses:\n  - id: x\n    titel: 拼错的键\n", encoding="utf-8")
    assert _reload(base, "wrong")[0] == 401
    status, body = _reload(base, TOKEN)
    assert status == 422 and any("broken.yaml" in p["field"] for p in body["error"]["problems"])
    # ... and by SIGHUP: the replacement cannot load them, so the old worker stays.
    process.send_signal(signal.SIGHUP)
    _until("放弃替换", lambda: "aborting the restart" in log.read_text(encoding="utf-8"))
    said = log.read_text(encoding="utf-8")
    assert "无法加载规则" in said and "broken.yaml" in said
    assert get_json(f"{base}/healthz")["rules_version"] == first
    assert _children(process.pid) == workers

    # Good rules, by SIGHUP: every worker is replaced by one serving them.
    broken.unlink()
    for path in rules.glob("zhongguo-gongyebao*.yaml"):
        path.unlink()
    process.send_signal(signal.SIGHUP)
    _until("换上新规则", lambda: not (_children(process.pid) & workers) and len(_children(process.pid)) == 2)
    second = get_json(f"{base}/healthz")["rules_version"]
    assert second != first
    for _ in range(6):  # whichever worker answers
        assert get_json(f"{base}/healthz")["rules_version"] == second

    # By the endpoint: 202, and the workers are replaced again.
    shutil.copy(RULES / "zhongguo-gongyebao-2022-01-12.yaml", rules)
    replaced = _children(process.pid)
    status, body = _reload(base, TOKEN)
    assert status == 202 and body["status"] == "replacing" and body["rules_version"] == first
    _until("替换工作进程",
           lambda: not (_children(process.pid) & replaced) and len(_children(process.pid)) == 2)
    _until("显示新版本", lambda: get_json(f"{base}/healthz")["rules_version"] == first)
    assert "Traceback" not in log.read_text(encoding="utf-8")


def test_metrics_add_up_every_worker(service: tuple[str, Any, Path, Path]) -> None:
    base = service[0]

    def healthz_count() -> float:
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
            text = response.read().decode()
        line = next((x for x in text.splitlines() if x.startswith("policycalc_http_requests_total{")
                     and 'path="/healthz"' in x and 'status="200"' in x), None)
        return float(line.rsplit(" ", 1)[1]) if line else 0.0

    before = healthz_count()
    for _ in range(20):  # spread over both workers by the kernel
        get_json(f"{base}/healthz")
    assert healthz_count() == before + 20


def test_access_log_lines_are_json(service: tuple[str, Any, Path, Path]) -> None:
    base, _, _, log = service
    get_json(f"{base}/healthz")
    _until("写出访问日志", lambda: '"path": "/healthz"' in log.read_text(encoding="utf-8"))
    lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines() if x.startswith('{"time"')]
    assert lines and {"time", "method", "path", "status", "ms"} <= set(lines[-1])


def test_an_oversized_request_head_is_refused(service: tuple[str, Any, Path, Path]) -> None:
    base = service[0]
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 20_000 + b"\r\n\r\n")
        answer = connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
    assert "请求头过大" in answer.decode()
    assert get_json(f"{base}/healthz")["status"] == "ok"


def test_a_long_keep_alive_connection_is_closed_after_100_requests(
        service: tuple[str, Any, Path, Path]) -> None:
    import http.client

    port = int(service[0].rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        said = []
        for _ in range(100):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            said.append(response.getheader("connection"))
        # The 100th answer asks the client to connect again; none before it does.
        assert said[-1] == "close" and "close" not in said[:-1]
    finally:
        connection.close()
