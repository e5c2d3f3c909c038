"""City-scale benchmark: single-profile latency, load time and memory for large corpora,
batch throughput by engine, the columnar evaluator on a million rows, and Dask.

    python -m bench.bench_scale                      # the figures in docs/performance.md
    python -m bench.bench_scale --small              # a quick run (CI)

Every figure is measured in this run and printed, with ratios against a baseline timed in
the same run. Every timed path is checked against a reference answer, or the run fails.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from calculator import Calculator, load_profile
from calculator.batch.columnar import ColumnarScreener
from calculator.batch.columns import header_of, input_fields
from calculator.batch.parquet import read_rows
from calculator.batch.run import screen_table
from calculator.engine.columnar import frame
from calculator.profiles.models import PROFILE_MODELS, profile_values
from calculator.results.calculator import settle_loaded

from .bench_screen import AS_OF, synthetic_rules
from .synthetic import applicants, cells

ROOT = Path(__file__).resolve().parent.parent


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seconds(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def corpus(work: Path, clauses: int) -> Path:
    directory = work / f"rules-{clauses}"
    if not directory.exists():
        directory.mkdir()
        synthetic_rules(directory, clauses, 7)
    return directory


# ---- evaluate -------------------------------------------------------------------------

def latency(title: str, calculator: Calculator, profiles: list[Any], repeat: int) -> None:
    for profile in profiles:  # warm: every path compiled and cached once
        calculator.evaluate(profile, AS_OF)
    times: list[float] = []
    for _ in range(repeat):
        for profile in profiles:
            start = time.perf_counter()
            report = calculator.evaluate(profile, AS_OF)
            report.json_bytes()
            times.append(time.perf_counter() - start)
    times.sort()
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"  {title:<36} p50 {p50 * 1e3:8.2f} ms  p99 {p99 * 1e3:8.2f} ms  "
          f"({len(times)} 次，含 JSON 序列化)", flush=True)


def evaluate_section(work: Path, sizes: list[int], repeat: int) -> None:
    print("\nevaluate（单个档案，完整报告，预热后）", flush=True)
    shipped = Calculator.load()
    examples = [load_profile(p) for p in sorted((ROOT / "profiles").glob("*.yaml"))]
    latency("随软件发布的规则，13 个示例档案", shipped, examples, repeat)
    settled(latency, "  同上，settle_loaded() 之后", shipped, examples, repeat)
    del shipped
    for size in sizes:
        calculator = Calculator.load(corpus(work, size))
        firms = [PROFILE_MODELS["company"].model_validate(d) for d in applicants("company", 20, 3)]
        latency(f"合成规则 {size} 条，20 个企业档案", calculator, firms, max(1, repeat // 10))
        settled(latency, "  同上，settle_loaded() 之后", calculator, firms, max(1, repeat // 10))
        del calculator


def settled(run: Callable[..., None], *args: Any) -> None:
    """``run`` with the loaded objects out of the cycle collector's scans, as the service's
    and the batch's processes have them; undone afterwards for the next corpus."""
    settle_loaded()
    try:
        run(*args)
    finally:
        gc.unfreeze()


# ---- load -----------------------------------------------------------------------------

#: Run in a fresh process that imports only what a library user imports.
_LOAD_CHILD = """
import gc, json, resource, sys, time
from calculator import Calculator
start = time.perf_counter()
calculator = Calculator.load(sys.argv[1])  # the cache as $POLICYCALC_CACHE says
took = time.perf_counter() - start
start = time.perf_counter()
gc.collect()  # the first full collection walks what was loaded (settle_loaded: once only)
print(json.dumps({"seconds": took, "collect": time.perf_counter() - start,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "clauses": len(calculator.bundle.clauses), "version": calculator.rules_version}))
"""


def _load_once(directory: Path, cache: str) -> dict[str, Any]:
    env = {**os.environ, "POLICYCALC_CACHE": cache}
    out = subprocess.run([sys.executable, "-c", _LOAD_CHILD, str(directory)],
                         capture_output=True, text=True, check=True, cwd=ROOT, env=env).stdout
    figures: dict[str, Any] = json.loads(out.splitlines()[-1])
    return figures


