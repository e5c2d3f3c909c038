"""The worker pool: an interruption at any moment, even while the pool is still starting,
reaches the caller as the interruption, with no worker left running."""

from __future__ import annotations

import concurrent.futures.process as pool_module
import multiprocessing
from datetime import date

import pytest

from calculator import Calculator
from calculator.batch.columns import header_of, resolve
from calculator.batch.screening import Job
from calculator.batch.table import InputRow
from calculator.batch.workers import screened


def test_ctrl_c_while_the_pool_starts_is_an_interruption(calc: Calculator,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    headers = [header_of("company", "name")]
    job = Job(None, date(2025, 6, 30), "company", None, resolve(headers, "company"))
    rows = iter([InputRow(n, {headers[0]: f"企业{n}"}) for n in range(2, 40)])

    def interrupted(self: object) -> None:  # Ctrl-C after the pool made its thread, before start
        raise KeyboardInterrupt

    monkeypatch.setattr(pool_module._ExecutorManagerThread, "start", interrupted)
    with pytest.raises(KeyboardInterrupt):
        list(screened(calc, job, rows, workers=2, chunk_rows=4))
    assert multiprocessing.active_children() == []
