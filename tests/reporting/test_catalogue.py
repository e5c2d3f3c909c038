"""The clauses as rules list shows them: grouped by document, counted by status."""

from __future__ import annotations

from calculator import Calculator
from calculator.reporting.catalogue import catalogue
from calculator.results.describe import select_clauses


def test_every_clause_is_listed_once_under_its_own_document(calc: Calculator) -> None:
    listing = catalogue(calc.bundle)
    listed = [rule.id for _, rules in listing.documents for rule in rules]
    assert sorted(listed) == sorted(rule.id for rule in calc.bundle.clauses)
    assert len(listed) == len(set(listed)) == listing.chosen == listing.total
    for document, rules in listing.documents:
        assert rules and all(rule.document.id == document.id for rule in rules)
    assert len({document.id for document, _ in listing.documents}) == len(listing.documents)
    assert sum(n for _, n in listing.statuses) == listing.total
    assert not listing.filtered and listing.rules_version == calc.bundle.version


def test_a_filter_lists_what_select_clauses_chooses(calc: Calculator) -> None:
    listing = catalogue(calc.bundle, target="人才")
    chosen = select_clauses(calc.bundle, target="人才")
    order = [document.id for document, _ in listing.documents]
    grouped = sorted(chosen, key=lambda rule: order.index(rule.document.id))  # stable: file order kept
    assert [rule.id for _, rules in listing.documents for rule in rules] == [rule.id for rule in grouped]
    assert listing.filtered and 0 < listing.chosen == len(chosen) < listing.total