def load_section(work: Path, sizes: list[int], repeat: int) -> None:
    print("\n加载（每次一个新进程：冷启动读 YAML、校验、链接、编译规则引擎与求值闭包；"
          f"缓存命中时只读缓存、重建规则引擎与求值闭包；每项 {repeat} 次，中位数与最快）", flush=True)
    base = json.loads(subprocess.run([sys.executable, "-c", "import calculator, json, resource;"
                                      "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF)"
                                      ".ru_maxrss / 1024))"],
                                     capture_output=True, text=True, check=True).stdout)
    print(f"  （导入程序包本身的峰值内存 {base:.1f} MiB，已含在下列峰值中）")
    for size in sizes:
        directory = corpus(work, size)
        runs: dict[str, list[dict[str, Any]]] = {"cold": [], "written": [], "hit": []}
        for i in range(repeat):  # interleaved, so that a busy moment of the machine hits all three
            store = str(work / f"cache-{size}-{i}")
            runs["cold"].append(_load_once(directory, "off"))
            runs["written"].append(_load_once(directory, store))  # a miss: loads, writes the entry
            runs["hit"].append(_load_once(directory, store))
        version = runs["cold"][0]["version"]
        assert all(f["clauses"] == size and f["version"] == version for r in runs.values() for f in r)
        median: dict[str, float] = {}
        titles = {"cold": "冷启动（不用缓存）", "written": "冷启动并写入缓存", "hit": "从缓存"}
        for name, title in titles.items():
            took = sorted(f["seconds"] for f in runs[name])
            median[name] = statistics.median(took)
            peak = max(f["peak_mib"] for f in runs[name])
            collect = statistics.median(f["collect"] for f in runs[name])
            print(f"  {size:>5} 条  {title:<10} 中位数 {median[name]:6.2f} 秒（最快 {took[0]:5.2f}）  "
                  f"峰值内存 {peak:7.1f} MiB  之后第一次完整回收 {collect:5.2f} 秒", flush=True)
        print(f"  {size:>5} 条  从缓存为冷启动的 {median['hit'] / median['cold']:.2f}× 用时", flush=True)


# ---- batch ----------------------------------------------------------------------------

def write_csv(path: Path, kind: str, count: int) -> Path:
    headers = [header_of(kind, name) for name in input_fields(kind)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, headers)
        writer.writeheader()
        for data in applicants(kind, count, 7):
            writer.writerow(cells(kind, data))
    return path


def eligible_sets(path: Path) -> list[frozenset[str]]:
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            return [frozenset(h["clause_id"] for h in json.loads(line)["eligible"]) for line in handle]
    return [frozenset(line.split(" ", 1)[0] for line in (row["符合的条款"] or "").splitlines())
            for row in read_rows(path)]


