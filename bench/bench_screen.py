"""Screening benchmark: how fast the batch path is, against a plain Python loop over the
same clauses, on the shipped rules and on a synthetic corpus of 1000 clauses.

    python -m bench.bench_screen                        # 10,000 profiles per case
    python -m bench.bench_screen --profiles 2000 --memory-rows 1000000

Every figure is measured in this one process run and printed; the baseline is timed on
the same profiles, and every timed path must return the same matches as the baseline or
the run fails. Peak memory is the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from calculator import Calculator
from calculator.batch.columns import header_of, input_fields
from calculator.batch.run import screen_table
from calculator.profiles.fields import FIELDS
from calculator.profiles.models import PROFILE_MODELS, CompanyProfile, TalentProfile, profile_values
from calculator.results.deciding import validity
from calculator.rules.conditions import Outcome, evaluate

from .synthetic import applicants, cells

AS_OF = date(2025, 6, 30)
Profile = CompanyProfile | TalentProfile


def baseline(calculator: Calculator, profiles: list[Profile]) -> list[frozenset[str]]:
    """The plain loop: every clause's condition tree walked for every profile (政策导向 is
    never a support a profile qualifies for)."""
    rules = calculator.bundle.clauses
    out = []
    for profile in profiles:
        values = profile_values(profile, AS_OF)
        out.append(frozenset(
            rule.id for rule in rules
            if rule.profile_kind == profile.kind and rule.clause.support != "direction"
            and validity(rule, AS_OF) is None
            and evaluate(rule.condition, values) is Outcome.MET))
    return out


def screened(calculator: Calculator, profiles: list[Profile]) -> list[frozenset[str]]:
    """Calculator.screen: engine match, cross-check, statuses, explanations, totals."""
    return [frozenset(h.clause_id for h in calculator.screen(p, AS_OF).eligible) for p in profiles]


def write_input(path: Path, kind: str, rows: Iterable[dict[str, Any]]) -> None:
    headers = [header_of(kind, name) for name in input_fields(kind)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, headers)
        writer.writeheader()
        for data in rows:
            writer.writerow(cells(kind, data))


def full_path(calculator: Calculator, source: Path, rules: Path | None, workers: int,
              progress: Callable[[int, int | None], None] | None = None,
              engine: str = "rows") -> list[frozenset[str]]:
    """screen_table: read the CSV, parse and check every row, screen, write JSONL."""
    target = source.with_name(f"out-{workers}-{engine}.jsonl")
    screen_table(source, target, rules=rules, as_of=AS_OF, workers=workers,
                 calculator=calculator, progress=progress, engine=engine)
    with target.open(encoding="utf-8") as handle:
        return [frozenset(h["clause_id"] for h in json.loads(line)["eligible"]) for line in handle]


def synthetic_rules(directory: Path, count: int, seed: int) -> Path:
    """``count`` random but valid company clauses over the real field catalogue."""
    rng = random.Random(seed)
    specs = FIELDS["company"]

    def comparison(choices: bool = True) -> dict[str, Any]:
        # An "in" becomes one engine rule per value: at most two values, and none inside
        # an "any", keep every clause within the compiler's 32 rules.
        names = ["revenue", "rd_expense", "employees", "qualifications", "founded_on", "owns_ip",
                 "foreign_invested"]
        if choices:
            names += ["district", "industry", "org_type", "listing_status", "enterprise_size"]
        name = rng.choice(names)
        spec = specs[name]
        if spec.type == "enum":
            return {"field": name, "op": "in", "value": rng.sample(spec.choices, 2)}
        if spec.type == "set":
            return {"field": name, "op": "contains", "value": rng.choice(spec.choices)}
        if spec.type == "money":
            return {"field": name, "op": ">=", "value": int(10 ** rng.uniform(5, 9))}
        if spec.type == "int":
            return {"field": name, "op": ">=", "value": rng.randrange(10, 500)}
        if spec.type == "date":
            return {"field": name, "op": "<=", "value": date(rng.randrange(2000, 2024), 1, 1)}
        return {"field": name, "op": "==", "value": True}

    clauses = []
    for i in range(count):
        parts: list[dict[str, Any]] = [comparison() for _ in range(rng.randrange(2, 5))]
        if rng.random() < 0.3:
            parts.append({"any": [comparison(False), comparison(False)]})
        clauses.append({
            "id": f"synthetic-{i:04d}", "title": f"合成条款 {i}", "target": "company",
            "support": "funding", "scope": "city", "when": {"all": parts},
            "benefit": {"kind": "fixed", "amount": rng.choice([100_000, 500_000, 2_000_000]),
                        "text": "合成奖励"},
            "citation": {"article": f"第{i}条", "quote": "合成条款"}})
    document = {"id": "synthetic", "title": "合成规则", "issuer": "基准测试", "date": date(2022, 1, 1),
                "status": "issued", "source": "synthetic.txt",
                "effective": {"start": date(2022, 1, 1), "basis": "合成规则，自文件日期起"}}
    path = directory / "synthetic.yaml"
    path.write_text(yaml.safe_dump({"document": document, "clauses": clauses}, allow_unicode=True),
                    encoding="utf-8")
    return directory


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed(label: str, count: int, base_seconds: float | None, action: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    ratio = "" if base_seconds is None else f"{seconds / base_seconds:6.2f}×"
    print(f"  {label:<38} {count / seconds:9.0f} 个/秒 {seconds / count * 1e6:9.1f} µs/个  "
          f"{ratio:>8}  峰值内存 {peak_mib():7.1f} MiB", flush=True)
    return result, seconds


def case(title: str, calculator: Calculator, rules: Path | None, kind: str, count: int,
         seed: int, work: Path) -> None:
    print(f"\n{title}：{kind}，{count} 个档案，"
          f"{sum(r.profile_kind == kind for r in calculator.bundle.clauses)} 条适用条款", flush=True)
    data = list(applicants(kind, count, seed))
    profiles: list[Profile] = [PROFILE_MODELS[kind].model_validate(d)  # type: ignore[misc]
                               for d in data]
    source = work / f"{kind}-{count}.csv"
    write_input(source, kind, data)
    expected, base = timed("(b) 基线：逐条款 Python 循环", count, None,
                           lambda: baseline(calculator, profiles))
    hits = sum(map(len, expected))
    print(f"  平均每个档案符合 {hits / count:.2f} 条")
    checks = [
        ("(a) Calculator.screen（含解释）", lambda: screened(calculator, profiles)),
        ("(a) 完整路径 CSV→JSONL，逐行，1 进程", lambda: full_path(calculator, source, rules, 1)),
        ("(a) 完整路径 CSV→JSONL，逐行，2 进程", lambda: full_path(calculator, source, rules, 2)),
        ("(c) 完整路径 CSV→JSONL，列式，1 进程",
         lambda: full_path(calculator, source, rules, 1, engine="columnar")),
        ("(c) 完整路径 CSV→JSONL，列式，2 进程",
         lambda: full_path(calculator, source, rules, 2, engine="columnar")),
    ]
    for label, action in checks:
        got, _ = timed(label, count, base, action)
        if got != expected:
            wrong = sum(a != b for a, b in zip(got, expected, strict=True))
            sys.exit(f"结果不一致：{label} 与基线有 {wrong} 个档案的符合条款不同")
    print("  (a)、(c) 与 (b) 的符合条款完全一致")


def memory_run(calculator: Calculator, rows: int, work: Path, seed: int) -> None:
    print(f"\n内存：流式筛查 {rows} 行（人才档案，1 进程），各阶段的常驻内存", flush=True)
    source = work / "memory.csv"
    write_input(source, "talent", applicants("talent", rows, seed))
    marks = sorted({m for m in (10_000, 100_000, 1_000_000, rows) if m <= rows})
    seen: dict[int, float] = {}

    def progress(done: int, total: int | None) -> None:
        for mark in marks:
            if done >= mark and mark not in seen:
                seen[mark] = rss_mib()

    start = time.perf_counter()
    screen_table(source, work / "memory-out.csv", as_of=AS_OF, calculator=calculator, progress=progress)
    seconds = time.perf_counter() - start
    for mark in marks:
        print(f"  已处理 {mark:>9} 行时常驻内存 {seen.get(mark, float('nan')):7.1f} MiB")
    print(f"  {rows / seconds:.0f} 行/秒（完整路径，含写出 CSV），峰值内存 {peak_mib():.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=10_000, help="每种情形的档案数")
    parser.add_argument("--synthetic-clauses", type=int, default=1000)
    parser.add_argument("--memory-rows", type=int, default=0, help="另做一次流式内存测量的行数")
    parser.add_argument("--memory-only", action="store_true", help="只做流式内存测量")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}，{os.cpu_count()} 核，{platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shipped = Calculator.load()
        if args.memory_only:
            memory_run(shipped, args.memory_rows or 1_000_000, work, args.seed)
            return
        for kind in ("company", "talent"):
            case("真实规则", shipped, None, kind, args.profiles, args.seed, work)
        rules = synthetic_rules(work / "rules", args.synthetic_clauses, args.seed) if (
            (work / "rules").mkdir() is None) else None
        start = time.perf_counter()
        synthetic = Calculator.load(rules)
        print(f"\n合成规则 {args.synthetic_clauses} 条：加载、校验并编译用时 "
              f"{time.perf_counter() - start:.2f} 秒")
        case("合成规则", synthetic, rules, "company", max(args.profiles // 5, 1000), args.seed, work)
        if args.memory_rows:
            memory_run(shipped, args.memory_rows, work, args.seed)


if __name__ == "__main__":
    main()
