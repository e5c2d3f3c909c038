"""Prometheus metrics of the service, and the optional JSON access log.

Metrics are module-level (one set per process, shared by every app in it). When
``PROMETHEUS_MULTIPROC_DIR`` is set (``policycalc serve`` sets it for its worker
processes), each process writes its values there and ``/metrics`` adds them up, so one
scrape sees the whole service whichever worker answers it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from datetime import datetime, timezone
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUESTS = Counter("policycalc_http_requests_total", "HTTP 请求数（按接口、方法、状态码）",
                   ["path", "method", "status"])
LATENCY = Histogram("policycalc_http_request_duration_seconds", "HTTP 请求用时（秒，至响应结束）",
                    ["path"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
IN_FLIGHT = Gauge("policycalc_http_requests_in_flight", "正在处理的 HTTP 请求数",
                  multiprocess_mode="livesum")
EVALUATIONS = Counter("policycalc_evaluations_total", "评估的档案数（按档案类型）", ["kind"])
ERRORS = Counter("policycalc_errors_total", "服务端错误（按种类：evaluation 结果不可信，internal 意外错误）",
                 ["kind"])
REFUSED = Counter("policycalc_refused_total", "因繁忙而拒绝（503）的请求数（按接口）", ["path"])
RELOADS = Counter("policycalc_reloads_total", "更换规则的次数（按结果）", ["outcome"])
RULES = Gauge("policycalc_rules_info", "正在使用的规则版本（值恒为 1）", ["rules_version"],
              multiprocess_mode="liveall")

_shown_version: list[str] = []
access_log = logging.getLogger("policycalc.access")


def show_rules_version(version: str) -> None:
    """Make ``policycalc_rules_info`` name ``version`` (and no longer the previous one)."""
    for old in _shown_version:
        if old != version:
            RULES.remove(old)
    _shown_version[:] = [version]
    RULES.labels(version).set(1)


def exposition() -> tuple[bytes, str]:
    """The body and content type of ``GET /metrics``."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def process_exited(pid: int) -> None:
    """Forget the live gauges of a worker that has exited (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        prometheus_multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class Observe:
    """ASGI middleware: counts and times every request by its route (paths not served
    are counted as ``other``, so a scanner cannot grow the label set), and writes one
    JSON line per request to the ``policycalc.access`` log when ``json_log`` is set."""

    def __init__(self, app: ASGIApp, paths: Collection[str], json_log: bool = False) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.json_log = json_log

    def _route(self, path: str) -> str:
        if path in self.paths:
            return path
        if path.startswith("/v1/clauses/"):
            return "/v1/clauses/{clause_id}"
        if path.startswith("/static/"):
            return "/static"
        return "other"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]
        sent = [0]

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                sent[0] += len(message.get("body", b""))
            await send(message)

        route = self._route(scope["path"])
        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, observed)
        finally:
            IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            REQUESTS.labels(route, scope["method"], str(status[0])).inc()
            LATENCY.labels(route).observe(elapsed)
            if self.json_log:
                client = scope.get("client")
                access_log.info(json.dumps({
                    "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                    "client": f"{client[0]}:{client[1]}" if client else None,
                    "method": scope["method"], "path": scope["path"], "route": route,
                    "status": status[0], "bytes": sent[0], "ms": round(elapsed * 1000, 2),
                }, ensure_ascii=False))
