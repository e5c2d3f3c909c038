"""The interview: which fact to ask next, and reading the answer as people type it.

``next_questions`` looks at the clauses still open for the answers so far (``needs_info``,
or eligible with the base of their amount blank) and asks first for the fact that decides
the most money: the sum, over the open clauses that read it, of what each could pay at
most (a 就高不重复 group counts once, at its largest member). A fact that also opens an
award without a maximum (上不封顶, 一事一议) has ``at_stake_max = None``; it ranks by the
money that is stated, then ahead of an equal amount without such an award. Ties go to the
fact that decides more clauses, then to the field catalogue's order.

``answer`` parses a typed answer with the same parser as spreadsheet cells (``是``,
``3000万``, ``2020/5/1``, ``园区``); ``不知道`` / ``跳过`` / a blank answer is ``SKIP``.
An ``Interview`` keeps the answers and the skipped facts, so a skipped fact is not asked
again; the command line, the web page and a backend all drive the same object.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol, final

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from ..base.errors import CalculatorError, ProfileError, did_you_mean
from ..base.money import format_money
from ..base.validation import error_message
from ..profiles.fields import FIELDS, FieldSpec
from ..profiles.models import DERIVED_FIELDS, PROFILE_MODELS, CompanyProfile, TalentProfile
from ..profiles.reading import parse_profile
from ..profiles.values import convert, expected_text
from ..rules.loading import Bundle
from ..rules.schema import StackingGroup
from .amounts import CASH_KINDS, ZERO
from .report import ClauseResult, Report

AnyProfile = CompanyProfile | TalentProfile

#: What people type for "I do not know" / "skip this one".
_NUMBERS = re.compile(r"\d+(?:\s*[、,，;；/ ]\s*\d+)*")
SKIP_WORDS = frozenset({"", "不知道", "跳过", "不清楚", "不确定", "略", "skip", "?", "？"})


@final
class Skip:
    """The answer "不知道": the fact stays blank and is not asked again."""

    _instance: Skip | None = None

    def __new__(cls) -> Skip:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SKIP"

    def __bool__(self) -> bool:
        return False


SKIP = Skip()


class Question(BaseModel):
    """One fact to ask for, with what hangs on it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: the profile field the answer fills in
    field: str
    #: its Chinese label
    label: str
    #: profile kind: company or talent
    kind: str
    #: field type: text, enum, set, int, number, money, date, bool
    type: str
    #: allowed values of an enum or set field
    choices: list[str]
    #: what an answer may look like, in Chinese
    help: str
    #: the question, in Chinese
    prompt: str
    #: the most the open clauses reading this fact could pay in yuan; ``None`` when one of
    #: them has no maximum (上不封顶, 一事一议)
    at_stake_max: Decimal | None
    #: the same in words: ``最高 3000万元``, ``最高 500万元，另有 2 项一事一议``
    at_stake_text: str
    #: the open clauses this fact helps decide, most money first
    clauses: list[str]


class Evaluates(Protocol):
    """What ``next_questions`` needs of a calculator."""

    def evaluate(self, profile: AnyProfile, as_of: date | str | None = None) -> Report: ...

    @property
    def bundle(self) -> Bundle: ...


def prompt_for(spec: FieldSpec) -> str:
    """The question for a field, in Chinese."""
    label = spec.label
    if spec.type == "bool":
        return f"{label}？"
    if spec.type == "date":
        return f"{label}是哪一天？"
    if spec.type == "enum":
        return f"{label}是哪一项？"
    if spec.type == "set":
        return f"{label}有哪些？"
    if label.endswith("年份"):
        return f"{label}是哪一年？"
    if spec.type in ("int", "number", "money"):
        return f"{label}是多少？"
    return f"请填写{label}："


def _open(result: ClauseResult) -> bool:
    """A clause whose status or amount the missing facts would decide."""
    if not result.missing or result.status not in ("eligible", "needs_info"):
        return False
    # 政策导向 (a direction, no support to apply for) decides nothing worth asking about.
    return result.is_support


def stake(results: Iterable[ClauseResult], groups: Iterable[StackingGroup] = ()
          ) -> tuple[Decimal, int, int]:
    """What a set of clauses could pay at most: (stated money, with each 就高不重复 group
    counted once at its largest member; cash clauses without a maximum; non-cash clauses)."""
    highest = {cid: g.id for g in groups if g.policy == "highest" for cid in g.clauses}
    by_group: dict[str, Decimal] = {}
    stated = ZERO
    unbounded = non_cash = 0
    for result in results:
        benefit = result.benefit
        if benefit.kind not in CASH_KINDS:
            non_cash += 1
        elif benefit.max is None:
            unbounded += 1
        elif result.clause_id in highest:
            group = highest[result.clause_id]
            by_group[group] = max(by_group.get(group, ZERO), benefit.max)
        else:
            stated += benefit.max
    return stated + sum(by_group.values(), ZERO), unbounded, non_cash


def stake_text(stated: Decimal, unbounded: int, non_cash: int) -> str:
    """``最高 3000万元``, ``最高 500万元，另有 2 项一事一议或上不封顶``, ``3 项非资金支持``."""
    others: list[str] = []
    if unbounded:
        others.append(f"{unbounded} 项一事一议或上不封顶")
    if non_cash:
        others.append(f"{non_cash} 项非资金支持")
    if stated > 0:
        return f"最高 {format_money(stated)}" + (f"，另有 {'、'.join(others)}" if others else "")
    return "、".join(others) or "不涉及金额"


