"""The clauses of a bundle as a reader browses them: chosen by target, kind of support or
words of their titles, grouped by policy document in file order, with how many clauses
each document status holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..results.describe import select_clauses
from ..rules.loading import Bundle, ClauseRule
from ..rules.schema import Document


@dataclass(frozen=True)
class Catalogue:
    #: each document with its chosen clauses, in the order they were chosen
    documents: list[tuple[Document, list[ClauseRule]]]
    chosen: int
    #: the clauses of the whole bundle
    total: int
    #: whether any filter was given
    filtered: bool
    #: (document status, number of chosen clauses), by status
    statuses: list[tuple[str, int]]
    rules_version: str


def catalogue(bundle: Bundle, *, target: str | None = None, support: str | None = None,
              text: str | None = None) -> Catalogue:
    """``select_clauses`` grouped by document (raising what it raises for an unknown target)."""
    chosen = select_clauses(bundle, target=target, support=support, text=text)
    by_doc: dict[str, list[ClauseRule]] = {}
    for rule in chosen:
        by_doc.setdefault(rule.document.id, []).append(rule)
    counts = Counter(rule.document.status for rule in chosen)
    return Catalogue([(rules[0].document, rules) for rules in by_doc.values()], len(chosen),
                     len(bundle.clauses), bool(target or support or text), sorted(counts.items()),
                     bundle.version)
