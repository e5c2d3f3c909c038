"""``policycalc serve``: uvicorn with the limits a public-facing service needs, worker
processes under a supervisor, and rule reloads by replacing those processes.

- HTTP: uvicorn over httptools (a C parser), or h11 on request; both guarded as below.
- Connections: a request's headers must arrive within ``header_timeout`` seconds of the
  connection opening or of the previous response (uvicorn by itself waits for ever on a
  silent or trickling client); idle keep-alive connections close after ``keep_alive``;
  header size is capped (h11); past ``limit_concurrency`` connections or requests per
  process the answer is 503; bodies have their own read timeout (``Limits``).
- Processes: the supervisor (this process) holds the listening socket and runs
  ``workers`` worker processes, each loading the rules itself; a worker that dies is
  replaced.
- Reload: ``SIGHUP`` to the supervisor, or ``POST /v1/admin/reload`` (which checks the new
  rules first and answers 422 with their errors if they are wrong), replaces the workers
  one at a time: each replacement loads the rules and starts serving before the worker it
  replaces stops taking connections and finishes its requests. A replacement that cannot
  load the rules is stopped and the old worker keeps serving. Memory does not grow with
  reloads (durable-rules never frees a ruleset; a fresh process has none to free).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors.multiprocess import Multiprocess

from ..base.errors import CalculatorError, RuleFileError
from ..results.calculator import Calculator, settle_loaded, shipped_rules
from ..rules.loading import load_bundle
from . import metrics
from .app import create_app
from .limits import Limits
from .reloading import Reloaded
from .screens import ScreenProcesses

log = logging.getLogger("policycalc.service")

OPTIONS_VARIABLE = "POLICYCALC_SERVE_OPTIONS"
TOKEN_VARIABLE = "POLICYCALC_ADMIN_TOKEN"
TOKEN_FILE_VARIABLE = "POLICYCALC_ADMIN_TOKEN_FILE"
AccessLog = Literal["text", "json", "off"]


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    rules: str | None = None
    #: seconds for a request's headers to arrive (from the connection or the last response)
    header_timeout: float = 10.0
    #: seconds an idle keep-alive connection stays open
    keep_alive: int = 5
    #: connections plus requests one worker holds before it answers 503
    limit_concurrency: int = 1000
    #: connections the kernel queues before the workers accept them
    backlog: int = 2048
    #: largest request head (request line and headers), bytes
    max_header_bytes: int = 16 * 1024
    #: requests one keep-alive connection may carry before the answer closes it
    max_requests_per_connection: int = 100
    #: seconds a stopping worker (shutdown, reload) gives its requests to finish
    graceful_timeout: int = 30
    access_log: AccessLog = "text"
    #: ``httptools`` (C parser) or ``h11`` (pure Python)
    http: Literal["httptools", "h11"] = "httptools"
    #: a file holding the admin token (else ``POLICYCALC_ADMIN_TOKEN``)
    token_file: str | None = None
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if not self.header_timeout > 0:
            raise CalculatorError(f"--header-timeout 应大于 0 秒，实际为 {self.header_timeout}")
        if self.workers < 1:
            raise CalculatorError(f"--workers 至少为 1，实际为 {self.workers}")
        if self.http not in PROTOCOLS:
            raise CalculatorError(f"HTTP 解析应为 httptools 或 h11，实际为 {self.http}")
        if self.access_log not in ("text", "json", "off"):
            raise CalculatorError(f"访问日志应为 text、json 或 off，实际为 {self.access_log}")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        data: dict[str, Any] = json.loads(text)
        return cls(**{**data, "limits": Limits(**data["limits"])})


def admin_token(token_file: str | None = None) -> str | None:
    """The admin token: the first line of ``token_file`` (or of the file named by
    ``POLICYCALC_ADMIN_TOKEN_FILE``), else ``POLICYCALC_ADMIN_TOKEN``; ``None`` when none
    is configured. A configured but empty or unreadable token is an error."""
    path = token_file or os.environ.get(TOKEN_FILE_VARIABLE)
    if path:
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except OSError as err:
            raise CalculatorError(f"无法读取管理令牌文件 {path}：{err.strerror}") from None
        if not token:
            raise CalculatorError(f"管理令牌文件 {path} 是空的")
        return token
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    return token or None


class _HeadGuard:
    """A deadline and a size limit for each request's head, and a cap on the requests of
    one connection, for uvicorn's HTTP protocols:
    a client that connects and sends nothing, or trickles its headers, is disconnected; a
    head larger than ``max_header_bytes`` is answered 431 (h11's own limit applies only to
    a head that arrives in pieces; httptools has none)."""

    header_timeout = 10.0
    max_header_bytes = 16 * 1024
    #: after this many requests the answer says ``Connection: close``: the client connects
    #: again and the kernel hands the new connection to whichever worker accepts first, so
    #: long keep-alive connections do not pile up on one worker
    max_requests = 100
    cycle: Any
    transport: Any
    loop: Any

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._seen: object = None
        self._awaiting_head = True
        self._head_bytes = 0
        self._requests = 0
        self._deadline: Any = self.loop.call_later(self.header_timeout, self._too_slow)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_head:
            end = data.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else end
            if self._head_bytes > self.max_header_bytes:
                self._refuse_head()
                return
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not self._seen:  # a request's headers are complete
            self._seen = self.cycle
            self._awaiting_head = False
            self._deadline.cancel()
            self._requests += 1
            if self._requests >= self.max_requests and self.cycle is not None:
                self.cycle.keep_alive = False  # before the response starts

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():
            self._awaiting_head, self._head_bytes = True, 0
            self._deadline.cancel()
            self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _refuse_head(self) -> None:
        text = f"请求头过大：上限 {self.max_header_bytes} 字节".encode()
        self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                             b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                             b"content-length: " + str(len(text)).encode() + b"\r\n\r\n" + text)
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline.cancel()
        super().connection_lost(exc)  # type: ignore[misc]

    def _too_slow(self) -> None:
        if self.cycle is self._seen and not self.transport.is_closing():
            self.transport.close()


class GuardedH11Protocol(_HeadGuard, H11Protocol):
    """uvicorn's pure-Python HTTP/1.1 protocol (h11), guarded."""


