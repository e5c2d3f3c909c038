"""Batch screening over columns: a chunk of rows is decided for every clause at once by the
columnar evaluator, and only the clauses a row shows (eligible, needs information, near
miss) are then built into its ``Screening``, by the same ``screen`` the row path uses.

The result is exactly the row path's, and it is checked three ways:

- each clause the columnar evaluator says a row qualifies for, may qualify for or nearly
  qualifies for is decided again by the reference evaluator in ``screen``, and any
  difference stops the batch (``EvaluationError``);
- a deterministic sample of rows (``verify_rate``, by default 1 in 100; every row in the
  tests) is screened again the row-at-a-time way, the rules engine included, and must give
  the same row, or the batch stops;
- a row the fast path cannot take as it is (a cell that does not convert, an empty row, a
  kind cell that is not one, a number beyond 64 bits) goes to the row path whole, so its
  errors, row number and messages are the row path's own.

Cells are converted once per distinct value and column: a column of 是/否 or of district
names costs a handful of conversions however long the table.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import polars as pl
from pydantic import TypeAdapter, ValidationError

from ..base.errors import EvaluationError, ProfileError
from ..engine.columnar import Plan, frame, representable
from ..profiles.models import PROFILE_MODELS, profile_values
from ..profiles.values import convert, is_blank, shown
from ..results.building import built
from ..results.calculator import Calculator
from ..results.deciding import Prepared, _cost, _gap_cost, _not_city_scope
from ..results.screening import Screening, screen
from ..rules.loading import Bundle
from .columns import Columns, identity, input_fields, row_kind
from .layout import RowResult
from .table import InputRow

#: Share of rows screened again the row-at-a-time way (rules engine included) and compared.
VERIFY_RATE = 0.01
#: Decision codes per row and clause.
ELIGIBLE, NEEDS_INFO, NEAR_MISS, NOT_SHOWN = 0, 1, 2, 3
_SHOWN = (ELIGIBLE, NEEDS_INFO, NEAR_MISS)
_STATUS = {ELIGIBLE: "eligible", NEEDS_INFO: "needs_info", NEAR_MISS: "ineligible"}
_BAD = object()
#: Distinct cells remembered per column: enough for every choice, year and yes/no; a column
#: of names or codes stops being cached once this many are held.
CACHE_PER_FIELD = 20_000

Fallback = Callable[[InputRow], RowResult]


def sampled(row: int, rate: float) -> bool:
    """Whether row ``row`` is in the verification sample: a fixed hash of the row number,
    so a rerun checks the same rows and the sample spreads evenly over the table."""
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    return (row * 2654435761) % 2**32 < rate * 2**32


def _validators_free(kind: str) -> bool:
    """Whether the profile model checks nothing beyond its fields one by one: then a row's
    fields can be validated separately (once per distinct cell) and assembled."""
    decorators = PROFILE_MODELS[kind].__pydantic_decorators__
    return not (decorators.model_validators or decorators.field_validators
                or decorators.root_validators)


class _Cells:
    """Cell -> typed value, per field, converted and validated once per distinct cell."""

    def __init__(self, kind: str) -> None:
        model = PROFILE_MODELS[kind]
        self.specs = input_fields(kind)
        # Each field's own type and constraints (ge=0, the credit code's check digit...).
        self.adapters: dict[str, TypeAdapter[Any]] = {
            name: TypeAdapter(Annotated[info.annotation, info])  # type: ignore[arg-type]
            for name, info in model.model_fields.items() if name in self.specs}
        self.cache: dict[str, dict[Hashable, Any]] = {name: {} for name in self.specs}

    def value(self, field: str, raw: Any) -> Any:
        cache = self.cache[field]
        try:
            return cache[raw]
        except KeyError:
            pass
        except TypeError:  # a list or an object from JSONL: never cached, checked whole
            return _BAD
        try:
            typed = self.adapters[field].validate_python(convert(self.specs[field], raw))
        except (ValueError, ValidationError):
            typed = _BAD
        if not representable(self.specs[field], typed if typed is not _BAD else None):
            typed = _BAD
        if len(cache) < CACHE_PER_FIELD:  # names and codes are all distinct: memory stays bounded
            cache[raw] = typed
        return typed


@dataclass
class _Kind:
    """One profile kind's clauses, compiled for the columnar evaluator."""

    items: tuple[Prepared, ...]
    plan: Plan
    names: tuple[str, ...]


