"""Screening a table's rows in worker processes, results in input order.

The rules engine holds the GIL, so with ``workers > 1`` chunks of rows go to a pool of
processes, a bounded window of chunks in flight; each worker ends when the process that
started it ends, however it ends. Forked workers start with the parent's compiled rules;
spawned ones (the columnar engine, or a caller with other threads) load their own.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from typing import Any

from ..results.calculator import Calculator, settle_loaded
from .layout import RowResult
from .screening import ColumnCache, Job, screen_rows
from .table import InputRow

#: With the columnar engine, worker processes start only for tables of more chunks than this
#: (each spawned worker loads and compiles the rules first: about two seconds here).
SPAWN_AFTER_CHUNKS = 16
#: A chunk of rows is also cut at this many characters, so that rows near the size limit
#: do not pile up in memory (256 rows of 1 MiB would).
CHUNK_CHARS = 4 << 20


_worker: dict[str, Any] = {}


def _die_with_parent(parent: int) -> None:
    """End this worker when the process that started it ends, however it ends: Linux
    sends a signal (PR_SET_PDEATHSIG); elsewhere a thread watches for the parent."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_worker(job: Job, parent: int) -> None:
    # Ctrl-C reaches every process of the terminal; the parent stops the workers itself,
    # and a forked worker must not run the parent's SIGTERM handler (``interruptible``).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # held back while this process started: see _submit
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    _die_with_parent(parent)
    if "calculator" not in _worker:  # a forked worker already has the parent's
        _worker["calculator"] = Calculator.load(job.rules)
    settle_loaded()  # a worker screens until it ends (forked ones share more memory, too)
    _worker["job"] = job
    _worker["columns"] = {}


def _screen_chunk(rows: Sequence[InputRow]) -> list[RowResult]:
    return screen_rows(_worker["calculator"], _worker["job"], rows, _worker["columns"])



def screened(calculator: Calculator, job: Job, rows: Iterator[InputRow], workers: int,
             chunk_rows: int) -> Iterator[RowResult]:
    chunks: Iterator[list[InputRow]] = in_chunks(rows, chunk_rows)
    if workers > 1 and job.engine == "columnar":
        # Spawned workers each compile the rules before their first row: a table screened
        # sooner than that stays in this process.
        first = list(itertools.islice(chunks, SPAWN_AFTER_CHUNKS))
        if len(first) < SPAWN_AFTER_CHUNKS:
            workers = 1
        chunks = itertools.chain(first, chunks)
    if workers <= 1:
        cache: ColumnCache = {}
        for chunk in chunks:
            yield from screen_rows(calculator, job, chunk, cache)
        return
    # Forking lets workers start with the compiled rules instead of compiling their own,
    # but is only safe while no other thread could be holding the engine's lock (a backend
    # calling this from a request thread); otherwise workers are spawned fresh.
    # Polars' thread pool does not survive a fork: columnar workers are always spawned.
    fork = (threading.active_count() == 1 and "fork" in get_all_start_methods()
            and job.engine != "columnar")
    if fork:
        _worker["calculator"] = calculator
    # Each columnar worker evaluates on one thread: the workers are the parallelism, and a
    # thread pool per worker would only fight over the same cores (inherited at spawn).
    threads = os.environ.get("POLARS_MAX_THREADS")
    if job.engine == "columnar" and threads is None:
        os.environ["POLARS_MAX_THREADS"] = "1"
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork" if fork else "spawn"),
                               initializer=_start_worker, initargs=(job, os.getpid()))
    finished = False
    try:
        pending: deque[Future[list[RowResult]]] = deque()
        for chunk in chunks:
            pending.append(_submit(pool, chunk))
            if len(pending) >= 2 * workers:  # a bounded window keeps memory flat
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
        finished = True
    finally:
        _worker.clear()
        if job.engine == "columnar" and threads is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        if finished:
            pool.shutdown(wait=True)
        else:  # interrupted: the workers' rows are not wanted
            processes = list((getattr(pool, "_processes", None) or {}).values())
            for process in processes:
                process.terminate()
            # Waiting lets the pool's own thread notice and close its pipes; without it the
            # interpreter's exit hook writes to a closed pipe and prints a traceback.
            try:
                pool.shutdown(wait=True, cancel_futures=True)
            except RuntimeError:
                # Ctrl-C landed inside the first submit, after the pool made its thread and
                # before it started it: that thread never runs, so the workers are reaped
                # here, and the interruption (not this) is what the caller sees.
                for process in processes:
                    process.join(5)


def _submit(pool: ProcessPoolExecutor, chunk: list[InputRow]) -> Future[list[RowResult]]:
    """``pool.submit``, with Ctrl-C held back meanwhile: a submit may start a worker, and a
    Ctrl-C reaching the worker before its initializer ignores it would print a traceback
    from the middle of its start. Held back, not lost: this process gets it right after,
    and the worker discards it once it ignores Ctrl-C."""
    if not hasattr(signal, "pthread_sigmask"):
        return pool.submit(_screen_chunk, chunk)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return pool.submit(_screen_chunk, chunk)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def in_chunks(rows: Iterator[InputRow], size: int) -> Iterator[list[InputRow]]:
    chunk: list[InputRow] = []
    chars = 0
    for row in rows:
        chunk.append(row)
        chars += row.size
        if len(chunk) >= size or chars >= CHUNK_CHARS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk
