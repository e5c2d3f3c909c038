"""Columnar evaluation: the same typed condition trees as ``rules.conditions``, compiled into
Polars expressions and evaluated over a whole table at once.

A table holds one column per profile field (a multiple-choice field: one 0/1 column per
allowed value, as the rules engine sees it), ``null`` where the profile says nothing. A
field that may be answered 无 (``NONE``) has a second column, true where it was: every
comparison on such a value fails, as in the reference evaluator.
Polars' boolean operators follow Kleene logic, so a comparison of a blank is ``null`` and
``null`` is exactly the reference evaluator's *unknown*: ``true`` is met, ``false`` failed.
``flips`` and ``some`` are ``compile_flips`` and ``compile_some`` as expressions. The
reference evaluator defines the semantics; a differential test holds these equal to it.

Each distinct comparison becomes one column first and every clause reads those columns,
so a comparison shared by many clauses is computed once per table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from ..profiles.absent import NONE
from ..profiles.fields import FIELDS, FieldSpec
from ..rules.conditions import All, Leaf, Named, Node, Not

#: Polars type of each field type; ``set`` fields become one Boolean column per choice.
DTYPES: dict[str, Any] = {
    "text": pl.String, "enum": pl.String, "int": pl.Int64, "number": pl.Decimal(38, 4),
    "money": pl.Decimal(38, 2), "date": pl.Date, "bool": pl.Boolean, "set": pl.Boolean,
}
#: The row index column every table carries.
ROW = "__row"
INT_RANGE = (-(2**63), 2**63 - 1)
#: Money up to 10^20 yuan in cents, numbers with 4 decimals: what Decimal(38, *) holds.
DECIMAL_LIMIT = Decimal(10) ** 30


def choice_column(spec: FieldSpec, choice: str) -> str:
    return f"{spec.name}#{spec.choices.index(choice)}"


def none_column(spec: FieldSpec) -> str:
    return f"{spec.name}#none"


def columns_of(spec: FieldSpec) -> tuple[str, ...]:
    """The table columns that hold a field."""
    own = tuple(choice_column(spec, c) for c in spec.choices) if spec.type == "set" else (spec.name,)
    return (*own, none_column(spec)) if spec.accepts_none else own


def representable(spec: FieldSpec, value: Any) -> bool:
    """Whether a typed value fits its column exactly (an integer beyond 64 bits does not)."""
    if value is None or value is NONE:
        return True
    if spec.type == "int":
        return bool(INT_RANGE[0] <= value <= INT_RANGE[1])
    if spec.type in ("money", "number"):
        return bool(abs(value) < DECIMAL_LIMIT)
    return True


def frame(kind: str, rows: Sequence[Mapping[str, Any]],
          fields: Iterable[str] | None = None) -> pl.DataFrame:
    """A table of typed profile values (``profile_values`` dicts), one row per profile;
    with ``fields``, only those fields' columns."""
    specs = FIELDS[kind]
    wanted = specs if fields is None else {name: specs[name] for name in fields}
    data: dict[str, pl.Series] = {}
    for name, spec in wanted.items():
        column = [row.get(name) for row in rows]
        if spec.accepts_none:
            key = none_column(spec)
            data[key] = pl.Series(key, [v is NONE for v in column], dtype=pl.Boolean)
            column = [None if v is NONE else v for v in column]
        if spec.type == "set":
            for choice, key in zip(spec.choices, columns_of(spec), strict=True):
                data[key] = pl.Series(key, [None if v is None else choice in v for v in column],
                                      dtype=pl.Boolean)
        else:
            data[name] = pl.Series(name, column, dtype=DTYPES[spec.type], strict=True)
    # A column that is always there, so that a table has its height even without fields.
    data[ROW] = pl.Series(ROW, range(len(rows)), dtype=pl.Int64)
    return pl.DataFrame(data)


def _literal(spec: FieldSpec, value: Any) -> pl.Expr:
    if spec.type in ("money", "number"):
        return pl.lit(value, dtype=DTYPES[spec.type])
    if spec.type == "date":
        assert isinstance(value, date)
        return pl.lit(value, dtype=pl.Date)
    return pl.lit(value, dtype=DTYPES[spec.type])


def leaf_expr(leaf: Leaf) -> pl.Expr:
    """The comparison's outcome per row: true met, false failed, null unknown."""
    outcome = _compare(leaf)
    if leaf.field.accepts_none:
        # Answered 无: known not to exist, so nothing that needs it holds.
        return pl.when(pl.col(none_column(leaf.field))).then(False).otherwise(outcome)
    return outcome


def _compare(leaf: Leaf) -> pl.Expr:
    spec, op, value = leaf.field, leaf.op, leaf.value
    if spec.type == "set":
        present = pl.col(choice_column(spec, spec.choices[0])).is_not_null()
        if op == "exists":
            return pl.when(present).then(True).otherwise(None)
        items = (value,) if op == "contains" else tuple(value)
        cols = [pl.col(choice_column(spec, item)) for item in items]
        if op == "contains_any":
            return pl.any_horizontal(cols)
        return pl.all_horizontal(cols)
    col = pl.col(spec.name)
    if op == "exists":
        return pl.when(col.is_not_null()).then(True).otherwise(None)
    if op == "in":
        # ``in`` applies to text, choices and integers: a plain list has their exact type.
        return pl.when(col.is_null()).then(None).otherwise(col.is_in(list(value)))
    rhs = _literal(spec, value)
    return {"==": col == rhs, "!=": col != rhs, "<": col < rhs, "<=": col <= rhs,
            ">": col > rhs, ">=": col >= rhs}[op]


@dataclass
class Plan:
    """Expressions over a table, sharing one column per distinct comparison."""

    kind: str
    _leaves: dict[Leaf, str] = field(default_factory=dict)
    _outputs: dict[str, pl.Expr] = field(default_factory=dict)

    def leaf(self, leaf: Leaf) -> pl.Expr:
        name = self._leaves.get(leaf)
        if name is None:
            name = self._leaves[leaf] = f"__leaf{len(self._leaves)}"
        return pl.col(name)

    def check(self, node: Node | None) -> pl.Expr:
        """``evaluate``: true met, false failed, null unknown."""
        if node is None:
            return pl.lit(True)
        if isinstance(node, Leaf):
            return self.leaf(node)
        if isinstance(node, Named):
            return self.check(node.child)
        if isinstance(node, Not):
            return ~self.check(node.child)
        children = [self.check(child) for child in node.children]
        return pl.all_horizontal(children) if isinstance(node, All) else pl.any_horizontal(children)

    def flips(self, node: Node | None, want_met: bool = True,
              cost: Callable[[Leaf], int] = lambda leaf: 1) -> pl.Expr:
        """``compile_flips``: the weighted number of comparisons to change."""
        if node is None:
            return pl.lit(0 if want_met else 1, dtype=pl.Int32)
        if isinstance(node, Leaf):
            # FAILED is bad when the tree should be met, MET when it should fail.
            bad = (self.leaf(node) == (not want_met)).fill_null(False)
            return bad.cast(pl.Int32) * cost(node)
        if isinstance(node, Named):
            return self.flips(node.child, want_met, cost)
        if isinstance(node, Not):
            return self.flips(node.child, not want_met, cost)
        children = [self.flips(child, want_met, cost) for child in node.children]
        if isinstance(node, All) == want_met:
            return pl.sum_horizontal(children)
        return pl.min_horizontal(children)

    def some(self, node: Node | None, want_met: bool = True,
             counts: Callable[[Leaf], bool] = lambda leaf: True) -> pl.Expr:
        """``compile_some``: whether some comparison for which ``counts`` holds, read
        through its negations, is met (failed, with ``want_met=False``)."""
        if node is None or (isinstance(node, Leaf) and not counts(node)):
            return pl.lit(False)
        if isinstance(node, Leaf):
            return (self.leaf(node) == want_met).fill_null(False)
        if isinstance(node, Named):
            return self.some(node.child, want_met, counts)
        if isinstance(node, Not):
            return self.some(node.child, not want_met, counts)
        return pl.any_horizontal([self.some(child, want_met, counts) for child in node.children])

    def output(self, name: str, expr: pl.Expr) -> None:
        self._outputs[name] = expr.alias(name)

    def fields(self) -> set[str]:
        """The profile fields the plan reads."""
        return {leaf.field.name for leaf in self._leaves}

    def run(self, table: pl.DataFrame) -> pl.DataFrame:
        """Every output, one column each, one row per table row."""
        leaves = [leaf_expr(leaf).alias(name) for leaf, name in self._leaves.items()]
        # with_columns, not select: a constant output (a clause without conditions) must
        # still give one value per row.
        return (table.lazy().with_columns(leaves).with_columns(list(self._outputs.values()))
                .select(list(self._outputs)).collect())


def outcomes(kind: str, trees: Mapping[str, Node | None],
             rows: Sequence[Mapping[str, Any]]) -> dict[str, list[bool | None]]:
    """Per named tree, its three-valued outcome for each row (``None`` = unknown)."""
    plan = Plan(kind)
    for name, tree in trees.items():
        plan.output(name, plan.check(tree))
    result = plan.run(frame(kind, rows, plan.fields()))
    return {name: result.get_column(name).to_list() for name in trees}


__all__ = ["Plan", "columns_of", "frame", "leaf_expr", "outcomes", "representable"]