class ColumnarScreener:
    """Screens chunks of rows for one bundle, date and clause selection."""

    def __init__(self, calculator: Calculator, as_of: date,
                 clauses: Collection[str] | None = None, verify_rate: float = VERIFY_RATE) -> None:
        self.calculator = calculator
        self.bundle: Bundle
        self.bundle, prepared = calculator.prepared()
        self.as_of = as_of
        self.clauses = frozenset(clauses) if clauses is not None else None
        self.verify_rate = verify_rate
        self.kinds: dict[str, _Kind] = {}
        for kind, items in prepared.items():
            chosen = tuple(item for item in items if self.clauses is None or item.id in self.clauses)
            # A clause not in force on the date shows nowhere in a screening.
            active = tuple(item for item in chosen if not item.validity(as_of))
            plan = Plan(kind)
            names = []
            for index, item in enumerate(active):
                name = f"c{index}"
                plan.output(name, decision(plan, item))
                names.append(name)
            self.kinds[kind] = _Kind(active, plan, tuple(names))
        self._cells = {kind: _Cells(kind) for kind in PROFILE_MODELS}
        self._fast = {kind: _validators_free(kind) for kind in PROFILE_MODELS}

    # ---- cells ------------------------------------------------------------------------

    def typed(self, row: InputRow, columns: Columns) -> tuple[str, dict[str, Any], Any] | None:
        """The row's kind, typed values and profile; ``None`` when the row path must take it."""
        cells = row.cells
        if row.problem or all(is_blank(v) for v in cells.values()):
            return None
        try:
            kind = row_kind(cells, columns)
        except ValueError:
            return None
        converter = self._cells[kind]
        data: dict[str, Any] = {}
        for header, name in columns.fields[kind].items():
            raw = cells.get(header)
            if is_blank(raw):
                continue
            if name == "name":
                data["name"] = shown(raw).strip()
                continue
            value = converter.value(name, raw)
            if value is _BAD:
                return None
            data[name] = value
        if not data.get("name"):
            return None
        model = PROFILE_MODELS[kind]
        if self._fast[kind]:
            # Every value is validated already: filled in as ``model_construct`` would, with
            # its defaults taken once per model instead of once per row and field.
            profile = built(model, kind=kind, **data)
        else:
            try:
                profile = model.model_validate({"kind": kind, **data})
            except ValidationError:
                return None
        try:
            values = profile_values(profile, self.as_of)  # type: ignore[arg-type]
        except ProfileError:  # a fact dated after the evaluation date: the row path words it
            return None
        return kind, values, profile

    # ---- decisions --------------------------------------------------------------------

    def codes(self, kind: str, values: Sequence[Mapping[str, Any]]) -> list[list[tuple[int, int]]]:
        """Per row, the (clause index, code) of every clause it shows, in clause order."""
        compiled = self.kinds.get(kind)
        per_row: list[list[tuple[int, int]]] = [[] for _ in values]
        if compiled is None or not compiled.names or not values:
            return per_row
        decided = compiled.plan.run(frame(kind, values, compiled.plan.fields()))
        found = decided.select([
            (pl.col(name) == code).arg_true().implode().alias(f"{name}:{code}")
            for name in compiled.names for code in _SHOWN]).row(0)
        position = 0
        for index in range(len(compiled.names)):
            for code in _SHOWN:
                for row in found[position]:
                    per_row[row].append((index, code))
                position += 1
        for hits in per_row:
            hits.sort()
        return per_row

    def screening(self, kind: str, name: str, values: Mapping[str, Any],
                  shown_: Sequence[tuple[int, int]]) -> Screening:
        """The row's ``Screening`` from its shown clauses, by ``screen``, which decides each
        of them again by the reference evaluator."""
        items = self.kinds[kind].items
        chosen = tuple(items[index] for index, _ in shown_)
        matched = frozenset(items[index].id for index, code in shown_ if code == ELIGIBLE)
        result = screen(chosen, self.bundle, kind, name, values, matched, self.as_of)
        got = {hit.clause_id: hit.status for hit in (*result.hits, *result.directions)}
        want = {items[index].id: _STATUS[code] for index, code in shown_}
        if got != want:
            wrong = sorted(set(got.items()) ^ set(want.items()))[0][0]
            raise EvaluationError(f"条款 {wrong}：列式求值与参考求值不一致；结果不可信，已停止")
        return result

    def chunk(self, rows: Sequence[InputRow], columns: Columns | None,
              resolve_row: Callable[[InputRow], Columns | None], fallback: Fallback,
              takes: Callable[[InputRow], bool] = lambda row: True,
              finish: Callable[[InputRow, RowResult, dict[str, Any]], RowResult] | None = None,
              ) -> list[RowResult]:
        """One result per row, in order. ``columns`` holds for every row (a table with a
        header); without it ``resolve_row`` gives a row's own (JSONL), ``None`` sending the
        row to ``fallback``, the row path, as do rows ``takes`` refuses. ``finish`` adds to
        a screened row what the caller's row path adds (given the row's typed values)."""
        results: list[RowResult | None] = [None] * len(rows)
        pending: dict[str, list[tuple[int, dict[str, Any], Any]]] = {}
        for position, row in enumerate(rows):
            row_columns = columns if columns is not None else resolve_row(row)
            typed = (self.typed(row, row_columns) if row_columns is not None and takes(row)
                     else None)
            if typed is None:
                results[position] = fallback(row)
                continue
            kind, values, profile = typed
            pending.setdefault(kind, []).append((position, values, profile))
        for kind, entries in pending.items():
            shown_rows = self.codes(kind, [values for _, values, _ in entries])
            for (position, values, profile), shown_ in zip(entries, shown_rows, strict=True):
                row = rows[position]
                try:
                    screened = self.screening(kind, profile.name, values, shown_)
                except EvaluationError as err:
                    raise EvaluationError(f"第 {row.number} 行：{err}") from None
                key, text = identity(profile)
                result = RowResult(row.number, profile.name, kind, (), screened, key, text)
                if sampled(row.number, self.verify_rate):
                    check(result, fallback(row))
                results[position] = finish(row, result, values) if finish else result
        return [r for r in results if r is not None]


