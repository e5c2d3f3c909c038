"""One ``Calculator`` shared by many threads, as a web backend uses it: reports must be
exactly what a single thread gets, and ``reload`` must swap rules atomically.

Thread switches are made very frequent while these tests run, so that evaluations
interleave at fine grain rather than one per GIL slice.
"""

from __future__ import annotations

import random
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from calculator import Calculator, CompanyProfile, RuleFileError, TalentProfile

from ..conftest import RULES
from ..randomprofiles import AS_OF_DATES, random_profile

THREADS = 8
PER_THREAD = 250
UNIQUE = 500

Job = tuple[CompanyProfile | TalentProfile, date]
Dump = dict[str, Any]


@pytest.fixture(autouse=True)
def fine_grained_switching() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


def _jobs(seed: int, count: int, kind: str | None = None) -> list[Job]:
    rng = random.Random(seed)
    return [(random_profile(rng, kind), rng.choice(AS_OF_DATES)) for _ in range(count)]


def _in_threads(calc: Calculator, jobs: list[Job], per_thread: int,
                during: Callable[[threading.Event], None] | None = None) -> list[tuple[int, Dump]]:
    """Each thread evaluates its own shuffled sample of ``jobs``; ``during`` runs alongside
    until they are done. Returns ``(job index, report dump)`` for every evaluation."""
    start = threading.Barrier(THREADS + (1 if during else 0))
    done = threading.Event()

    def work(seed: int) -> list[tuple[int, Dump]]:
        order = random.Random(seed).sample(range(len(jobs)), per_thread)
        start.wait()
        return [(i, calc.evaluate(*jobs[i]).model_dump()) for i in order]

    def side() -> None:
        start.wait()
        during(done)  # type: ignore[misc]

    with ThreadPoolExecutor(THREADS + 1) as pool:
        side_task = pool.submit(side) if during else None
        try:
            results = list(pool.map(work, range(THREADS)))
        finally:
            done.set()  # also when a worker failed: the side task must stop for the pool to close
        if side_task is not None:
            side_task.result()
    return [item for chunk in results for item in chunk]


def test_concurrent_reports_are_identical_to_sequential(calc: Calculator) -> None:
    jobs = _jobs(20261121, UNIQUE)
    baseline = [calc.evaluate(profile, when).model_dump() for profile, when in jobs]
    statuses = {r["status"] for dump in baseline for r in dump["results"]}
    assert statuses == {"eligible", "needs_info", "ineligible", "not_in_force"}  # varied input

    results = _in_threads(calc, jobs, PER_THREAD)

    assert len(results) == THREADS * PER_THREAD
    wrong = [i for i, dump in results if dump != baseline[i]]
    assert not wrong, f"{len(wrong)} 份报告与单线程结果不同，如档案 {jobs[wrong[0]][0].name}"


def _rule_dirs(tmp_path: Path) -> tuple[Path, Path]:
    """The shipped rules, and a copy where one clause asks for more (first entry in 2024 or
    later instead of 2022 or later)."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(RULES, old)
    shutil.copytree(RULES, new)
    target = new / "zhongguo-gongyebao-2022-01-12.yaml"
    text = target.read_text(encoding="utf-8")
    before = "        - field: global500_first_entry_year\n          op: \">=\"\n          value: 2022\n"
    assert text.count(before) == 1
    target.write_text(text.replace(before, before.replace("2022", "2024")), encoding="utf-8")
    return old, new


def test_reload_during_concurrent_evaluation_is_atomic(tmp_path: Path) -> None:
    old_dir, new_dir = _rule_dirs(tmp_path)
    jobs = _jobs(7, 120, kind="company")
    versions: dict[str, list[Dump]] = {}
    for directory in (old_dir, new_dir):
        separate = Calculator.load(directory)
        versions[separate.rules_version] = [separate.evaluate(p, d).model_dump() for p, d in jobs]
    old_version, new_version = Calculator.load(old_dir).rules_version, Calculator.load(new_dir).rules_version
    assert old_version != new_version

    def without_version(dump: Dump) -> Dump:
        return {k: v for k, v in dump.items() if k != "rules_version"}

    differ = sum(without_version(a) != without_version(b)
                 for a, b in zip(versions[old_version], versions[new_version], strict=True))
    assert differ >= len(jobs) // 5, "两套规则对这些档案应给出不同结果，否则测试无意义"

    calc = Calculator.load(old_dir)
    reloads: list[str] = []
    # Each thread evaluates a first part on the old rules, then the rest while the rules are
    # swapped back and forth. The gates make both versions certain to be seen, however fast
    # the machine; every swap after the first happens while evaluations are in flight.
    halfway = threading.Barrier(THREADS + 1)
    first_swap = threading.Event()
    done = threading.Event()

    def work(seed: int) -> list[tuple[int, Dump]]:
        order = random.Random(seed).sample(range(len(jobs)), 60)
        out = [(i, calc.evaluate(*jobs[i]).model_dump()) for i in order[:15]]
        halfway.wait()
        first_swap.wait(timeout=120)
        return out + [(i, calc.evaluate(*jobs[i]).model_dump()) for i in order[15:]]

    def keep_reloading() -> None:
        halfway.wait()
        directories = [new_dir, old_dir]
        while not done.is_set():
            reloads.append(calc.reload(directories[len(reloads) % 2]))
            first_swap.set()

    with ThreadPoolExecutor(THREADS + 1) as pool:
        side = pool.submit(keep_reloading)
        try:
            chunks = list(pool.map(work, range(THREADS)))
        finally:
            done.set()
            first_swap.set()
        side.result()
    results = [item for chunk in chunks for item in chunk]

    seen = {dump["rules_version"] for _, dump in results}
    assert seen == {old_version, new_version}, "评估期间应既有旧规则也有新规则的报告"
    assert len(reloads) >= 1
    wrong = [i for i, dump in results if dump != versions[dump["rules_version"]][i]]
    assert not wrong, f"{len(wrong)} 份报告混用了两套规则"


def test_failed_reload_raises_and_the_old_rules_keep_serving(tmp_path: Path) -> None:
    broken = tmp_path / "rules"
    shutil.copytree(RULES, broken)
    (broken / "zz-broken.yaml").write_text(
        "document: {id: broken, title: 坏文件, issuer: 测试, date: 2026-01-01, status: issued,"
        " source: x.txt}\nclauses:\n  - id: broken-clause\n    titel: 拼错的键\n", encoding="utf-8")
    calc = Calculator.load(RULES)
    version = calc.rules_version
    jobs = _jobs(11, 60)
    baseline = [calc.evaluate(p, d).model_dump() for p, d in jobs]

    failures: list[RuleFileError] = []

    def keep_failing(done: threading.Event) -> None:
        while not done.is_set():
            with pytest.raises(RuleFileError) as info:
                calc.reload(broken)
            failures.append(info.value)

    results = _in_threads(calc, jobs, 40, during=keep_failing)

    assert failures and "zz-broken.yaml" in str(failures[0]) and "titel" in str(failures[0])
    assert calc.rules_version == version
    assert all(dump == baseline[i] for i, dump in results)
    assert calc.evaluate(*jobs[0]).model_dump() == baseline[0]
