"""Plain-Chinese renderings of rules for listings and ``rules show`` (no terminal styling:
the CLI adds that)."""

from __future__ import annotations

from ..base.errors import CalculatorError, did_you_mean
from ..rules.conditions import All, Any_, Leaf, Named, Node, Not
from ..rules.loading import Bundle, ClauseRule
from ..rules.schema import SUPPORT_LABELS, TARGET_LABELS
from .explaining import requirement


def condition_lines(node: Node | None, indent: int = 0) -> list[str]:
    """One line per node, indented by depth: ``全部满足：``, ``满足其一：``, ``不满足：``."""
    pad = "  " * indent
    if node is None:
        return [f"{pad}（无条件，适用对象均可申请）"]
    if isinstance(node, Leaf):
        return [f"{pad}{node.field.label}（{node.field.name}）{requirement(node)}"]
    if isinstance(node, Named):
        return [f"{pad}【{node.name}】", *condition_lines(node.child, indent + 1)]
    if isinstance(node, Not):
        return [f"{pad}不满足：", *condition_lines(node.child, indent + 1)]
    head = "全部满足：" if isinstance(node, All) else "满足其一："
    assert isinstance(node, (All, Any_))
    return [f"{pad}{head}", *(line for c in node.children for line in condition_lines(c, indent + 1))]


def clause_support(rule: ClauseRule) -> str:
    """The kind of support a clause gives: funding, tax, financing, service or direction."""
    return rule.clause.support


def _choices(value: str, labels: dict[str, str], what: str) -> set[str]:
    """The keys ``value`` names: a key, a label, or the labels containing it (人才)."""
    if value in labels:
        return {value}
    found = {key for key, label in labels.items() if value == label or (len(value) >= 2 and value in label)}
    if found:
        return found
    options = "、".join(f"{key}（{label}）" for key, label in labels.items())
    raise CalculatorError(f"{what} {value!r} 无效；可选：{options}"
                          f"{did_you_mean(value, [*labels, *labels.values()])}")


def select_clauses(bundle: Bundle, *, target: str | None = None, support: str | None = None,
                   text: str | None = None) -> list[ClauseRule]:
    """The clauses for a target (company / 企业 / 人才 …), of a kind of support (funding /
    资金 …), whose title contains every word of ``text``; in bundle order."""
    rules = list(bundle.search(text)) if text else list(bundle.clauses)
    if target is not None:
        targets = _choices(target, TARGET_LABELS, "对象")
        rules = [r for r in rules if r.clause.target in targets]
    if support is not None:
        kinds = _choices(support, SUPPORT_LABELS, "支持类型")
        rules = [r for r in rules if clause_support(r) in kinds]
    return rules
