"""How a screened row looks in an output table: flat cells for CSV and XLSX, a JSON
object for JSONL. Both carry the same facts: errors, or eligible, needs-info and near-miss
clauses, each with its clause id and citation reference, and the totals."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..base.money import format_money
from ..profiles.models import PROFILE_KIND_LABELS
from ..results.amounts import CASH_KINDS
from ..results.report import STATUS_LABELS
from ..results.screening import Hit, Screening
from .columns import CellError
from .summary import UNBOUNDED

if TYPE_CHECKING:
    from ..results.calculator import Calculator

@dataclass(frozen=True)
class RowResult:
    number: int
    name: str
    kind: str
    errors: tuple[CellError, ...] = ()
    screening: Screening | None = None
    key: str | None = None
    key_text: str = ""
    #: the output row, formatted where the row was screened so that the writing process
    #: (the one that cannot be parallel) only writes
    output: Any = None
    #: what the reader did to the row (merged cells filled)
    notes: tuple[str, ...] = ()
    #: the input's own columns carried to the output, in ``RowFormatter.passthrough`` order
    passthrough: tuple[Any, ...] = ()
    #: the template's example row: written, never screened
    example: bool = False
    #: per near-missed clause (of the selected ones), how far it is (``gaps.gap``)
    gaps: tuple[tuple[str, float], ...] = ()


def max_text(screening: Screening) -> Decimal | str:
    """The maximum total; when there is none, the priced part and why the rest has no
    bound: an uncapped award, or an amount the policy leaves to case-by-case decision."""
    if screening.total_max is not None:
        return screening.total_max
    priced = [h for h in screening.eligible if h.benefit_kind in CASH_KINDS - {"case_by_case"}]
    if any(h.max is None for h in priced):
        return UNBOUNDED
    known = sum((h.max for h in priced if h.max is not None), Decimal(0))
    return f"{format_money(known)}，另有一事一议（金额未明确）" if known else "未明确（一事一议）"


def _amount_line(hit: Hit) -> str:
    return f"{hit.clause_id} {hit.title}：{hit.amount}〔{hit.citation}〕"


def _clause_line(hit: Hit) -> str:
    return f"{hit.clause_id} {hit.title}〔{hit.citation}〕"


def _near_line(hit: Hit) -> str:
    return f"{hit.clause_id} {hit.title}：{'；'.join(hit.reasons)}〔{hit.citation}〕"


def _caveat_lines(hits: tuple[Hit, ...]) -> str:
    """Each shown clause's caveats once, under its id: the readings a result rests on."""
    return "\n".join(f"{hit.clause_id}：{caveat}" for hit in hits for caveat in hit.caveats)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {"clause_id": hit.clause_id, "title": hit.title, "amount": hit.amount,
            "min": _money(hit.min), "max": _money(hit.max), "citation": hit.citation,
            "missing": list(hit.missing), "reasons": list(hit.reasons),
            "support": hit.support, "support_label": hit.support_label, "caveats": list(hit.caveats)}


RESULT_COLUMNS = ("名称", "类型", "结果", "符合条款数", "待补充条款数", "差一项条款数",
                  "确定可得（元）", "最高（元）", "金额说明", "需补充的信息", "符合的条款",
                  "待补充信息的条款", "差一项的条款", "适用的政策导向（不计入支持）",
                  "提示（规则的理解与需认定的事项）", "错误", "备注")
WIDTHS = {"行号": 7, "名称": 22, "类型": 10, "结果": 14, "符合条款数": 8, "待补充条款数": 8,
          "差一项条款数": 8, "确定可得（元）": 16, "最高（元）": 16, "金额说明": 26,
          "需补充的信息": 30, "符合的条款": 60, "待补充信息的条款": 44, "差一项的条款": 60,
          "适用的政策导向（不计入支持）": 36, "提示（规则的理解与需认定的事项）": 50, "错误": 60, "备注": 36}
EXAMPLE_OUTCOME = "示例行（未筛查）"


def passthrough_headers(columns: Sequence[str]) -> tuple[str, ...]:
    """The output headers for the input's own columns: as written, unless the result
    columns already use the name."""
    taken = {"行号", *RESULT_COLUMNS}
    return tuple(f"{c}（原表）" if c in taken else c for c in columns)


