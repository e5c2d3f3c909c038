"""Reading an HTTP request body into profiles, with every refusal a clear Chinese error.

Hostile input is refused before it costs much: the body size is capped, nesting depth is
counted on the raw text before a JSON parser recurses into it, duplicate keys and
``NaN`` are refused, and each profile is validated with JSON types only, as the published
JSON Schema says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..base.errors import Problem, ProfileError, did_you_mean, format_path
from ..profiles.models import CompanyProfile, TalentProfile, parse_profile

#: Request bodies larger than this are refused (413) before they are read in full.
MAX_BODY_BYTES = 1024 * 1024
#: Deeper JSON is refused before parsing; a profile needs three levels.
MAX_DEPTH = 32
#: How many problems the top-level error message repeats (``problems`` lists them all).
_MESSAGE_PROBLEMS = 5

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
    """A request the service refuses; ``status`` is the HTTP status to answer with."""

    status: int
    message: str
    problems: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


def invalid(problems: Sequence[tuple[str, str]], status: int = 422) -> RequestError:
    """A ``RequestError`` whose message repeats the first few ``(field, message)`` pairs."""
    shown = [f"{where}：{text}" if where else text for where, text in problems[:_MESSAGE_PROBLEMS]]
    more = f"；等共 {len(problems)} 处" if len(problems) > _MESSAGE_PROBLEMS else ""
    return RequestError(status, "请求内容有误：" + "；".join(shown) + more, list(problems))


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
Problems = list[tuple[str, str]]


def evaluate_request(data: Any) -> tuple[Parsed, date | None]:
    """``{"profile": {…}, "as_of": "YYYY-MM-DD"}``; every problem is reported at once."""
    problems = _keys(data, "profile", _EVALUATE_EXAMPLE)
    when = _as_of(data.get("as_of"), problems)
    found = None
    if "profile" in data:
        found = _parse(data["profile"], ["profile"], problems)
    if problems or found is None:
        raise invalid(problems)
    return found, when


def screen_request(data: Any, max_profiles: int) -> tuple[list[Parsed], date | None]:
    """``{"profiles": [{…}, …], "as_of": "YYYY-MM-DD"}``; one bad profile refuses the batch."""
    problems = _keys(data, "profiles", _SCREEN_EXAMPLE)
    when = _as_of(data.get("as_of"), problems)
    items = data.get("profiles", [])
    if not isinstance(items, list):
        raise invalid([*problems, ("profiles", f"应为档案列表，实际为 {type(items).__name__}")])
    if len(items) > max_profiles:
        raise invalid([*problems, ("profiles", f"一次最多 {max_profiles} 个档案，实际 {len(items)} 个；"
                                               "请分批提交")])
    found = [_parse(item, ["profiles", i], problems) for i, item in enumerate(items)]
    if problems:
        raise invalid(problems)
    return [p for p in found if p is not None], when


def _keys(data: Any, required: str, example: str) -> Problems:
    if not isinstance(data, dict):
        raise invalid([("", f"请求体应为 JSON 对象，如 {example}")])
    allowed = [required, "as_of"]
    problems = [(key, f"未知的键 {key}；允许的键：{', '.join(allowed)}{did_you_mean(key, allowed)}")
                for key in data if key not in allowed]
    if required not in data:
        problems.append((required, f"缺少必填项 {required}"))
    return problems


def _as_of(value: Any, problems: Problems) -> date | None:
    if value is None:
        return None
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(("as_of", f"评估日期应为 YYYY-MM-DD（或 null），实际为 {value!r}"))
    return None


def _parse(value: Any, base: list[str | int], problems: Problems) -> Parsed | None:
    try:
        return parse_profile(value, json_types=True)
    except ProfileError as err:
        problems += [(_join(base, p), p.message) for p in err.problems]
        return None


def _join(base: Sequence[str | int], problem: Problem) -> str:
    inner, prefix = problem.path, format_path(base)
    return f"{prefix}.{inner}" if inner and not inner.startswith("[") else prefix + inner
