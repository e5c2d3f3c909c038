"""Plain-Chinese renderings of rules for listings and ``rules show`` (no terminal styling:
the CLI adds that)."""

from __future__ import annotations

from ..rules.conditions import All, Any_, Leaf, Named, Node, Not
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
