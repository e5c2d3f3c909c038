"""GoRules ZEN 对照：把条款的条件树译成 ZEN 决策（JDM），与本项目的各个引擎在同样的条款、同样的档案上比较。

    pip install ".[bench]"                 # zen-engine
    python -m bench.bench_zen              # 随软件发布的规则和 1000 条合成条款，约 2 分钟
    python -m bench.bench_zen --quick      # 冒烟运行（CI）：少量档案、100 条合成条款

Every path decides the same clauses for the same profiles and every answer is checked
against the reference evaluator (``conditions.evaluate``): ZEN's three-valued result and
its two-valued "met" decision, the compiled closures, durable-rules, the Polars columnar
engine and every status of ``Calculator.evaluate``. A mismatch prints the first ones and
exits non-zero. A clause ZEN cannot state exactly (``zen_jdm.Untranslatable``) is named in
the output and left out of every path, so that all paths still decide the same clauses.
Figures are per-call latency (p50/p99) and throughput, with ratios against the compiled
closures timed in the same run; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calculator import Calculator, load_profile
from calculator.engine.columnar import Plan, frame
from calculator.engine.compiling import compile_bundle
from calculator.engine.runner import Engine
from calculator.profiles.models import PROFILE_MODELS, profile_values
from calculator.results.deciding import validity
from calculator.rules.conditions import Outcome, compile_check, evaluate
from calculator.rules.loading import ClauseRule

from . import zen_jdm
from .bench_screen import AS_OF, synthetic_rules
from .synthetic import applicants

ROOT = Path(__file__).resolve().parent.parent
STATUS = {Outcome.MET: "eligible", Outcome.FAILED: "ineligible", Outcome.UNKNOWN: "needs_info"}
AS_BOOL = {Outcome.MET: True, Outcome.FAILED: False, Outcome.UNKNOWN: None}
#: Mismatches printed before the run stops.
SHOWN = 5


def load_avg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Case:
    """One rule set and one kind of profile: the clauses, the profiles, the reference answers."""

    title: str
    kind: str
    calculator: Calculator
    rules: list[ClauseRule]
    profiles: list[Any]
    values: list[dict[str, Any]] = field(default_factory=list)
    #: expected[profile][clause], by the reference evaluator (tree walk)
    expected: list[list[Outcome]] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    #: clause id -> why ZEN cannot state it; such clauses are left out of every path
    excluded: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = [profile_values(p, AS_OF) for p in self.profiles]
        self.expected = [[evaluate(rule.condition, v) for rule in self.rules] for v in self.values]

    def check(self, label: str, index: int, got: Sequence[Any], want: Sequence[Any]) -> None:
        """Record where a path's answers for one profile differ from the expected ones."""
        if len(got) != len(want):
            self.mismatches.append(f"{label}：档案 {index} 有 {len(got)} 个答案，应为 {len(want)} 个")
            return
        for rule, a, b in zip(self.rules, got, want, strict=True):
            if a != b:
                self.mismatches.append(f"{label}：档案 {index}（{self.profiles[index].name}）条款 {rule.id}："
                                       f"得到 {a!r}，参考求值为 {b!r}")


@dataclass
class Timing:
    label: str
    #: seconds per call (empty for a batch path, which has no per-profile latency)
    times: list[float]
    #: seconds for each round over all the inputs
    rounds: list[float]
    #: inputs per round
    count: int

    @property
    def per_profile(self) -> float:
        """Seconds per profile in the fastest round (the round least disturbed by the
        machine's other work)."""
        return min(self.rounds) / self.count


def single(label: str, inputs: Sequence[Any], repeat: int,
           run: Callable[[Any], Any]) -> tuple[Timing, list[Any]]:
    """Each input decided ``repeat`` times, one call at a time; the first round's answers."""
    for item in inputs[: min(len(inputs), 5)]:  # warm
        run(item)
    times: list[float] = []
    rounds: list[float] = []
    answers: list[Any] = []
    for round_ in range(repeat):
        begin = len(times)
        for item in inputs:
            start = time.perf_counter()
            answer = run(item)
            times.append(time.perf_counter() - start)
            if round_ == 0:
                answers.append(answer)
        rounds.append(sum(times[begin:]))
    return Timing(label, times, rounds, len(inputs)), answers


def batch(label: str, inputs: Sequence[Any], repeat: int,
          run: Callable[[Sequence[Any]], list[Any]]) -> tuple[Timing, list[Any]]:
    """All inputs decided in one call, ``repeat`` times; the first round's answers."""
    run(inputs[: min(len(inputs), 5)])
    answers: list[Any] = []
    rounds: list[float] = []
    for round_ in range(repeat):
        start = time.perf_counter()
        got = run(inputs)
        rounds.append(time.perf_counter() - start)
        if round_ == 0:
            answers = got
    return Timing(label, [], rounds, len(inputs)), answers