def questions_from(report: Report, groups: Iterable[StackingGroup] = (),
                   skipped: Collection[str] = (), limit: int | None = 5) -> list[Question]:
    """The facts to ask for, most money first, from an evaluated report."""
    kind = report.profile.kind
    specs = FIELDS[kind]
    order = {name: index for index, name in enumerate(specs)}
    groups = tuple(groups)
    open_by_field: dict[str, list[ClauseResult]] = {}
    for result in report.results:
        if not _open(result):
            continue
        for missing in result.missing:
            name = missing.field
            if name in skipped or name not in specs or name in DERIVED_FIELDS:
                continue
            open_by_field.setdefault(name, []).append(result)
    ranked: list[tuple[tuple[Any, ...], Question]] = []
    for name, results in open_by_field.items():
        stated, unbounded, non_cash = stake(results, groups)
        spec = specs[name]
        results.sort(key=lambda r: (r.benefit.max is None, -(r.benefit.max or ZERO)))
        question = Question(
            field=name, label=spec.label, kind=kind, type=spec.type, choices=list(spec.choices),
            help=expected_text(spec) + "；不知道可回答“不知道”跳过", prompt=prompt_for(spec),
            at_stake_max=None if unbounded else stated,
            at_stake_text=stake_text(stated, unbounded, non_cash),
            clauses=[r.clause_id for r in results])
        ranked.append(((-stated, unbounded == 0, -len(results), order[name]), question))
    ranked.sort(key=lambda item: item[0])
    questions = [question for _, question in ranked]
    return questions if limit is None else questions[:limit]


def next_questions(calc: Evaluates, profile: AnyProfile, as_of: date | str | None = None,
                   limit: int | None = 5, skipped: Collection[str] = ()) -> list[Question]:
    """The next facts to ask for the profile, the one deciding the most money first;
    ``skipped`` are fields already asked and left blank."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise CalculatorError(f"limit 应为正整数或 None，实际为 {limit!r}")
    report = calc.evaluate(profile, as_of)
    return questions_from(report, calc.bundle.groups, skipped, limit)


def _spec(kind: str, name: str) -> FieldSpec:
    if kind not in FIELDS:
        raise ProfileError(f"档案类型 {kind!r} 无效；应为 company（企业/机构）或 talent（人才）"
                           f"{did_you_mean(kind, FIELDS)}")
    specs = {n: s for n, s in FIELDS[kind].items() if n not in DERIVED_FIELDS}
    if name not in specs:
        raise ProfileError(f"没有字段 {name}{did_you_mean(name, specs)}")
    return specs[name]


def answer(kind: str, name: str, text: Any, *, numbered: bool = False) -> Any:
    """The typed value of an answer for field ``name``, or ``SKIP`` for 不知道/跳过/blank;
    ``ProfileError`` with a Chinese message saying what is expected otherwise.
    ``numbered``: the choices were shown numbered from 1, and ``2`` (or ``1、3``) picks them."""
    spec = _spec(kind, name)
    if text is None or (isinstance(text, str) and text.strip().lower() in SKIP_WORDS):
        return SKIP
    if numbered and spec.choices and isinstance(text, str) and _NUMBERS.fullmatch(text.strip()):
        picked = [int(n) for n in re.findall(r"\d+", text)]
        if any(not 1 <= n <= len(spec.choices) for n in picked):
            raise ProfileError(f"{spec.label}：编号应在 1 到 {len(spec.choices)} 之间")
        if spec.type == "enum" and len(picked) != 1:
            raise ProfileError(f"{spec.label}：只能选一项")
        text = "、".join(spec.choices[n - 1] for n in picked)
    model = PROFILE_MODELS[kind]
    info = model.model_fields[name]
    try:
        value = convert(spec, text)
        return TypeAdapter(Any if info.annotation is None else info.annotation).validate_python(value)
    except ValidationError as error:
        first = error.errors()[0]
        message = error_message(first, model, [name], {})
    except ValueError as error:
        message = str(error)
    hint = "" if "允许的值" in message or "是否想写" in message else f"（{expected_text(spec)}）"
    raise ProfileError(f"{spec.label}：{message}{hint}")


@dataclass
class Interview:
    """The answers so far of one interview, and the facts asked and skipped."""

    kind: str
    name: str
    answers: dict[str, Any] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.kind not in PROFILE_MODELS:
            _spec(self.kind, "name")
        if not self.name.strip():
            raise ProfileError("名称不能为空")

    def profile(self) -> AnyProfile:
        return parse_profile({"kind": self.kind, "name": self.name, **self.answers})

    def questions(self, calc: Evaluates, as_of: date | str | None = None,
                  limit: int | None = 5) -> list[Question]:
        return next_questions(calc, self.profile(), as_of, limit, self.skipped)

    def give(self, name: str, text: Any, *, numbered: bool = False) -> Any:
        """Record an answer (``SKIP`` for 不知道); raises ``ProfileError`` on a bad one and
        records nothing."""
        value = answer(self.kind, name, text, numbered=numbered)
        if value is SKIP:
            self.skipped.add(name)
            self.answers.pop(name, None)
        else:
            self.answers[name] = value
            self.skipped.discard(name)
        return value

    def data(self) -> dict[str, Any]:
        """The profile as a plain mapping to save (sets as lists, in catalogue order)."""
        out: dict[str, Any] = {"kind": self.kind, "name": self.name}
        for name, spec in FIELDS[self.kind].items():
            if name in self.answers:
                value = self.answers[name]
                if isinstance(value, frozenset):
                    value = [c for c in spec.choices if c in value]
                out[name] = value
        return out


__all__ = ["SKIP", "Interview", "Question", "Skip", "answer", "next_questions", "questions_from"]
