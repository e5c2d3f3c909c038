"""Compiling condition trees into durable-rules rulesets, and profiles into facts.

durable-rules turns every ``$or`` into separate matches that each fire, fails once about
64 of them fire for one fact, and treats ``$iall`` over an empty array as false. So the
engine never sees arrays, and sees ``$or`` only over values of one field (``in``), of
which a fact can meet at most one: each clause becomes its own disjunctive normal form
(bounded in size), one engine rule per conjunction, set fields become one 0/1 key per
allowed value, and rules are packed into shards small enough that one fact can never
fire too many rules of one shard. Only typed values reach the engine: money as integer
分, dates as day ordinals, numbers as scaled integers, so no comparison is ever made
between text and a number.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..base.errors import Problem, RuleFileError
from ..base.money import to_cents
from ..profiles.absent import NONE
from ..profiles.fields import FIELDS, FieldSpec
from ..rules.conditions import Leaf, Node, normal_form
from ..rules.loading import Bundle

#: A clause whose normal form has more conjunctions than this does not load.
MAX_CONJUNCTS_PER_CLAUSE = 32
#: Engine rules (conjunctions) per shard: below the ~64 simultaneous firings that fail.
MAX_RULES_PER_SHARD = 48
#: Numbers that are not money are scaled to integers with this many decimal places.
NUMBER_SCALE = 10_000
#: Key every fact carries and every rule tests first (the notes' "positive anchor").
ANCHOR_KEY = "kind"

Atom = dict[str, Any]
Conjunct = tuple[str, ...]  # canonical JSON of each atom, sorted


def engine_value(spec: FieldSpec, value: Any) -> Any:
    """A typed profile or rule value in the form the engine compares."""
    if spec.type == "money":
        return to_cents(value)
    if spec.type == "date":
        assert isinstance(value, date)
        return value.toordinal()
    if spec.type == "enum":
        # Choices travel as their index: the engine then only ever compares integers, and
        # the fact it echoes back for every fired rule stays short.
        return spec.choices.index(value)
    if spec.type == "number":
        scaled = Decimal(value) * NUMBER_SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{spec.label} 最多保留 4 位小数")
        return int(scaled)
    return value


def set_key(spec: FieldSpec, choice: str) -> str:
    return f"{spec.name}#{spec.choices.index(choice)}"


def none_key(spec: FieldSpec) -> str:
    """The fact key saying the field was answered 无 (``NONE``); the field's own key is then
    absent, so every positive comparison on it is false, as in the reference evaluator."""
    return f"{spec.name}#none"


def _leaf_dnf(leaf: Leaf, positive: bool) -> list[list[Atom]]:
    # A comparison on 无 fails, so its "failed" form also holds when the field is 无.
    forms = _compared_dnf(leaf, positive)
    if not positive and leaf.field.accepts_none:
        forms = [*forms, [{none_key(leaf.field): 1}]]
    return forms


def _compared_dnf(leaf: Leaf, positive: bool) -> list[list[Atom]]:
    spec, op, key = leaf.field, leaf.op, leaf.field.name
    if op == "exists":
        # Met when present; failed only by 无 (a blank is unknown). This also keeps $nex,
        # which matches the engine's own state fact and loops forever, out of every rule.
        probe = set_key(spec, spec.choices[0]) if spec.type == "set" else key
        return [[{"$ex": {probe: 1}}]] if positive else []
    if spec.type == "set":
        items = (leaf.value,) if op == "contains" else tuple(leaf.value)
        hit = [{set_key(spec, item): 1} for item in items]
        miss = [{set_key(spec, item): 0} for item in items]
        conjunctive = (op != "contains_any") == positive
        if conjunctive:
            return [hit] if positive else [miss]
        return [[atom] for atom in (hit if positive else miss)]
    if op == "in":
        values = [engine_value(spec, v) for v in leaf.value]
        if positive:
            # One value of a field equals at most one of these, so an "$or" inside one
            # rule never fires twice: one engine rule, not one per value (a third of the
            # rules, and of the engine's memory, on a large corpus).
            if len(values) == 1:
                return [[{key: values[0]}]]
            return [[{"$or": [{key: v} for v in values]}]]
        return [[{"$neq": {key: v}} for v in values]]
    value = engine_value(spec, leaf.value)
    negated = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
    actual = op if positive else negated[op]
    if actual == "==":
        return [[{key: value}]]
    name = {"!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}[actual]
    return [[{name: {key: value}}]]


def dnf(node: Node | None) -> list[list[Atom]]:
    """Engine conjunctions for "``node`` is met", in the engine's two-valued semantics where
    any test of a missing key is false."""
    return normal_form(node, _leaf_dnf, limit=MAX_CONJUNCTS_PER_CLAUSE * 4)


def canonical(conjuncts: list[list[Atom]]) -> list[Conjunct]:
    """Deduplicated conjunctions, atoms deduplicated and sorted."""
    seen: dict[Conjunct, None] = {}
    for conj in conjuncts:
        key = tuple(sorted({json.dumps(a, sort_keys=True, ensure_ascii=False) for a in conj}))
        seen.setdefault(key, None)
    return list(seen)


@dataclass(frozen=True)
class Shard:
    kind: str
    #: ruleset JSON as durable-rules expects it: {rule name: {"all": [{"m": ...}]}}
    definition: dict[str, Any]
    #: engine rule name -> clause id
    clause_of: dict[str, str]


class TooComplex(ValueError):
    """A condition whose normal form exceeds ``MAX_CONJUNCTS_PER_CLAUSE``."""


def clause_conjuncts(node: Node | None) -> list[Conjunct]:
    """The engine rules of one clause; ``TooComplex`` if there would be too many."""
    try:
        conjuncts = canonical(dnf(node))
    except OverflowError:
        raise TooComplex("条件展开后过于复杂，请拆分为多个条款") from None
    if len(conjuncts) > MAX_CONJUNCTS_PER_CLAUSE:
        raise TooComplex(f"条件展开后有 {len(conjuncts)} 个分支（上限 {MAX_CONJUNCTS_PER_CLAUSE}），"
                         "请拆分为多个条款")
    return conjuncts


def compile_conditions(items: Iterable[tuple[str, str, Node | None]]) -> list[Shard]:
    """Shards for ``(clause id, profile kind, condition)`` items; ``TooComplex`` if one
    condition has too large a normal form."""
    return _pack((cid, kind, clause_conjuncts(node)) for cid, kind, node in items)


def _pack(items: Iterable[tuple[str, str, list[Conjunct]]]) -> list[Shard]:
    """Engine rules packed into shards per profile kind, a clause never split across two."""
    per_kind: dict[str, list[tuple[str, list[Conjunct]]]] = {}
    for clause_id, kind, conjuncts in items:
        per_kind.setdefault(kind, []).append((clause_id, conjuncts))
    shards: list[Shard] = []
    for kind, compiled in per_kind.items():
        anchor = json.dumps({ANCHOR_KEY: kind}, ensure_ascii=False)
        # The engine shares a test among rules whose tests before it are the same: the
        # atoms most rules have (being in Suzhou, say) come first, once per shard (a
        # quarter less engine memory on a large corpus). Order never changes a conjunction.
        counts = Counter(atom for _, conjuncts in compiled for conj in conjuncts for atom in conj)
        parsed = {atom: json.loads(atom) for atom in counts}
        definition: dict[str, Any] = {}
        clause_of: dict[str, str] = {}
        for clause_id, conjuncts in compiled:
            if definition and len(definition) + len(conjuncts) > MAX_RULES_PER_SHARD:
                shards.append(Shard(kind, definition, clause_of))
                definition, clause_of = {}, {}
            for conj in conjuncts:
                name = f"r{len(definition)}"
                ordered = sorted((a for a in conj if a != anchor), key=lambda a: (-counts[a], a))
                atoms = [json.loads(anchor), *(parsed[a] for a in ordered)]
                definition[name] = {"all": [{"m": {"$and": atoms}}]}
                clause_of[name] = clause_id
        if definition:
            shards.append(Shard(kind, definition, clause_of))
    return shards


def compile_bundle(bundle: Bundle) -> list[Shard]:
    """Shards for every clause of the bundle; ``RuleFileError`` naming each clause whose
    condition is too large to compile safely."""
    problems: list[Problem] = []
    compiled: list[tuple[str, str, list[Conjunct]]] = []
    for rule in bundle.clauses:
        try:
            compiled.append((rule.id, rule.profile_kind, clause_conjuncts(rule.condition)))
        except TooComplex as err:
            problems.append(Problem(str(err), rule.file, rule.line, f"clause {rule.id}"))
    if problems:
        raise RuleFileError(problems)
    return _pack(compiled)


def fact_fields(shards: Iterable[Shard]) -> dict[str, frozenset[str]]:
    """Per profile kind, the profile fields some engine rule reads: the only ones a fact
    needs to carry (the engine copies the whole fact into every rule it fires)."""
    found: dict[str, set[str]] = {}

    def walk(condition: Any, into: set[str]) -> None:
        if isinstance(condition, list):
            for item in condition:
                walk(item, into)
        elif isinstance(condition, dict):
            for key, value in condition.items():
                if key.startswith("$"):
                    walk(value, into)
                elif key != ANCHOR_KEY:
                    into.add(key.split("#", 1)[0])

    for shard in shards:
        names = found.setdefault(shard.kind, set())
        for rule in shard.definition.values():
            for pattern in rule["all"]:
                walk(pattern["m"], names)
    return {kind: frozenset(names) for kind, names in found.items()}


def encode_fact(kind: str, values: Mapping[str, Any],
                only: frozenset[str] | None = None) -> dict[str, Any]:
    """The engine fact for a profile's typed values; missing values are absent keys.
    With ``only``, fields not in it are left out."""
    fact: dict[str, Any] = {ANCHOR_KEY: kind}
    for name, spec in FIELDS[kind].items():
        if only is not None and name not in only:
            continue
        value = values.get(name)
        if value is None:
            continue
        if value is NONE:
            fact[none_key(spec)] = 1
        elif spec.type == "set":
            for choice in spec.choices:
                fact[set_key(spec, choice)] = 1 if choice in value else 0
        else:
            fact[name] = engine_value(spec, value)
    return fact