def missing_fields(screening: Screening) -> list[str]:
    """Every field still to fill in, once, in the order the clauses ask for them."""
    return list(dict.fromkeys(m for hit in screening.needs_info for m in hit.missing))


class RowFormatter:
    candidate_header = ("条款编号", "条款", "名次", "行号", "名称", "状态", "说明")
    errors_header = ("行号", "列", "值", "问题", "应填")

    def __init__(self, passthrough: Sequence[str] = ()) -> None:
        self.passthrough = tuple(passthrough)
        self.header = ("行号", *passthrough_headers(self.passthrough), *RESULT_COLUMNS)
        self.widths = dict(WIDTHS)
        for title in self.header[1:1 + len(self.passthrough)]:
            self.widths.setdefault(title, 16)

    def flat(self, row: RowResult) -> list[Any]:
        kind = PROFILE_KIND_LABELS.get(row.kind, "")
        notes = "\n".join(row.notes)
        start = [row.number, *row.passthrough, row.name, kind]
        if row.example:
            return [*start, EXAMPLE_OUTCOME, *[""] * 13, notes]
        if row.errors or row.screening is None:
            errors = "\n".join(_error_text(e.column, e.value, e.message) for e in row.errors)
            return [*start, "有错误", *[""] * 12, errors, notes]
        s = row.screening
        outcome = f"符合 {len(s.eligible)} 项" if s.eligible else "暂无符合的条款"
        note = "" if s.total_max is not None else max_text(s)
        return [*start, outcome, len(s.eligible), len(s.needs_info), len(s.near_misses),
                s.total_min, s.total_max, note, "、".join(missing_fields(s)),
                "\n".join(map(_amount_line, s.eligible)),
                "\n".join(map(_clause_line, s.needs_info)),
                "\n".join(map(_near_line, s.near_misses)),
                "\n".join(f"{h.clause_id} {h.title}" for h in s.directions),
                _caveat_lines(s.eligible + s.needs_info), "", notes]

    def structured(self, row: RowResult) -> dict[str, Any]:
        out: dict[str, Any] = {"row": row.number, "name": row.name, "kind": row.kind or None}
        if self.passthrough:
            out["columns"] = dict(zip(self.passthrough, row.passthrough, strict=True))
        if row.notes:
            out["notes"] = list(row.notes)
        if row.example:
            out.update(example=True, errors=[])
            return out
        if row.errors or row.screening is None:
            out["errors"] = [{"column": e.column or None, "value": e.value or None,
                              "message": e.message} for e in row.errors]
            return out
        s = row.screening
        out.update(errors=[], eligible=[_hit_json(h) for h in s.eligible],
                   needs_info=[_hit_json(h) for h in s.needs_info],
                   near_misses=[_hit_json(h) for h in s.near_misses],
                   directions=[_hit_json(h) for h in s.directions],
                   missing=missing_fields(s),
                   total_min=str(s.total_min), total_max=_money(s.total_max),
                   total_max_note=None if s.total_max is not None else max_text(s))
        return out

    def error_rows(self, row: RowResult) -> list[list[Any]]:
        """The 错误 sheet's rows for one refused row: one per problem."""
        out = []
        for error in row.errors:
            problem, _, expected = error.message.partition("；应填：")
            out.append([error.row, error.column, _short(error.value), problem, expected])
        return out

    def candidate_rows(self, selected: Collection[str],
                       ranked: Callable[[str], Iterator[tuple[int, str, str, str]]],
                       calculator: Calculator) -> Iterator[list[Any]]:
        """Per selected clause, everyone who qualifies or nearly does, closest first."""
        for clause_id in sorted(selected):
            title = calculator.bundle.clause(clause_id).clause.title
            for place, (number, name, status, detail) in enumerate(ranked(clause_id), start=1):
                label = "差一项" if status == "ineligible" else STATUS_LABELS[status]
                yield [clause_id, title, place, number, name, label, detail]


def _short(value: str, limit: int = 200) -> str:
    return value if len(value) <= limit else value[: limit - 1] + f"…（共 {len(value)} 个字符）"


def _error_text(column: str, value: str, message: str) -> str:
    value = _short(value)
    where = f"列“{column}”" if column else ""
    if value:
        where += f"，值“{value}”" if where else f"值“{value}”"
    return f"{where}：{message}" if where else message
