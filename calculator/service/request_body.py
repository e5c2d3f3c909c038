"""Reading an HTTP request body into profiles, with every refusal a clear Chinese error.

Hostile input is refused before it costs much: the body size is capped, nesting depth is
counted on the raw text before a JSON parser recurses into it, duplicate keys and
``NaN`` are refused, and each profile is validated with JSON types only, as the published
JSON Schema says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from ..base.errors import Problem, ProfileError, did_you_mean
from ..profiles.models import PROFILE_MODELS, CompanyProfile, TalentProfile, parse_profile

#: Request bodies larger than this are refused (413) before they are read in full.
MAX_BODY_BYTES = 1024 * 1024
#: Deeper JSON is refused before parsing; a profile needs three levels.
MAX_DEPTH = 32
#: How many problems the top-level error message repeats.
_MESSAGE_PROBLEMS = 5
#: How many problems an error reply lists; the rest are only counted (``problem_count``).
MAX_PROBLEMS = 20
#: How many characters of one problem's message a reply keeps.
MAX_MESSAGE_CHARS = 1000

_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_JSON_MESSAGES = {
    "Expecting value": "此处应为一个值",
    "Expecting property name enclosed in double quotes": "键名应写在双引号中",
    "Expecting ',' delimiter": "缺少逗号",
    "Expecting ':' delimiter": "缺少冒号",
    "Unterminated string starting at": "字符串缺少结尾的引号",
    "Extra data": "JSON 结束后还有多余内容",
    "Invalid control character at": "字符串中有未转义的控制字符",
    "Invalid \\escape": "无效的转义序列",
    "Invalid \\uXXXX escape": "无效的 \\uXXXX 转义",
}


@dataclass
class RequestError(Exception):
    """A request the service refuses; ``status`` is the HTTP status to answer with.
    ``problems`` holds at most ``MAX_PROBLEMS`` of them; ``count`` is how many there were."""

    status: int
    message: str
    problems: list[tuple[str, str]] = field(default_factory=list)
    count: int | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.count is None:
            self.count = len(self.problems)
        self.problems = [(where, _clip(text)) for where, text in self.problems[:MAX_PROBLEMS]]

    def __str__(self) -> str:
        return self.message


def _clip(text: str) -> str:
    # The middle goes: the end often says what to write instead ("是否想写 …").
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    keep = MAX_MESSAGE_CHARS // 2 - 1
    return text[:keep] + " … " + text[-keep:]


class Problems:
    """The problems of one request: the first ``limit`` are kept with their messages, the
    rest only counted, so a body of a million mistakes costs no more than a few."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.kept: list[tuple[str, str]] = []
        self.count = 0

    def add(self, where: str, message: str | Callable[[], str]) -> None:
        """``message`` may be a function, called only when the problem is kept."""
        self.count += 1
        if len(self.kept) < self.limit:
            self.kept.append((where, _clip(message if isinstance(message, str) else message())))

    @property
    def full(self) -> bool:
        return len(self.kept) >= self.limit

    def __bool__(self) -> bool:
        return self.count > 0


def invalid(problems: Problems | Sequence[tuple[str, str]], status: int = 422) -> RequestError:
    """A ``RequestError`` whose message repeats the first few ``(field, message)`` pairs."""
    if isinstance(problems, Problems):
        kept, count = problems.kept, problems.count
    else:
        kept, count = list(problems), len(problems)
    shown = [f"{where}：{text}" if where else text for where, text in kept[:_MESSAGE_PROBLEMS]]
    more = f"；等共 {count} 处" if count > _MESSAGE_PROBLEMS else ""
    return RequestError(status, "请求内容有误：" + "；".join(shown) + more, kept, count)


def nesting_depth(text: str, limit: int) -> int:
    """Bracket depth of JSON text, counted outside strings; stops once above ``limit``."""
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif token in "]}":
            depth -= 1
    return deepest


