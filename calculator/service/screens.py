"""Where ``/v1/screen`` does its work: threads of the serving process, or a small pool of
processes of its own.

A screen of 1000 profiles is seconds of CPU. In a thread it holds the GIL the event loop
needs, so ``/healthz`` and every short request wait behind it. ``policycalc serve`` runs
screens in ``Limits.max_screens`` separate processes per worker instead, at a lower CPU
priority (``nice``): the worker's event loop stays free, and the operating system gives
the short requests the CPU first. Each such process loads the rules once and evaluates a
few profiles per call; the worker only forwards the bytes it gets back.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path

from ..base.errors import EvaluationError, RuleFileError
from ..profiles.models import CompanyProfile, TalentProfile
from ..results.calculator import Calculator, settle_loaded
from ..results.report import Detail

AnyProfile = CompanyProfile | TalentProfile
log = logging.getLogger("policycalc.service")


def reports_bytes(calculator: Calculator, profiles: Sequence[AnyProfile], as_of: date,
                  separator: bytes, lead: bool, detail: Detail = "shown") -> bytes:
    """The reports of ``profiles`` as JSON texts joined by ``separator`` (``lead``: one
    before the first too)."""
    reports = calculator.evaluate_many(profiles, as_of, detail)
    text = separator.join(r.json_bytes() for r in reports)
    return separator + text if lead and text else text


_calculator: Calculator | None = None
_failure = ""


def _start(rules: str | None, nice: int, parent: int) -> None:
    global _calculator, _failure
    threading.Thread(target=_orphaned, args=(parent,), daemon=True).start()
    if nice:
        os.nice(nice)
    try:
        _calculator = Calculator.load(rules)
        settle_loaded()
    except RuleFileError as err:  # said by ``start`` in the worker, not as a traceback here
        _failure = str(err)


def _orphaned(parent: int) -> None:
    """End this process once the worker that started it is gone, however it went."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _ready() -> str:
    if _calculator is None:
        raise RuleFileError(_failure)
    return _calculator.rules_version


def _chunk(profiles: Sequence[AnyProfile], as_of: date, separator: bytes, lead: bool, version: str,
           detail: Detail) -> bytes:
    if _calculator is None:
        raise EvaluationError(f"批量评估进程无法加载规则：{_failure}")
    if _calculator.rules_version != version:
        # The rules on disk changed without a reload: never mix two rule sets in one reply.
        raise EvaluationError(f"批量评估进程的规则版本 {_calculator.rules_version} 与服务的 {version} 不同；"
                              "请更换规则（SIGHUP 或 POST /v1/admin/reload）后重试")
    return reports_bytes(_calculator, profiles, as_of, separator, lead, detail)


class ScreenProcesses:
    """``size`` processes evaluating screens with the rules in ``rules``."""

    def __init__(self, rules: str | Path | None, size: int, nice: int = 10) -> None:
        self.rules = None if rules is None else str(rules)
        self.size, self.nice = size, nice
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.size, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start,
                                             initargs=(self.rules, self.nice, os.getpid()))
        return self._pool

    def warm(self) -> None:
        """Start the processes now rather than on the first screen."""
        self._executor().submit(_ready)

    def start(self, version: str, timeout: float = 120) -> None:
        """Start the processes and wait until they have loaded the rules; a
        ``RuleFileError`` if they cannot, or if the rules they read are not ``version``
        (the files changed meanwhile)."""
        loaded = self._executor().submit(_ready).result(timeout)
        if loaded != version:
            raise RuleFileError(f"规则文件在加载期间有改动：批量评估进程读到版本 {loaded}，"
                                f"工作进程为 {version}")

    async def run(self, profiles: Sequence[AnyProfile], as_of: date, separator: bytes, lead: bool,
                  version: str, detail: Detail = "shown") -> bytes:
        try:
            future = self._executor().submit(_chunk, list(profiles), as_of, separator, lead, version,
                                             detail)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            log.error("批量评估进程意外退出，已重新启动")
            self.restart()
            raise

    def restart(self) -> None:
        """New processes (after a reload in this process); running chunks finish."""
        old, self._pool = self._pool, None
        if old is not None:
            old.shutdown(wait=False)
        self.warm()

    def close(self) -> None:
        """Stop the processes (waiting for the chunks they are working on)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