class GuardedHttpToolsProtocol(_HeadGuard, HttpToolsProtocol):
    """uvicorn's protocol over httptools (llhttp, in C), guarded: the default."""


PROTOCOLS: dict[str, type[asyncio.Protocol]] = {"httptools": GuardedHttpToolsProtocol,
                                                "h11": GuardedH11Protocol}


def _raise_file_limit() -> None:
    """Let the process hold as many connections as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _supervised_reloader(rules: str | None) -> Callable[[], Reloaded]:
    def reload() -> Reloaded:
        bundle = load_bundle(rules or shipped_rules())  # RuleFileError: nothing changes
        os.kill(os.getppid(), signal.SIGHUP)
        return Reloaded("replacing", bundle.version)

    return reload


def worker_app() -> FastAPI:
    """The app of one worker process (an ASGI factory uvicorn calls in the worker)."""
    options = ServeOptions.from_json(os.environ[OPTIONS_VARIABLE])
    # The event loop waits for the GIL at most this long when a thread holds it (5 ms by
    # default): short requests and /healthz answer sooner while evaluations run.
    sys.setswitchinterval(0.001)
    _HeadGuard.header_timeout = options.header_timeout
    _HeadGuard.max_header_bytes = options.max_header_bytes
    _HeadGuard.max_requests = options.max_requests_per_connection
    own = logging.getLogger("policycalc")
    if not own.handlers:
        said = logging.StreamHandler(sys.stderr)
        said.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        own.addHandler(said)
        own.setLevel(logging.INFO)
    if options.access_log == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        metrics.access_log.addHandler(handler)
        metrics.access_log.setLevel(logging.INFO)
        metrics.access_log.propagate = False
    screens = ScreenProcesses(options.rules, options.limits.max_screens)
    try:
        calculator = Calculator.load(options.rules)
        screens.start(calculator.rules_version)
    except RuleFileError as err:
        # A replacement that cannot load the rules: the supervisor keeps the old worker.
        log.error("工作进程 %s 无法加载规则，不启动：\n%s", os.getpid(), err)
        screens.close()
        raise SystemExit(STARTUP_FAILURE) from None
    settle_loaded()
    log.info("工作进程 %s 已加载规则 %s", os.getpid(), calculator.rules_version)
    return create_app(calculator, limits=options.limits, rules=options.rules,
                      admin_token=admin_token(options.token_file),
                      reloader=_supervised_reloader(options.rules),
                      json_access_log=options.access_log == "json", screen_processes=screens)


class _Supervisor(Multiprocess):
    def handle_hup(self) -> None:
        log.warning("收到 SIGHUP：逐个替换工作进程以加载新规则；新进程加载失败时保留旧进程")
        before = {p.pid for p in self.processes}
        self.restart_all()
        self._forget(before)

    def keep_subprocess_alive(self) -> None:
        before = {p.pid for p in self.processes}
        super().keep_subprocess_alive()
        self._forget(before)

    def _forget(self, before: set[int | None]) -> None:
        for pid in before - {p.pid for p in self.processes}:
            if pid is not None:
                metrics.process_exited(pid)


def check_rules(rules: str | None) -> str:
    """Load and check the rules once, before any worker starts; their version."""
    return load_bundle(rules or shipped_rules()).version


def serve(options: ServeOptions, announce: Callable[[str], None] = print) -> None:
    """Check the rules, then run the service until SIGINT or SIGTERM. ``announce`` gets
    one line saying where it listens."""
    version = check_rules(options.rules)
    admin_token(options.token_file)  # a configured but unreadable token stops here
    _raise_file_limit()
    os.environ[OPTIONS_VARIABLE] = options.to_json()
    metrics_dir = tempfile.mkdtemp(prefix="policycalc-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    config = uvicorn.Config(
        "calculator.service.server:worker_app", factory=True, host=options.host, port=options.port,
        workers=options.workers, http=PROTOCOLS[options.http], timeout_keep_alive=options.keep_alive,
        limit_concurrency=options.limit_concurrency, backlog=options.backlog,
        h11_max_incomplete_event_size=options.max_header_bytes,
        timeout_graceful_shutdown=options.graceful_timeout, timeout_worker_healthcheck=60,
        access_log=options.access_log == "text", server_header=False, lifespan="on")
    sock = config.bind_socket()
    announce(f"政策计算器服务：http://{options.host}:{options.port}  接口说明 /docs  自查页面 /  "
             f"规则版本 {version}  工作进程 {options.workers} 个  主进程 {os.getpid()}（kill -HUP 更换规则）")
    try:
        _Supervisor(config, sockets=[sock]).run()
    finally:
        sock.close()
        for leftover in Path(metrics_dir).glob("*.db"):
            leftover.unlink()
        Path(metrics_dir).rmdir()