def check(columnar: RowResult, rows: RowResult) -> None:
    """Stop unless the row path gave the same row."""
    if (columnar.screening, columnar.errors, columnar.name, columnar.kind, columnar.key) != (
            rows.screening, rows.errors, rows.name, rows.kind, rows.key):
        raise EvaluationError(f"第 {columnar.number} 行：列式筛查与逐行筛查的结果不一致；结果不可信，已停止")


def decision(plan: Plan, item: Prepared) -> pl.Expr:
    """The clause's code per row: eligible, needs information, near miss, or not shown;
    a near miss exactly as ``deciding._near`` defines it. A statement of direction
    (政策导向) shows only where it applies (as ``screen`` shows it)."""
    condition = item.rule.condition
    met = plan.check(condition)
    if item.rule.clause.support == "direction":
        return pl.when(met).then(ELIGIBLE).otherwise(NOT_SHOWN).cast(pl.Int8)
    near = (plan.flips(condition, cost=_cost) == 1) & (
        (plan.flips(condition, cost=_gap_cost) == 1) | plan.some(condition, counts=_not_city_scope))
    return (pl.when(met).then(ELIGIBLE).when(met.is_null()).then(NEEDS_INFO)
            .when(near).then(NEAR_MISS).otherwise(NOT_SHOWN).cast(pl.Int8))


_screeners: dict[tuple[int, str, date, frozenset[str] | None, float], ColumnarScreener] = {}


def screener_for(calculator: Calculator, as_of: date, clauses: Collection[str] | None,
                 verify_rate: float) -> ColumnarScreener:
    """One screener per calculator, rules version, date and selection, kept for reuse."""
    selected = frozenset(clauses) if clauses is not None else None
    key = (id(calculator), calculator.rules_version, as_of, selected, verify_rate)
    found = _screeners.get(key)
    if found is None or found.calculator is not calculator:
        if len(_screeners) > 8:
            _screeners.clear()
        found = _screeners[key] = ColumnarScreener(calculator, as_of, selected, verify_rate)
    return found


__all__ = ["VERIFY_RATE", "ColumnarScreener", "sampled", "screener_for"]
