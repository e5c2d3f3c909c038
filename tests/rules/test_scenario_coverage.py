"""Every clause of the corpus is covered by scenarios for each status it can take.

In force: ``eligible``, ``ineligible`` (unless the condition can never fail) and, when the
clause has a condition, ``needs_info``. Draft: two ``not_in_force`` scenarios (one meeting
the condition and one failing it; the status cannot tell them apart).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from calculator import Calculator
from calculator.rules.conditions import All, Any_, Leaf, Named, Node, Not

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def expected_statuses() -> tuple[dict[str, set[str]], dict[str, int]]:
    """Per clause id: the set of expected statuses, and how many scenarios expect not_in_force."""
    statuses: dict[str, set[str]] = defaultdict(set)
    not_in_force: dict[str, int] = defaultdict(int)
    for path in sorted(SCENARIOS.glob("*.yaml")):
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for scenario in data.get("scenarios") or []:
            for clause_id, wanted in (scenario.get("expect") or {}).items():
                status = wanted if isinstance(wanted, str) else wanted["status"]
                statuses[clause_id].add(status)
                not_in_force[clause_id] += status == "not_in_force"
    return statuses, not_in_force


def can_be(node: Node | None, met: bool) -> bool:
    """Whether some profile could make the condition met (``met``) or failed (not ``met``).
    ``exists`` is never failed, so e.g. ``any: [x == 1, y exists]`` can never fail."""
    if node is None:
        return met
    if isinstance(node, Leaf):
        return met or node.op != "exists"
    if isinstance(node, Named):
        return can_be(node.child, met)
    if isinstance(node, Not):
        return can_be(node.child, not met)
    assert isinstance(node, (All, Any_))
    every = isinstance(node, All) == met  # all of All's children must be met; all of Any's fail
    results = [can_be(child, met) for child in node.children]
    return all(results) if every else any(results)


def test_every_clause_has_scenarios_for_each_status() -> None:
    statuses, not_in_force = expected_statuses()
    gaps: list[str] = []
    for rule in Calculator.load().bundle.clauses:
        if rule.document.status == "draft":
            if not_in_force[rule.id] < 2:
                gaps.append(f"{rule.id}: 征求意见稿需 2 个 not_in_force 场景（符合/不符合条件各一），"
                            f"现有 {not_in_force[rule.id]} 个")
            continue
        wanted = ["eligible"]
        if can_be(rule.condition, met=False):
            wanted.append("ineligible")
        if rule.condition is not None:
            wanted.append("needs_info")
        missing = [s for s in wanted if s not in statuses[rule.id]]
        if missing:
            gaps.append(f"{rule.id}: 缺少 {', '.join(missing)}")
    assert not gaps, "场景覆盖不足：\n" + "\n".join(gaps)
