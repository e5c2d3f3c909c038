"""A screening as a user asks for it, made ready to run: the rules loaded, clauses named by
id or by words of their titles resolved, the columns to keep read from one comma-separated
text, and the runner chosen: this machine (``run.screen_table``) or a Dask cluster
(``distributed.screen_dataset``, imported only then).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..results.calculator import Calculator
from .run import BatchResult, Progress, screen_table


def keep_columns(text: str | None) -> list[str] | None:
    """Column names separated by commas (half- or full-width); ``None`` for no text."""
    if text is None:
        return None
    return [name.strip() for name in text.replace("，", ",").split(",") if name.strip()]


@dataclass(frozen=True)
class ScreenPlan:
    source: Path
    target: Path
    calculator: Calculator
    rules: Path | None
    as_of: date
    kind: str | None
    clauses: list[str] | None
    keep: list[str] | None
    workers: int = 1
    sheet: str | None = None
    header_row: int | None = None
    engine: str = "columnar"
    #: a Dask scheduler (``tcp://host:8786`` or ``local``); ``None``: this machine
    dask: str | None = None

    @property
    def local(self) -> bool:
        """Screened on this machine: progress is reported, and the outputs replace the
        previous ones only when all are complete (a Dask output folder is written in place)."""
        return self.dask is None

    def run(self, progress: Progress | None = None) -> BatchResult:
        if self.dask is not None:
            from .distributed import screen_dataset  # imports Dask only when asked

            return screen_dataset(self.source, self.target, address=self.dask, rules=self.rules,
                                  as_of=self.as_of, kind=self.kind, clauses=self.clauses,
                                  calculator=self.calculator, keep=self.keep)
        return screen_table(self.source, self.target, rules=self.rules, as_of=self.as_of, kind=self.kind,
                            clauses=self.clauses, workers=self.workers, progress=progress,
                            calculator=self.calculator, sheet=self.sheet, header_row=self.header_row,
                            keep=self.keep, engine=self.engine)


def plan_screen(source: Path, target: Path, *, rules: Path | None = None, as_of: date,
                kind: str | None = None, clauses: Sequence[str] | None = None, keep: str | None = None,
                workers: int = 1, sheet: str | None = None, header_row: int | None = None,
                engine: str = "columnar", dask: str | None = None) -> ScreenPlan:
    """Load the rules and resolve ``clauses`` (ids, or words of a title such as 世界500强,
    as ``policycalc explain`` takes them); ``RuleFileError`` for rules that do not load or
    a clause that matches none or several."""
    calculator = Calculator.load(rules)
    chosen = [calculator.bundle.resolve(c).id for c in clauses] if clauses else None
    return ScreenPlan(source, target, calculator, rules, as_of, kind, chosen, keep_columns(keep), workers,
                      sheet, header_row, engine, dask)
