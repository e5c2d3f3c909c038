"""Load benchmark of the HTTP service (``policycalc serve``) on loopback only.

Starts the service in a subprocess on 127.0.0.1 (``--workers 2`` by default), then runs
three bounded scenarios and prints requests per second, latency percentiles and the
service's resident memory (supervisor plus workers) over time:

1. ``evaluate``: 50 clients on keep-alive connections posting the shipped profiles to
   ``/v1/evaluate``, first as fast as they can (closed loop: latency is then the number
   of clients over the throughput), then paced at fixed offered rates (120 and 250 a
   second over all clients); every answer must be 200 and equal the in-process report.
2. ``screen``: 16 clients each posting a maximum-size ``/v1/screen`` (1000 synthetic
   profiles), retrying after ``Retry-After`` when told 503, while ``/healthz`` is probed
   on fresh connections every 50 ms; every reply must hold 1000 reports.
3. ``slow``: 900 connections that send nothing or trickle their headers one byte a
   second, while ``/healthz`` is probed; counts how many the service closes, and when.

Every loop is bounded in count and time, and the service is stopped at the end.

    python -m bench.bench_service                 # the full run (about 2 minutes)
    python -m bench.bench_service --quick         # a smoke run (seconds)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from calculator import Calculator, parse_profile
from calculator.base.yamlio import read_file
from calculator.service.contract import MAX_SCREEN_PROFILES
from calculator.service.request_body import MAX_BODY_BYTES

from .synthetic import applicants

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only, always
AS_OF = "2025-06-30"
SCENARIO_SECONDS_CAP = 240


# ---- the service and its memory ----------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Service:
    """``policycalc serve`` in a subprocess, and a thread sampling the total RSS of it and
    every process under it (workers, their screen processes)."""

    def __init__(self, workers: int, extra: list[str]) -> None:
        self.port = _free_port()
        self.log = open(os.devnull, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--host", HOST, "--port", str(self.port),
             "--workers", str(workers), "--no-access-log", *extra],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        self.samples: list[tuple[float, float]] = []
        self.started = time.monotonic()
        self._stop = threading.Event()
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise SystemExit("服务未能启动")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit("服务 90 秒内未应答 /healthz") from None
                time.sleep(0.2)
        while len(_children(self.process.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # the workers' screen processes load the rules too
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the supervisor and its workers so far."""
        total = 0.0
        for pid in [self.process.pid, *_descendants(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def rss(self) -> float:
        pid = self.process.pid
        return _rss_mib(pid) + sum(_rss_mib(child) for child in _descendants(pid))

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.samples.append((time.monotonic() - self.started, self.rss()))

    def peak_between(self, start: float, end: float) -> float:
        inside = [mib for t, mib in self.samples if start <= t <= end]
        return max(inside, default=0.0)

    def stop(self) -> None:
        self._stop.set()
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# ---- a small HTTP/1.1 client (keep-alive, streamed bodies) ---------------------------------

class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        self.reader, self.writer, self.port = reader, writer, port
        self.reconnects = 0

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
        return cls(reader, writer, port)

    async def _reopen(self) -> None:
        self.writer.close()
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port, limit=1 << 20)
        self.reconnects += 1

    def close(self) -> None:
        self.writer.close()

    async def call(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                   sink: Callable[[bytes], None] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request; the body goes to ``sink`` piece by piece when given (not kept)."""
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", f"Content-Length: {len(body)}",
                "Content-Type: application/json"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        found: dict[str, str] = {}
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            found[name.strip().lower()] = value.strip()
        kept: list[bytes] = []
        take = sink or kept.append
        if "content-length" in found:
            take(await self.reader.readexactly(int(found["content-length"])))
        elif found.get("transfer-encoding") == "chunked":
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                take(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
        if found.get("connection", "").lower() == "close":  # as any HTTP/1.1 client does
            await self._reopen()
        return status, found, b"".join(kept)


async def _get_fresh(port: int, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    connection = await Connection.open(port)
    try:
        status, _, _ = await connection.call("GET", path, headers={"Connection": "close"})
    finally:
        connection.close()
    return status, time.perf_counter() - started


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _ms(values: list[float]) -> str:
    return (f"p50 {_percentile(values, 0.5) * 1000:.1f} ms, p99 {_percentile(values, 0.99) * 1000:.1f} ms, "
            f"最大 {max(values, default=float('nan')) * 1000:.1f} ms")


@dataclass
class Prober:
    """``/healthz`` every ``interval`` seconds on a fresh connection, until stopped."""

    port: int
    interval: float
    latencies: list[float] = field(default_factory=list)
    failures: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                status, took = await asyncio.wait_for(_get_fresh(self.port, "/healthz"), 10)
                self.latencies.append(took)
                self.failures += status != 200
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                self.failures += 1
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)


# ---- scenarios -------------------------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _shipped_bodies(calc: Calculator) -> list[tuple[bytes, bytes]]:
    """Request bodies for every shipped profile, and the report each must get back."""
    out = []
    for path in sorted((ROOT / "profiles").glob("*.yaml")):
        data = json.loads(json.dumps(read_file(path).data, default=date.isoformat))
        report = calc.evaluate(parse_profile(data, json_types=True), date.fromisoformat(AS_OF))
        body = json.dumps({"profile": data, "as_of": AS_OF}, ensure_ascii=False).encode()
        out.append((body, report.model_dump_json().encode()))
    return out


async def evaluate_load(service: Service, bodies: list[tuple[bytes, bytes]], clients: int,
                        seconds: float, rate: float | None) -> dict[str, Any]:
    """``clients`` connections for ``seconds``; ``rate`` (requests/s over all clients)
    paces them, ``None`` sends back to back."""
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    async def client(index: int) -> None:
        connection = await Connection.open(service.port)
        rng = random.Random(index)
        interval = clients / rate if rate else 0.0
        next_at = time.monotonic() + rng.uniform(0, interval)
        try:
            while time.monotonic() < deadline:
                if interval:
                    await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                    next_at += interval
                body, expected = bodies[rng.randrange(len(bodies))]
                started = time.perf_counter()
                status, _, answer = await connection.call("POST", "/v1/evaluate", body)
                latencies.append(time.perf_counter() - started)
                if status != 200 or answer != expected:
                    errors.append(f"HTTP {status}" if status != 200 else "报告与进程内评估不同")
        except (OSError, asyncio.IncompleteReadError) as err:
            errors.append(type(err).__name__)
        finally:
            connection.close()

    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(clients))), seconds + 60)
    elapsed = time.monotonic() - started
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "latencies": latencies,
            "errors": errors}


def screen_body(count: int) -> bytes:
    """The largest screen the service takes: ``count`` synthetic companies and talents,
    trimmed until the body fits the size limit."""
    rng_profiles = [{k: _jsonable(v) for k, v in data.items()}
                    for n, data in enumerate(applicants("company", count // 2))
                    if n < count // 2]
    rng_profiles += [{k: _jsonable(v) for k, v in data.items()}
                     for data in applicants("talent", count - len(rng_profiles), seed=8)]
    while True:
        body = json.dumps({"profiles": rng_profiles, "as_of": AS_OF}, ensure_ascii=False).encode()
        if len(body) <= MAX_BODY_BYTES:
            return body
        for profile in rng_profiles:  # drop optional fields until it fits
            for key in list(profile)[2:3]:
                profile.pop(key)


async def screen_load(service: Service, clients: int, profiles: int, probe_every: float) -> dict[str, Any]:
    body = screen_body(profiles)
    durations: list[float] = []
    refused = 0
    errors: list[str] = []
    stop = asyncio.Event()
    prober = Prober(service.port, probe_every)
    probing = asyncio.create_task(prober.run(stop))

    async def client(index: int) -> None:
        nonlocal refused
        started = time.perf_counter()
        deadline = time.monotonic() + SCENARIO_SECONDS_CAP
        while time.monotonic() < deadline:
            lines = 0
            tail = b""

            def sink(part: bytes) -> None:
                nonlocal lines, tail
                lines += part.count(b"\n")
                tail = (tail + part)[-4096:]

            connection = await Connection.open(service.port)
            try:
                status, headers, _ = await connection.call(
                    "POST", "/v1/screen", body, {"Accept": "application/x-ndjson"}, sink)
            except (OSError, asyncio.IncompleteReadError) as err:
                errors.append(type(err).__name__)
                return
            finally:
                connection.close()
            if status == 503:
                refused += 1
                await asyncio.sleep(float(headers.get("retry-after", "1")))
                continue
            last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
            complete = tail.endswith(b"}\n") and not last.startswith(b'{"error"')
            if status != 200 or lines != profiles or not complete:
                errors.append(f"HTTP {status}，{lines} 行")
            durations.append(time.perf_counter() - started)
            return
        errors.append("超时")

    started = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.monotonic() - started
    stop.set()
    await probing
    return {"body_bytes": len(body), "done": len(durations), "refused": refused, "errors": errors,
            "durations": durations, "elapsed": elapsed, "healthz": prober.latencies,
            "healthz_failures": prober.failures}


async def slow_load(service: Service, connections: int, seconds: float) -> dict[str, Any]:
    """Half the connections stay silent, half trickle a request head one byte a second."""
    stop = asyncio.Event()
    prober = Prober(service.port, 0.1)
    probing = asyncio.create_task(prober.run(stop))
    closed_after: list[float] = []
    opened = 0
    head = b"POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"

    async def slow(index: int) -> None:
        nonlocal opened
        try:
            reader, writer = await asyncio.open_connection(HOST, service.port)
        except OSError:
            return
        opened += 1
        started = time.monotonic()
        end = started + seconds
        try:
            position = 0
            while time.monotonic() < end:
                if index % 2 and position < len(head):
                    writer.write(head[position:position + 1])
                    position += 1
                try:
                    data = await asyncio.wait_for(reader.read(4096), 1.0)
                except asyncio.TimeoutError:
                    continue
                if not data:  # the service closed it
                    closed_after.append(time.monotonic() - started)
                    return
        except OSError:
            closed_after.append(time.monotonic() - started)
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(slow(i) for i in range(connections)))
    stop.set()
    await probing
    return {"opened": opened, "closed": len(closed_after), "closed_after": closed_after,
            "healthz": prober.latencies, "healthz_failures": prober.failures,
            "elapsed": time.monotonic() - started}


def reload_memory_in_process(times: int) -> tuple[float, float]:
    """RSS of this process before and after ``times`` ``Calculator.reload`` calls."""
    calc = Calculator.load()
    calc.reload()  # the first reload settles allocator pools
    gc.collect()
    before = _rss_mib(os.getpid())
    for _ in range(times):
        calc.reload()
    gc.collect()
    return before, _rss_mib(os.getpid())


def _workers(pid: int) -> set[int]:
    """The worker processes under the supervisor (not multiprocessing's resource tracker)."""
    found = set()
    for child in _children(pid):
        try:
            if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text(errors="replace"):
                found.add(child)
        except OSError:
            pass
    return found


def reload_by_replacement(service: Service, times: int) -> list[float]:
    """Total RSS of the service after each of ``times`` SIGHUPs (each replaces every worker)."""
    sizes = [service.rss()]
    for _ in range(times):
        old = _workers(service.process.pid)
        service.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            now = _workers(service.process.pid)
            if not now & old and len(now) == len(old):
                break
            time.sleep(0.2)
        time.sleep(3)  # the new workers' screen processes settle
        sizes.append(service.rss())
    return sizes


def _raise_file_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = need if hard == resource.RLIM_INFINITY else min(hard, need)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


class _Skip(Exception):
    pass


def _timeline(service: Service) -> str:
    step = max(1, len(service.samples) // 24)
    return "  ".join(f"{t:.0f}s {mib:.0f}" for t, mib in service.samples[::step])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15, help="每种 evaluate 负载的时长")
    parser.add_argument("--rate", type=float, action="append",
                        help="匀速负载的总请求率（个/秒，可重复；默认 120 和 250）")
    parser.add_argument("--screens", type=int, default=16)
    parser.add_argument("--screen-profiles", type=int, default=MAX_SCREEN_PROFILES)
    parser.add_argument("--slow", type=int, default=900, help="慢速/空闲连接数")
    parser.add_argument("--header-timeout", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="冒烟运行：少量客户端、很短的时长")
    parser.add_argument("--reloads", type=int, default=30, help="测量更换规则内存时的次数")
    parser.add_argument("--only", choices=["evaluate", "screen", "slow", "reload"], action="append",
                        help="只运行这些情形（可重复）")
    parser.add_argument("--serve-option", action="append", default=[], metavar="OPTION",
                        help="传给 policycalc serve 的选项，如 --serve-option=--max-screens=1")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.seconds, args.rate = 5, 2, [50]
        args.screens, args.screen_profiles, args.slow, args.header_timeout = 3, 60, 40, 2.0
        args.reloads = 2
    _raise_file_limit(args.slow + args.clients + 256)
    calc = Calculator.load()
    bodies = _shipped_bodies(calc)
    del calc
    print(f"服务：{args.workers} 个工作进程，127.0.0.1；Python {sys.version.split()[0]}，{os.cpu_count()} 核")
    service = Service(args.workers, ["--header-timeout", str(args.header_timeout), *args.serve_option])
    only = set(args.only or ["evaluate", "screen", "slow", "reload"])
    failed = False
    try:
        print(f"空闲时常驻内存：{service.rss():.0f} MiB（主进程与工作进程合计）；"
              f"开始时系统负载 {os.getloadavg()[0]:.1f}")

        rates: list[float] = args.rate or [120, 250]
        loads = [("不间断", None), *((f"匀速 {rate:g} 个/秒", rate) for rate in rates)]
        for label, rate in loads:
            if "evaluate" not in only:
                break
            t0 = time.monotonic() - service.started
            cpu = service.cpu_seconds()
            result = asyncio.run(evaluate_load(service, bodies, args.clients, args.seconds, rate))
            cpu = service.cpu_seconds() - cpu
            t1 = time.monotonic() - service.started
            failed |= bool(result["errors"])
            print(f"[evaluate {label}] 服务端 CPU 每个请求 {cpu / max(1, result['requests']) * 1000:.2f} ms；"
                  f"系统负载 {os.getloadavg()[0]:.1f}")
            print(f"[evaluate {label}] {args.clients} 个客户端 {args.seconds:g} 秒："
                  f"{result['requests']} 个请求，{result['rps']:.0f} 个/秒，{_ms(result['latencies'])}，"
                  f"错误 {len(result['errors'])}"
                  f"{' ' + str(result['errors'][:3]) if result['errors'] else ''}，"
                  f"内存峰值 {service.peak_between(t0, t1):.0f} MiB")

        if "screen" not in only:
            raise _Skip
        t0 = time.monotonic() - service.started
        cpu = service.cpu_seconds()
        result = asyncio.run(screen_load(service, args.screens, args.screen_profiles, 0.05))
        cpu = service.cpu_seconds() - cpu
        t1 = time.monotonic() - service.started
        failed |= bool(result["errors"]) or result["healthz_failures"] > 0
        durations = result["durations"]
        print(f"[screen] {args.screens} 个客户端同时提交 {args.screen_profiles} 个档案（请求体 "
              f"{result['body_bytes'] / 1024:.0f} KiB）：完成 {result['done']} 个，"
              f"用时 {result['elapsed']:.1f} 秒，503 {result['refused']} 次，错误 {len(result['errors'])}；"
              f"每个客户端从首次提交到完成 p50 {_percentile(durations, 0.5):.1f} 秒、"
              f"最长 {max(durations, default=0):.1f} 秒")
        print(f"         同时 /healthz（新连接，每 50 ms）：{len(result['healthz'])} 次，"
              f"{_ms(result['healthz'])}，失败 {result['healthz_failures']}；"
              f"内存峰值 {service.peak_between(t0, t1):.0f} MiB")
        done = max(1, result["done"])
        print(f"         服务端 CPU 每个档案 {cpu / (done * args.screen_profiles) * 1000:.2f} ms；"
              f"系统负载 {os.getloadavg()[0]:.1f}")
    except _Skip:
        pass
    try:
        if "slow" not in only:
            raise _Skip
        t0 = time.monotonic() - service.started
        result = asyncio.run(slow_load(service, args.slow, args.header_timeout + 6))
        t1 = time.monotonic() - service.started
        failed |= result["healthz_failures"] > 0
        closed = result["closed_after"]
        print(f"[slow] {result['opened']} 个连接（一半不发送，一半每秒一个字节）{result['elapsed']:.0f} 秒："
              f"服务关闭 {result['closed']} 个，连接后 p50 {_percentile(closed, 0.5):.1f} 秒、"
              f"最长 {max(closed, default=0):.1f} 秒；同时 /healthz {len(result['healthz'])} 次，"
              f"{_ms(result['healthz'])}，失败 {result['healthz_failures']}；"
              f"内存峰值 {service.peak_between(t0, t1):.0f} MiB")
    except _Skip:
        pass
    try:
        if "reload" not in only:
            raise _Skip
        times = max(1, args.reloads // 6)
        sizes = reload_by_replacement(service, times)
        print(f"[reload] SIGHUP {times} 次（每次替换全部工作进程）后服务的常驻内存："
              + " → ".join(f"{mib:.0f}" for mib in sizes) + " MiB")
        before, after = reload_memory_in_process(args.reloads)
        print(f"[reload] 同一进程内 Calculator.reload {args.reloads} 次：{before:.0f} → {after:.0f} MiB，"
              f"每次约 {(after - before) / args.reloads:.2f} MiB（durable-rules 无法释放规则集）")
    except _Skip:
        pass
    finally:
        print(f"常驻内存随时间（秒 MiB）：{_timeline(service)}")
        service.stop()
    if failed:
        raise SystemExit("有请求出错（见上）")


if __name__ == "__main__":
    main()
