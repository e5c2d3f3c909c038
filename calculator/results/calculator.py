"""The calculator: load a rule bundle once, evaluate many profiles.

The rules engine decides which clauses are met; the reference evaluator explains every
clause (three-valued, with reasons) and is checked against the engine on every call, so
an engine fault can never silently produce a wrong result.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from ..base.errors import CalculatorError, ProfileError
from ..engine.compiling import Shard, compile_bundle
from ..engine.runner import Engine
from ..profiles.models import CompanyProfile, TalentProfile, profile_values
from ..profiles.reading import parse_profile
from ..rules.caching import cached
from ..rules.loading import Bundle, content_digest, load_bundle
from .building import built, complete
from .deciding import Prepared, decide, missing_for, prepare
from .explaining import reasons
from .interview import Question, next_questions
from .report import DETAILS, STATUS_ORDER, ClauseResult, Detail, Missing, ProfileRef, Report
from .screening import Screening, screen
from .stacking import apply

AnyProfile = CompanyProfile | TalentProfile
#: What ``evaluate`` accepts as a date: a ``date``, an ISO ``"YYYY-MM-DD"`` string, or
#: ``None`` for today.
AsOf = date | str | None


def as_date(value: object) -> date:
    """The evaluation date; ``ProfileError`` for anything that is not a date."""
    if value is None:
        return date.today()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ProfileError(f"评估日期 as_of 应为日期或 \"YYYY-MM-DD\" 文字，实际为 {value!r}")


def as_profile(value: object) -> AnyProfile:
    """A profile model, or a mapping read as one (as ``parse_profile`` reads YAML)."""
    if isinstance(value, (CompanyProfile, TalentProfile)):
        return value
    if isinstance(value, Mapping):
        return parse_profile(dict(value))
    raise ProfileError(f"档案应为 CompanyProfile、TalentProfile 或键值映射（dict），"
                       f"实际为 {type(value).__name__}；文件请先用 load_profile(路径) 读取")


@cache
def package_version() -> str:
    try:
        return metadata.version("policy-calculator")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def shipped_rules() -> Path:
    """The rule corpus shipped with the package (``rules/`` in a source checkout)."""
    packaged = Path(str(resources.files("calculator"))) / "shipped" / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


@dataclass(frozen=True)
class _Compiled:
    """A bundle and the engine compiled from it: swapped as one, never mutated."""

    bundle: Bundle
    engine: Engine
    #: per profile kind, the clauses prepared for evaluation
    clauses: dict[str, tuple[Prepared, ...]]


def _compile(bundle: Bundle, shards: list[Shard] | None = None) -> _Compiled:
    with _no_collection():
        shards = compile_bundle(bundle) if shards is None else shards
        return _Compiled(bundle, Engine(shards), prepare(bundle))


@contextmanager
def _no_collection() -> Iterator[None]:
    """Loading creates millions of objects and frees few: the cycle collector would walk
    the growing heap again and again (a third of a 7000-clause load). Paused meanwhile.
    Afterwards the new objects are moved to the oldest generation without a collection
    (``gc.freeze`` then ``gc.unfreeze``: the allocation count is reset, so the first
    allocation after loading does not walk the whole heap once more, about a second for
    7000 clauses). Nothing is kept out of later collections unless the process asked for
    that with ``settle_loaded`` before, in which case the new objects join the frozen ones.
    A bundle and what is compiled from it hold no reference cycles."""
    enabled = gc.isenabled()
    settled = gc.get_freeze_count() > 0
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            if not settled:
                gc.unfreeze()
            gc.enable()


#: Where compiled bundles are kept between runs: ``None`` (or ``True``) the default folder
#: (``$POLICYCALC_CACHE``, else ``~/.cache/policycalc``), ``False`` none, or a folder.
CacheOption = str | Path | bool | None


def _load(directory: str | Path, cache: CacheOption) -> tuple[Bundle, list[Shard]]:
    """The checked bundle and its engine shards, from the cache when the same files were
    loaded before by the same code (see ``calculator.rules.caching``)."""
    def build() -> tuple[Bundle, list[Shard]]:
        bundle = load_bundle(directory)
        return bundle, compile_bundle(bundle)

    with _no_collection():
        content = None if cache is False else content_digest(directory)
        if content is None:  # not cached, or a folder that fails to load: its own error
            return build()
        return cached(Path(directory), content, cache, build, lambda value: _of(value, content))


def _of(value: object, content: str) -> tuple[Bundle, list[Shard]] | None:
    """``value`` if it is a bundle of these files with its shards."""
    if (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Bundle)
            and value[0].version == content[:16] and isinstance(value[1], list)
            and all(isinstance(shard, Shard) for shard in value[1])):
        return value
    return None


class Calculator:
    """A compiled rule bundle. Thread-safe: ``evaluate`` may be called from many threads,
    and ``reload`` may swap in new rules while they run."""

    def __init__(self, bundle: Bundle, shards: list[Shard] | None = None) -> None:
        self._current = _compile(bundle, shards)

    @classmethod
    def load(cls, directory: str | Path | None = None, cache: CacheOption = None) -> Calculator:
        """Load, check and compile every rule file under ``directory`` (default: the
        shipped corpus). Raises ``RuleFileError`` listing every problem. ``cache``: where
        the checked bundle is kept between runs, keyed by the files' content and the
        calculator's code (default folder ``$POLICYCALC_CACHE`` or ``~/.cache/policycalc``;
        ``False``: read the files every time)."""
        return cls(*_load(shipped_rules() if directory is None else directory, cache))

    def reload(self, directory: str | Path | None = None, cache: CacheOption = None) -> str:
        """Load and compile new rules, then swap them in as one step; returns the new rules
        version. Calls already running finish on the rules they started with. If the new
        rules fail to load (``RuleFileError``) nothing changes and the old rules keep
        serving."""
        fresh = _compile(*_load(shipped_rules() if directory is None else directory, cache))
        # A single attribute store: readers see either the old or the new pair, never a mix.
        self._current = fresh
        return fresh.bundle.version

    @property
    def bundle(self) -> Bundle:
        return self._current.bundle

    def prepared(self) -> tuple[Bundle, dict[str, tuple[Prepared, ...]]]:
        """The bundle and its clauses prepared for evaluation, per profile kind, read as
        one (a concurrent ``reload`` never mixes two bundles): for evaluators that decide
        many profiles at once."""
        current = self._current
        return current.bundle, current.clauses

    @property
    def rules_version(self) -> str:
        return self._current.bundle.version

    def evaluate(self, profile: AnyProfile | Mapping[str, Any], as_of: AsOf = None,
                 detail: Detail = "shown") -> Report:
        """Every clause for the profile's kind, with status, amount, reasons and citation.
        ``profile`` may be a mapping (read like a YAML profile), ``as_of`` an ISO date string.
        ``detail="shown"``: full reasons for the clauses a report shows (eligible, needs
        information, near miss, not in force), and for an ineligible clause its first
        failed requirement; ``"full"``: every comparison of every clause."""
        if detail not in DETAILS:
            raise ValueError(f"detail 应为 {' 或 '.join(DETAILS)}，而不是 {detail!r}")
        current = self._current  # read once: a concurrent reload must not mix two bundles
        bundle = current.bundle
        profile = as_profile(profile)
        as_of = as_date(as_of)
        values = profile_values(profile, as_of)
        kind = profile.kind
        matched = current.engine.match(kind, values)
        full = detail == "full"
        results = [self._result(item, values, matched, as_of, full)
                   for item in current.clauses.get(kind, ())]
        results.sort(key=lambda r: STATUS_ORDER.index(r.status))
        totals = apply(results, bundle.groups)
        return built(
            Report,
            profile=built(ProfileRef, kind=kind, name=profile.name), as_of=as_of,
            rules_version=bundle.version, engine_version=package_version(), results=results,
            totals=totals, detail=detail)

    def screen(self, profile: AnyProfile | Mapping[str, Any], as_of: AsOf = None,
               clauses: Collection[str] | None = None) -> Screening:
        """What a batch keeps of ``evaluate``: eligible, needs-info and near-miss clauses
        with short reasons, and the totals. Decided exactly as ``evaluate`` decides, without
        building an explanation for every clause. ``clauses`` limits it to those ids."""
        current = self._current
        profile = as_profile(profile)
        as_of = as_date(as_of)
        values = profile_values(profile, as_of)
        kind = profile.kind
        items = current.clauses.get(kind, ())
        if isinstance(clauses, str):
            raise CalculatorError(f"clauses 应为条款编号的列表，实际为文字 {clauses!r}；"
                                  f"只看一条请写 [{clauses!r}]")
        if clauses is not None:
            items = tuple(item for item in items if item.rule.id in clauses)
        matched = current.engine.match(kind, values)
        return screen(items, current.bundle, kind, profile.name, values, matched, as_of)

    def evaluate_many(self, profiles: Iterable[AnyProfile | Mapping[str, Any]],
                      as_of: AsOf = None, detail: Detail = "shown") -> list[Report]:
        return [self.evaluate(p, as_of, detail) for p in profiles]

    def next_questions(self, profile: AnyProfile | Mapping[str, Any], as_of: AsOf = None,
                       limit: int | None = 5, skipped: Collection[str] = ()) -> list[Question]:
        """The facts to ask for next, the one deciding the most money first (see
        ``calculator.results.interview``); ``skipped``: fields asked and left blank."""
        return next_questions(self, as_profile(profile), as_of, limit, skipped)

    @staticmethod
    def _result(item: Prepared, values: dict[str, Any], matched: frozenset[str],
                as_of: date, full: bool) -> ClauseResult:
        rule = item.rule
        decision = decide(item, values, matched, as_of)
        benefit = item.benefit(values)
        shown = full or decision.status != "ineligible" or decision.near_miss
        # Every part is typed already: built without validating it again.
        return complete(ClauseResult, {
            **item.heading, "caveats": list(rule.clause.caveats),
            "status": decision.status, "benefit": benefit,
            "reasons": reasons(item.wordings, values, first_failed=not shown),
            "missing": [complete(Missing, {"field": name, "label": label}) for name, label
                        in missing_for(item, values, decision.outcome, benefit).items()],
            "near_miss": decision.near_miss, "validity": decision.validity, "group": None,
            "suppressed_by": None, "counted": False})


def settle_loaded() -> None:
    """Collect once, then leave everything the process holds now (loaded rules, compiled
    conditions, the rules engine's state) out of all later cycle collections (``gc.freeze``).

    A loaded bundle is hundreds of thousands of objects that live as long as the process;
    every full collection, which a busy evaluation loop triggers every few hundred
    reports, walks them all again, and that walk is the long tail of ``evaluate``'s
    latency. Process-wide, so only for a process that loads its rules and then serves or
    screens: the service's workers and screen processes and the batch's workers call it;
    an application embedding the calculator decides for itself (docs/embedding.md). A
    bundle replaced by ``reload`` is released as it would be without (reference counting);
    call this again after a reload."""
    gc.collect()
    gc.freeze()


__all__ = ["Calculator", "settle_loaded", "shipped_rules"]