class _Refused(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(f"重复的键 {key}")
        result[key] = value
    return result


def _constant(name: str) -> Any:
    raise _Refused(f"JSON 不允许 {name}")


def decode_json(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a request body; ``RequestError`` (400) names what is wrong and where."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RequestError(400, "请求体不是 UTF-8 编码的文字") from None
    if not text.strip():
        raise RequestError(400, "请求体为空：应为一个 JSON 对象")
    if nesting_depth(text, max_depth) > max_depth:
        raise RequestError(400, f"JSON 嵌套过深：最多 {max_depth} 层")
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError as err:
        reason = _JSON_MESSAGES.get(err.msg, "格式错误")
        where = f"第 {err.lineno} 行第 {err.colno} 列"
        raise RequestError(400, f"请求体不是有效的 JSON：{where}，{reason}") from None
    except _Refused as err:
        raise RequestError(400, f"请求体不是有效的 JSON：{err}") from None
    except (ValueError, RecursionError):  # e.g. an integer of more than 4300 digits
        raise RequestError(400, "请求体不是有效的 JSON：含有无法读取的值（如位数过多的数字）") from None
    try:
        # A lone surrogate (\ud800) decodes to a string no response could ever encode.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(400, "请求体含有无效的 Unicode 转义（孤立的代理项 \\ud800–\\udfff）") from None
    return data


_EVALUATE_EXAMPLE = '{"profile": {"kind": "company", "name": "…"}, "as_of": "2026-11-21"}'
_SCREEN_EXAMPLE = '{"profiles": [{"kind": "company", "name": "…"}], "as_of": "2026-11-21"}'
Parsed = CompanyProfile | TalentProfile
_FIELDS = {kind: frozenset(model.model_fields) for kind, model in PROFILE_MODELS.items()}


def evaluate_request(data: Any) -> tuple[Parsed, date | None]:
    """``{"profile": {…}, "as_of": "YYYY-MM-DD"}``; every problem is reported at once."""
    problems = _keys(data, "profile", _EVALUATE_EXAMPLE)
    when = _as_of(data.get("as_of"), problems)
    found = None
    if "profile" in data:
        found = _parse(data["profile"], "profile", problems)
    if problems or found is None:
        raise invalid(problems)
    return found, when


def screen_request(data: Any, max_profiles: int) -> tuple[list[Parsed], date | None]:
    """``{"profiles": [{…}, …], "as_of": "YYYY-MM-DD"}``; one bad profile refuses the batch."""
    problems = _keys(data, "profiles", _SCREEN_EXAMPLE)
    when = _as_of(data.get("as_of"), problems)
    items = data.get("profiles", [])
    if not isinstance(items, list):
        problems.add("profiles", f"应为档案列表，实际为 {type(items).__name__}")
        raise invalid(problems)
    if len(items) > max_profiles:
        problems.add("profiles", f"一次最多 {max_profiles} 个档案，实际 {len(items)} 个；请分批提交")
        raise invalid(problems)
    found = [_parse(item, f"profiles[{i}]", problems) for i, item in enumerate(items)]
    if problems:
        raise invalid(problems)
    return [p for p in found if p is not None], when


def _keys(data: Any, required: str, example: str) -> Problems:
    problems = Problems()
    if not isinstance(data, dict):
        problems.add("", f"请求体应为 JSON 对象，如 {example}")
        raise invalid(problems)
    allowed = [required, "as_of"]
    for key in data:
        if key not in allowed:
            problems.add(key, partial(_unknown_key, key, allowed, True))
    if required not in data:
        problems.add(required, f"缺少必填项 {required}")
    return problems


def _unknown_key(key: str, allowed: list[str], list_them: bool) -> str:
    listed = f"；允许的键：{', '.join(allowed)}" if list_them else ""
    return f"未知的键 {key}{listed}{did_you_mean(key, allowed)}"


def _as_of(value: Any, problems: Problems) -> date | None:
    if value is None:
        return None
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add("as_of", lambda: f"评估日期应为 YYYY-MM-DD（或 null），实际为 {value!r}")
    return None


def _parse(value: Any, base: str, problems: Problems) -> Parsed | None:
    if isinstance(value, dict) and isinstance(value.get("kind"), str) and value["kind"] in _FIELDS:
        known = _FIELDS[value["kind"]]
        unknown = [key for key in value if key not in known]
        if len(unknown) > problems.limit:
            # Far more mistakes than a reply lists: name the first few without asking the
            # profile model to explain every one of them.
            fields = sorted(known)
            for key in unknown:
                problems.add(f"{base}.{key}", partial(_unknown_key, key, fields, False))
            return None
    try:
        return parse_profile(value, json_types=True)
    except ProfileError as err:
        for p in err.problems:
            problems.add(_join(base, p), p.message)
        return None


def _join(prefix: str, problem: Problem) -> str:
    inner = problem.path
    return f"{prefix}.{inner}" if inner and not inner.startswith("[") else prefix + inner