def seconds(text: str) -> float:
    """ZEN's own ``performance`` figure ("12.3µs", "1.2ms") in seconds."""
    match = re.fullmatch(r"([0-9.]+)\s*(ns|µs|us|ms|s)", text.strip())
    if not match:
        raise ValueError(f"ZEN 的 performance 字段无法识别：{text!r}")
    scale = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}[match.group(2)]
    return float(match.group(1)) * scale


def pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def report(timings: list[Timing], base: Timing) -> None:
    print(f"  {pad('路径', 52)} {'p50':>11} {'p99':>11} {'个/秒':>8} {'对基线':>6}")
    for t in timings:
        if t.times:
            ordered = sorted(t.times)
            p50 = f"{statistics.median(ordered) * 1e6:.1f} µs"
            p99 = f"{ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e6:.1f} µs"
        else:
            p50 = p99 = "—"
        print(f"  {pad(t.label, 52)} {p50:>11} {p99:>11} {1 / t.per_profile:11.0f} "
              f"{t.per_profile / base.per_profile:8.2f}×", flush=True)


def naive_section(case: Case, zen: Any) -> None:
    """Counts, not timings: what the first-draft translation (connectives over plain
    comparisons, blanks as null) gives on these profiles."""
    errors = wrong_met = wrong_not = right = 0
    compiled = [zen.compile_expression(zen_jdm.naive(rule.condition)) for rule in case.rules]
    for values, expected in zip(case.values, case.expected, strict=True):
        ctx = zen_jdm.context(case.kind, values)
        for expression, outcome in zip(compiled, expected, strict=True):
            try:
                answer = expression.evaluate(ctx)
            except Exception:  # ZEN raises a plain RuntimeError on a VM error
                errors += 1
                continue
            if bool(answer) == (outcome is Outcome.MET):
                right += 1
            elif answer:
                wrong_met += 1
            else:
                wrong_not += 1
    total = errors + wrong_met + wrong_not + right
    print(f"  对照：直译（不加空值保护，空白和“无”都是 null）的 {total} 个判定中，"
          f"{errors} 个 ZEN 报错中止（{errors / total:.0%}），{wrong_met} 个把不符合或待补充判为符合，"
          f"{wrong_not} 个把符合判为不符合，{right} 个正确", flush=True)


def expressible(rules: Sequence[ClauseRule]) -> tuple[list[ClauseRule], dict[str, str]]:
    """The clauses ZEN can state exactly, and why each other one cannot be."""
    kept: list[ClauseRule] = []
    excluded: dict[str, str] = {}
    for rule in rules:
        try:
            zen_jdm.three_valued(rule.condition)
        except zen_jdm.Untranslatable as err:
            excluded[rule.id] = str(err)
        else:
            kept.append(rule)
    return kept, excluded


