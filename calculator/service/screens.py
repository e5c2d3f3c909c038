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
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path

from ..base.errors import EvaluationError
from ..profiles.models import CompanyProfile, TalentProfile
from ..results.calculator import Calculator

AnyProfile = CompanyProfile | TalentProfile
log = logging.getLogger("policycalc.service")


def reports_bytes(calculator: Calculator, profiles: Sequence[AnyProfile], as_of: date,
                  separator: bytes, lead: bool) -> bytes:
    """The reports of ``profiles`` as JSON texts joined by ``separator`` (``lead``: one
    before the first too)."""
    text = separator.join(r.model_dump_json().encode() for r in calculator.evaluate_many(profiles, as_of))
    return separator + text if lead and text else text


_calculator: Calculator | None = None


def _start(rules: str | None, nice: int) -> None:
    global _calculator
    if nice:
        os.nice(nice)
    _calculator = Calculator.load(rules)


def _ready() -> str:
    assert _calculator is not None
    return _calculator.rules_version


def _chunk(profiles: Sequence[AnyProfile], as_of: date, separator: bytes, lead: bool, version: str) -> bytes:
    assert _calculator is not None
    if _calculator.rules_version != version:
        # The rules on disk changed without a reload: never mix two rule sets in one reply.
        raise EvaluationError(f"批量评估进程的规则版本 {_calculator.rules_version} 与服务的 {version} 不同；"
                              "请更换规则（SIGHUP 或 POST /v1/admin/reload）后重试")
    return reports_bytes(_calculator, profiles, as_of, separator, lead)


class ScreenProcesses:
    """``size`` processes evaluating screens with the rules in ``rules``."""

    def __init__(self, rules: str | Path | None, size: int, nice: int = 10) -> None:
        self.rules = None if rules is None else str(rules)
        self.size, self.nice = size, nice
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.size, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start, initargs=(self.rules, self.nice))
        return self._pool

    def warm(self) -> None:
        """Start the processes now rather than on the first screen."""
        self._executor().submit(_ready)

    async def run(self, profiles: Sequence[AnyProfile], as_of: date, separator: bytes, lead: bool,
                  version: str) -> bytes:
        try:
            future = self._executor().submit(_chunk, list(profiles), as_of, separator, lead, version)
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
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