def batch_section(work: Path, rows: int, calculator: Calculator, title: str) -> None:
    print(f"\n批量筛查 {title}：{rows} 行企业 CSV 进，端到端（读、逐格校验、查重、判定、写出、汇总）",
          flush=True)
    source = write_csv(work / f"batch-{rows}.csv", "company", rows)
    cases = [("rows", 1, ".jsonl"), ("rows", 2, ".jsonl"), ("columnar", 1, ".jsonl"),
             ("columnar", 2, ".jsonl"), ("columnar", 1, ".parquet"), ("columnar", 2, ".parquet")]
    expected: list[frozenset[str]] | None = None
    base: float | None = None
    for engine, workers, suffix in cases:
        target = work / f"out-{engine}-{workers}{suffix}"
        _, took = seconds(lambda e=engine, w=workers, t=target: screen_table(  # type: ignore[misc]
            source, t, as_of=AS_OF, calculator=calculator, engine=e, workers=w))
        got = eligible_sets(target)
        if expected is None:
            expected, base = got, took
        elif got != expected:
            sys.exit(f"结果不一致：{engine} {workers} 进程 {suffix} 与逐行路径不同")
        assert base is not None
        print(f"  {engine:<9} {workers} 进程 → {suffix:<8} {rows / took:9.0f} 行/秒  "
              f"{took / base:5.2f}× 用时  峰值内存 {peak_mib():7.1f} MiB", flush=True)
    print("  各路径的符合条款逐行一致")
    memory_by_rows(work, [rows // 4, rows])


_SCREEN_CHILD = """
import json, sys
from datetime import date
from pathlib import Path
from calculator.batch.run import screen_table
result = screen_table(Path(sys.argv[1]), Path(sys.argv[2]), as_of=date.fromisoformat(sys.argv[3]),
                      engine=sys.argv[4])
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"peak_mib": int(hwm.split()[1]) / 1024, "written": result.written}))
"""


def memory_by_rows(work: Path, sizes: list[int]) -> None:
    """Each case in a process of its own: its peak memory for a table and one 4 times
    as long. Flat means the longer table costs (about) no more."""
    print("  内存随行数（每项一个新进程；峰值常驻内存）", flush=True)
    for engine, suffix in (("columnar", ".jsonl"), ("columnar", ".parquet"), ("rows", ".jsonl")):
        peaks = []
        for size in sizes:
            source = write_csv(work / f"memory-{size}.csv", "company", size)
            target = work / f"memory-{engine}-{size}{suffix}"
            out = subprocess.run([sys.executable, "-c", _SCREEN_CHILD, str(source), str(target),
                                  AS_OF.isoformat(), engine],
                                 capture_output=True, text=True, check=True, cwd=ROOT).stdout
            figures = json.loads(out.splitlines()[-1])
            if figures["written"] != size:
                sys.exit(f"内存测量：{size} 行输入写出了 {figures['written']} 行")
            peaks.append(figures["peak_mib"])
        shown = "  ".join(f"{size} 行 {peak:6.1f} MiB" for size, peak in zip(sizes, peaks, strict=True))
        print(f"  {engine:<9} → {suffix:<8} {shown}  （{peaks[-1] / peaks[0]:.2f}×）", flush=True)


# ---- the columnar evaluator at scale --------------------------------------------------

def decisions_section(work: Path, rows: int, clauses: int, chunk: int) -> None:
    print(f"\n列式判定与汇总：{rows} 个企业 × {clauses} 条条款（每块 {chunk} 行）", flush=True)
    calculator = Calculator.load(corpus(work, clauses))
    screener = ColumnarScreener(calculator, AS_OF)
    compiled = screener.kinds["company"]
    seed_rows = min(chunk, rows)
    profiles = [PROFILE_MODELS["company"].model_validate(d) for d in applicants("company", seed_rows, 5)]
    values = [profile_values(p, AS_OF) for p in profiles]
    table = frame("company", values, compiled.plan.fields())
    # Reference: the compiled closures on a sample of the rows, clause by clause.
    decided = compiled.plan.run(table)
    sample = range(0, seed_rows, max(1, seed_rows // 200))
    codes = {"met": 0, "unknown": 1}
    for index, item in enumerate(compiled.items):
        column = decided.get_column(compiled.names[index]).to_list()
        for r in sample:
            outcome = item.check(values[r]).value
            want = codes.get(outcome, 2 if item.near(values[r]) else 3)
            if column[r] != want:
                sys.exit(f"列式判定与参考求值不一致：条款 {item.id}，第 {r} 行")
    totals: dict[str, list[int]] = {name: [0, 0, 0] for name in compiled.names}

    def run() -> None:
        done = 0
        while done < rows:
            part = compiled.plan.run(table if rows - done >= seed_rows else table.head(rows - done))
            counts = part.select([(pl.col(n) == c).sum().alias(f"{n}:{c}")
                                  for n in compiled.names for c in (0, 1, 2)]).row(0)
            for i, name in enumerate(compiled.names):
                for c in range(3):
                    totals[name][c] += counts[i * 3 + c]
            done += part.height

    _, took = seconds(run)
    eligible = sum(t[0] for t in totals.values())
    print(f"  {rows * clauses / took / 1e6:8.1f} 百万次判定/秒  {took:7.2f} 秒  "
          f"（每行 {took / rows * 1e6:.1f} µs）  符合 {eligible} 人次  峰值内存 {peak_mib():7.1f} MiB",
          flush=True)
    closure_rows = min(200, seed_rows)
    _, closure = seconds(lambda: [[item.check(values[r]) for item in compiled.items]
                                  for r in range(closure_rows)])
    print(f"  对照：逐行闭包求值 {closure / closure_rows * 1e6:9.1f} µs/行，列式快 "
          f"{closure / closure_rows / (took / rows):.0f} 倍", flush=True)


# ---- Dask -----------------------------------------------------------------------------

def dask_section(work: Path, rows: int, partitions: int, calculator: Calculator) -> None:
    from calculator.batch.distributed import screen_dataset

    print(f"\nDask：{rows} 行，{partitions} 个 CSV 分区，本机 LocalCluster（含启动集群）", flush=True)
    parts = work / "parts"
    parts.mkdir(exist_ok=True)
    size = rows // partitions
    headers = [header_of("company", name) for name in input_fields("company")]
    data = [cells("company", d) for d in applicants("company", rows, 9)]
    for i in range(partitions):
        with (parts / f"part-{i:03d}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, headers)
            writer.writeheader()
            writer.writerows(data[i * size:(i + 1) * size])
    base: float | None = None
    for workers in (1, 2):
        _, took = seconds(lambda w=workers: screen_dataset(  # type: ignore[misc]
            parts, work / f"dask-{w}", address=f"local:{w}", as_of=AS_OF, calculator=calculator))
        base = base or took
        print(f"  {workers} 个工作进程  {rows / took:9.0f} 行/秒  {took:6.2f} 秒  {took / base:5.2f}× 用时",
              flush=True)
        per_partition = took / partitions * workers
    print(f"  每个分区（{size} 行）约 {per_partition:.2f} 秒·进程；10^7 行按此估计："
          f"{1e7 / size * per_partition / 3600:.1f} 进程·小时")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="小规模快速运行")
    parser.add_argument("--only", choices=["evaluate", "load", "batch", "decisions", "dask"])
    args = parser.parse_args()
    small = args.small
    print(f"Python {platform.python_version()}，{os.cpu_count()} 核，{platform.machine()}，"
          f"polars {pl.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sections: dict[str, Callable[[], None]] = {
            "evaluate": lambda: evaluate_section(work, [100] if small else [1000, 7000], 2 if small else 50),
            "load": lambda: load_section(work, [100] if small else [1000, 7000], 1 if small else 3),
            "batch": lambda: batch_section(work, 1000 if small else 20_000, Calculator.load(),
                                           "随软件发布的规则"),
            "decisions": lambda: decisions_section(work, 20_000 if small else 1_000_000,
                                                   100 if small else 1000, 5000 if small else 50_000),
            "dask": lambda: dask_section(work, 1000 if small else 40_000, 4 if small else 8,
                                         Calculator.load()),
        }
        for name, section in sections.items():
            if args.only in (None, name):
                section()


if __name__ == "__main__":
    main()
