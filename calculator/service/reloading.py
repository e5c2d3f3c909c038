"""Changing the rules of a running service.

In one process (an app made by ``create_app`` inside another program) the calculator
reloads itself: ``Calculator.reload`` swaps the new rules in atomically. durable-rules
cannot free a compiled ruleset, so each such reload keeps about 3 MB for the life of the
process (docs/embedding.md). ``policycalc serve`` instead checks the new rules, then has
its supervisor replace each worker process by a fresh one that loads them: memory stays
what one load costs, however often the rules change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..results.calculator import Calculator


@dataclass(frozen=True)
class Reloaded:
    #: ``reloaded``: this process serves the new rules; ``replacing``: they passed the
    #: checks and the worker processes are being replaced
    status: Literal["reloaded", "replacing"]
    rules_version: str


#: Loads and checks the rules again; raises ``RuleFileError`` and changes nothing if
#: they are wrong.
Reloader = Callable[[], Reloaded]


def in_process(calculator: Calculator, rules: str | Path | None) -> Reloader:
    def reload() -> Reloaded:
        return Reloaded("reloaded", calculator.reload(rules))

    return reload
