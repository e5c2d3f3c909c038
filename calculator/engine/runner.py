"""The durable-rules engine, used the one way that was verified correct and fast.

One long-lived ruleset per shard, one fixed session id, and for each profile: assert the
fact, read the fired rule names by stepping the actions ourselves, then retract the fact
by id. No Python action callbacks, no stock ``Host`` (its timer threads steal actions),
no session per profile (sessions are never freed and the 1025th crashes the process),
no ``delete_state`` (it can crash). A lock serialises use of the engine: the C extension
holds the GIL anyway, and one session must never see two profiles' facts at once.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import durable_rules_engine as dre

from ..base.errors import EvaluationError
from .compiling import Shard, encode_fact, fact_fields

SESSION_ID = "0"
#: durable-rules fails (error 302) on facts with more top-level keys than about 250.
MAX_FACT_KEYS = 200
#: The names of the rules an action fired. Parsing the whole action JSON (a copy of the fact)
#: cost more than everything else together. The pattern can only match the action's own
#: structure: a JSON string can never hold an unescaped quote, and no fact key is "m".
FIRED_RULE = re.compile(r'"(r\d+)":\{"m":')


class _Ruleset:
    def __init__(self, shard: Shard, prefix: str, index: int) -> None:
        self.kind = shard.kind
        self.clause_of = dict(shard.clause_of)
        # Names are global to the process and can never be freed: make each unique.
        name = f"{prefix}-{shard.kind}-{index}"
        self.handle = dre.create_ruleset(name, json.dumps(shard.definition, ensure_ascii=False))


class Engine:
    """Decides which clauses a profile's values fully meet."""

    def __init__(self, shards: Sequence[Shard]) -> None:
        prefix = uuid.uuid4().hex[:12]
        self._rulesets = [_Ruleset(shard, prefix, i) for i, shard in enumerate(shards)]
        self._fields = fact_fields(shards)
        self._ids = itertools.count()
        self._lock = threading.Lock()

    def match(self, kind: str, values: Mapping[str, Any]) -> frozenset[str]:
        """Ids of the clauses for ``kind`` whose conditions are met by ``values``."""
        fact = encode_fact(kind, values, self._fields.get(kind, frozenset()))
        if len(fact) > MAX_FACT_KEYS:
            raise EvaluationError(f"档案字段过多（{len(fact)} 个），规则引擎上限 {MAX_FACT_KEYS}")
        matched: set[str] = set()
        with self._lock:
            for ruleset in self._rulesets:
                if ruleset.kind == kind:
                    matched |= self._run(ruleset, fact)
        return frozenset(matched)

    def _run(self, ruleset: _Ruleset, fact: dict[str, Any]) -> set[str]:
        fact = {**fact, "sid": SESSION_ID, "id": f"p{next(self._ids)}"}
        text = json.dumps(fact, ensure_ascii=False)
        fired: set[str] = set()
        try:
            code, state = dre.assert_fact(ruleset.handle, text)
            try:
                if code == 0:
                    result = dre.start_action_for_state(ruleset.handle, state)
                    while result:
                        for rule_name in FIRED_RULE.findall(result[1]):
                            fired.add(ruleset.clause_of[rule_name])
                        nxt = dre.complete_and_start_action(ruleset.handle, state)
                        result = (None, nxt) if nxt else None
                elif code != 1:  # 1: the fact matched nothing, which is a valid answer
                    raise EvaluationError(f"规则引擎拒绝了档案（代码 {code}）")
            finally:
                dre.retract_fact(ruleset.handle, text)
        except EvaluationError:
            raise
        except Exception as err:  # the C extension raises plain exceptions
            raise EvaluationError(f"规则引擎出错：{err}") from err
        return fired