def run_case(case: Case, repeat: int, batch_rows: int, zen: Any) -> None:
    kind, rules = case.kind, case.rules
    print(f"\n{case.title}：{kind}，{len(rules)} 条条款 × {len(case.profiles)} 个档案，"
          f"{repeat} 轮，取最快一轮（负载 {load_avg()}）", flush=True)
    for clause_id, why in case.excluded.items():
        print(f"  ZEN 无法表达条款 {clause_id}：{why}；各路径都只比较其余 {len(rules)} 条")
    if not case.excluded:
        print("  每条条款都能译成 ZEN 表达式", flush=True)
    keys = [f"c{i}" for i in range(len(rules))]
    expressions = {key: zen_jdm.three_valued(rule.condition) for key, rule in zip(keys, rules, strict=True)}
    two_valued = {key: zen_jdm.met(rule.condition) for key, rule in zip(keys, rules, strict=True)}
    three_jdm = zen_jdm.decision(expressions)
    two_jdm = zen_jdm.decision(two_valued)
    only = zen_jdm.fields_read(rule.condition for rule in rules)
    size = len(json.dumps(three_jdm, ensure_ascii=False).encode())
    print(f"  ZEN 决策：1 个表达式节点，{len(expressions)} 个表达式，JDM {size / 1024:.0f} KiB；"
          f"档案上下文只带条款读取的 {len(only)} 个字段", flush=True)

    start = time.perf_counter()
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"three": three_jdm, "two": two_jdm}}})
    engine.evaluate("three", zen_jdm.context(kind, case.values[0], only))
    engine.evaluate("two", zen_jdm.context(kind, case.values[0], only))
    zen_load = time.perf_counter() - start
    text = json.dumps(three_jdm, ensure_ascii=False)
    from_text = engine.create_decision(text)
    precompiled = engine.create_decision(zen.ZenDecisionContent(text))
    print(f"  ZEN 载入并编译两个决策、各判定一次：{zen_load * 1e3:.0f} ms", flush=True)

    reported: list[float] = []

    def three(values: dict[str, Any]) -> list[str]:
        answer = engine.evaluate("three", zen_jdm.context(kind, values, only))
        reported.append(seconds(answer["performance"]))
        result = answer["result"]
        return [result[key] for key in keys]

    def two(values: dict[str, Any]) -> list[bool]:
        result = engine.evaluate("two", zen_jdm.context(kind, values, only))["result"]
        return [result[key] for key in keys]

    def via_decision(decision: Any) -> Callable[[dict[str, Any]], list[str]]:
        def run(values: dict[str, Any]) -> list[str]:
            result = decision.evaluate(zen_jdm.context(kind, values, only))["result"]
            return [result[key] for key in keys]
        return run

    def zen_batch(rows: Sequence[dict[str, Any]]) -> list[list[str]]:
        answers = engine.evaluate_batch([{"key": "three", "context": zen_jdm.context(kind, v, only)}
                                         for v in rows])
        out = []
        for answer in answers:
            if not answer.get("success"):
                raise RuntimeError(f"ZEN 批量判定出错：{answer.get('error')}")
            result = answer["data"]["result"]
            out.append([result[key] for key in keys])
        return out

    checks = [compile_check(rule.condition) for rule in rules]

    def closures(values: dict[str, Any]) -> list[Outcome]:
        return [check(values) for check in checks]

    rules_engine = Engine(compile_bundle(case.calculator.bundle))

    def durable(values: dict[str, Any]) -> frozenset[str]:
        return rules_engine.match(kind, values)

    plan = Plan(kind)
    for key, rule in zip(keys, rules, strict=True):
        plan.output(key, plan.check(rule.condition))
    plan_fields = plan.fields()

    def columnar(rows: Sequence[dict[str, Any]]) -> list[list[bool | None]]:
        decided = plan.run(frame(kind, rows, plan_fields))
        columns = [decided.get_column(key).to_list() for key in keys]
        return [list(row) for row in zip(*columns, strict=True)]

    def full(profile: Any) -> dict[str, str]:
        return {r.clause_id: r.status for r in case.calculator.evaluate(profile, AS_OF).results}

    index = range(len(case.values))
    timings: list[Timing] = []
    base, got = single("编译闭包 compile_check（基线）", case.values, repeat, closures)
    timings.append(base)
    for i in index:
        case.check(base.label, i, got[i], case.expected[i])

    timing, got = single("ZEN ZenEngine.evaluate，三值", case.values, repeat, three)
    timings.append(timing)
    for i in index:
        case.check(timing.label, i, got[i], [o.value for o in case.expected[i]])
    timing, got = single("ZEN ZenEngine.evaluate，二值（是否符合）", case.values, repeat, two)
    timings.append(timing)
    for i in index:
        case.check(timing.label, i, got[i], [o is Outcome.MET for o in case.expected[i]])
    for label, decision in (("ZEN ZenDecision.evaluate，三值（由 JSON 文字）", from_text),
                            ("ZEN ZenDecision.evaluate，三值（由 DecisionContent）", precompiled)):
        timing, got = single(label, case.values, repeat, via_decision(decision))
        timings.append(timing)
        for i in index:
            case.check(timing.label, i, got[i], [o.value for o in case.expected[i]])
    # Batch paths get a longer table: the profiles again and again, up to ``batch_rows``.
    table = [case.values[i % len(case.values)] for i in range(max(batch_rows, len(case.values)))]
    timing, got = batch(f"ZEN evaluate_batch，三值（{len(table)} 个一批）", table, repeat, zen_batch)
    timings.append(timing)
    for i in range(len(table)):
        case.check(timing.label, i % len(case.values), got[i],
                   [o.value for o in case.expected[i % len(case.values)]])

    timing, got = single("durable-rules（只判定符合）", case.values, repeat, durable)
    timings.append(timing)
    ids = [rule.id for rule in rules]
    for i in index:
        met = [rule_id in got[i] for rule_id in ids]
        case.check(timing.label, i, met, [o is Outcome.MET for o in case.expected[i]])

    timing, got = batch(f"Polars 列式，三值（{len(table)} 行一批）", table, repeat, columnar)
    timings.append(timing)
    for i in range(len(table)):
        case.check(timing.label, i % len(case.values), got[i],
                   [AS_BOOL[o] for o in case.expected[i % len(case.values)]])
    timing, got = single("Polars 列式，三值（每次一行）", [[v] for v in case.values], 1,
                         lambda rows: columnar(rows)[0])
    timings.append(timing)
    for i in index:
        case.check(timing.label, i, got[i], [AS_BOOL[o] for o in case.expected[i]])

    timing, got = single("Calculator.evaluate（完整报告）", case.profiles, repeat, full)
    timings.append(timing)
    for i in index:
        statuses = [got[i].get(rule.id) for rule in rules]
        want = ["not_in_force" if validity(rule, AS_OF) else STATUS[o]
                for rule, o in zip(rules, case.expected[i], strict=True)]
        case.check(timing.label, i, statuses, want)

    report(timings, base)
    start = time.perf_counter()
    for values in case.values:
        zen_jdm.context(kind, values, only)
    encode = (time.perf_counter() - start) / len(case.values)
    print(f"  ZEN 三值单次判定中：ZEN 自报的判定用时（performance）中位数 "
          f"{statistics.median(reported) * 1e6:.1f} µs，档案编码为 JSON 上下文 {encode * 1e6:.1f} µs，"
          f"其余为 Python 与 Rust 之间的调用和结果转换", flush=True)
    if case.mismatches:
        print(f"\n结果不一致（共 {len(case.mismatches)} 处），前 {SHOWN} 处：", file=sys.stderr)
        for line in case.mismatches[:SHOWN]:
            print(f"  {line}", file=sys.stderr)
        sys.exit(1)
    decided = len(case.values) * len(rules)
    counts = {o: sum(row.count(o) for row in case.expected) for o in Outcome}
    print(f"  全部 {decided} 个判定各路径与参考求值一致（符合 {counts[Outcome.MET]}，"
          f"待补充 {counts[Outcome.UNKNOWN]}，不符合 {counts[Outcome.FAILED]}）；负载 {load_avg()}",
          flush=True)
    naive_section(case, zen)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="冒烟运行：少量档案、100 条合成条款、1 轮")
    parser.add_argument("--profiles", type=int, default=None,
                        help="随软件发布的规则：每类合成档案数（另加全部示例档案；默认 500，--quick 为 20）")
    parser.add_argument("--synthetic-clauses", type=int, default=None,
                        help="合成条款数（默认 1000，--quick 为 100）")
    parser.add_argument("--synthetic-profiles", type=int, default=None,
                        help="合成条款上的企业档案数（默认 200，--quick 为 10）")
    parser.add_argument("--repeat", type=int, default=None,
                        help="每条路径测几轮，取最快一轮（默认 3，合成规则上 2；--quick 为 1）")
    parser.add_argument("--batch-rows", type=int, default=None,
                        help="整批路径（ZEN evaluate_batch、Polars）每批的行数，档案循环使用"
                             "（默认 5000，合成规则上 1000；--quick 为 100）")
    parser.add_argument("--seed", type=int, default=7, help="合成档案与合成条款的随机种子")
    args = parser.parse_args()
    try:
        import zen
    except ImportError:
        sys.exit('需要 zen-engine：pip install ".[bench]"')
    quick = args.quick
    per_kind = args.profiles if args.profiles is not None else (20 if quick else 500)
    clauses = args.synthetic_clauses if args.synthetic_clauses is not None else (100 if quick else 1000)
    firms = args.synthetic_profiles if args.synthetic_profiles is not None else (10 if quick else 200)
    repeat = args.repeat if args.repeat is not None else (1 if quick else 3)
    rows = args.batch_rows if args.batch_rows is not None else (100 if quick else 5000)
    from importlib.metadata import version
    print(f"Python {platform.python_version()}，{os.cpu_count()} 核，{platform.machine()}，"
          f"zen-engine {version('zen-engine')}，负载 {load_avg()}", flush=True)

    shipped = Calculator.load()
    examples = [load_profile(p) for p in sorted((ROOT / "profiles").glob("*.yaml"))]
    for kind in ("company", "talent"):
        model = PROFILE_MODELS[kind]
        profiles: list[Any] = [p for p in examples if p.kind == kind]
        profiles += [model.model_validate(d) for d in applicants(kind, per_kind, args.seed)]
        rules, excluded = expressible([r for r in shipped.bundle.clauses if r.profile_kind == kind])
        run_case(Case("随软件发布的规则（示例档案 + 合成档案）", kind, shipped, rules, profiles,
                      excluded=excluded), repeat, rows, zen)

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "rules"
        directory.mkdir()
        synthetic = Calculator.load(synthetic_rules(directory, clauses, args.seed))
    model = PROFILE_MODELS["company"]
    firm_profiles: list[Any] = [model.model_validate(d) for d in applicants("company", firms, args.seed + 1)]
    rules, excluded = expressible(synthetic.bundle.clauses)
    run_case(Case(f"合成规则 {clauses} 条（合成档案）", "company", synthetic, rules, firm_profiles,
                  excluded=excluded),
             args.repeat if args.repeat is not None else (1 if quick else 2),
             args.batch_rows if args.batch_rows is not None else (100 if quick else 1000), zen)


if __name__ == "__main__":
    main()
