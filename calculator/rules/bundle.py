"""The loaded rule bundle: every clause with its document, typed condition and source
position, the stacking groups and definitions, and look-up by id or title.

Plain frozen data (schema models, condition trees, field specs from the catalogue): what
``rules.linking`` builds and ``rules.caching`` may store between runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..base.errors import UnknownClauseError, did_you_mean
from .conditions import Node
from .schema import Clause, Condition, Document, Period, StackingGroup


@dataclass(frozen=True)
class ClauseRule:
    """A clause with everything needed to evaluate and cite it."""

    clause: Clause
    document: Document
    condition: Node | None
    profile_kind: str
    file: str
    line: int | None
    #: a tiered benefit's thresholds, typed like its field when the bundle loads
    thresholds: tuple[Any, ...] = ()

    @property
    def id(self) -> str:
        return self.clause.id

    @property
    def effective(self) -> Period:
        """The clause's own period, else its document's (both ends may be open)."""
        return self.clause.effective or self.document.in_force


@dataclass(frozen=True)
class Bundle:
    clauses: tuple[ClauseRule, ...]
    groups: tuple[StackingGroup, ...]
    definitions: dict[str, Condition]
    version: str
    files: tuple[str, ...]

    def clause(self, clause_id: str) -> ClauseRule:
        for rule in self.clauses:
            if rule.id == clause_id:
                return rule
        raise UnknownClauseError(f"没有编号为 {clause_id} 的条款{self._hint(clause_id)}")

    def _hint(self, text: str) -> str:
        hint = did_you_mean(text, [r.id for r in self.clauses])
        if hint:
            return hint
        titled = self.search(text)
        if titled:
            shown = "、".join(f"{r.id}（{r.clause.title}）" for r in titled[:5])
            more = f" 等 {len(titled)} 条" if len(titled) > 5 else ""
            return f"；标题含“{text}”的条款：{shown}{more}"
        return "；用 policycalc rules list 查看全部条款编号，或输入标题中的词语查找"

    def search(self, text: str) -> list[ClauseRule]:
        """Clauses whose title contains every word of ``text``, in bundle order (ids are
        matched exactly elsewhere: a part of an id is more likely a typo than a search)."""
        words = [w for w in text.replace("，", " ").replace(",", " ").split() if w]
        if not words:
            return []
        return [r for r in self.clauses
                if all(w.lower() in r.clause.title.lower() for w in words)]

    def resolve(self, text: str) -> ClauseRule:
        """A clause by id, or by a title search that finds exactly one clause;
        ``UnknownClauseError`` with the candidates or a did-you-mean otherwise."""
        for rule in self.clauses:
            if rule.id == text:
                return rule
        found = self.search(text)
        if len(found) == 1:
            return found[0]
        if found:
            shown = "、".join(f"{r.id}（{r.clause.title}）" for r in found[:8])
            raise UnknownClauseError(f"“{text}”对应 {len(found)} 条条款，请写出编号：{shown}")
        raise UnknownClauseError(f"没有编号或标题为“{text}”的条款{self._hint(text)}")


__all__ = ["Bundle", "ClauseRule"]
