"""Reading YAML and JSON input with line numbers, safely.

PyYAML's safe constructors only; on top of them: duplicate keys are rejected, anchors and
aliases are refused (they are never needed in a rule or profile and they are how a small
file expands into gigabytes), and every mapping key and sequence item remembers its line
so that validation errors can name ``file:line``.

Text is parsed by libyaml (PyYAML's C parser) when it is there, ten times faster than the
Python parser. Whenever that finds anything wrong (malformed text, an alias, a duplicate
key...), the text is parsed again by the Python parser, which words every error exactly
as it always has: the fast path only ever succeeds, it never reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, format_path, os_reason

#: Input files larger than this are refused before parsing, unless the caller sets its own
#: limit (rule files do: see ``rules.loading``).
MAX_INPUT_BYTES = 2 * 1024 * 1024

Location = tuple[str | int, ...]


class _Error(Exception):
    def __init__(self, message: str, line: int | None, path: Location = ()) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.path = path


class _PositionLoader(yaml.SafeLoader):
    """SafeLoader that records the line of every key and item and rejects duplicates."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: dict[Location, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise _Error("不支持 YAML 锚点/别名（*引用），请直接写出内容", event.start_mark.line + 1)
        return super().compose_node(parent, index)


class _Retry(Exception):
    """The fast parser met something only the Python parser words correctly."""


_CLoader: Any = getattr(yaml, "CSafeLoader", None)

if _CLoader is not None:
    class _FastLoader(_CLoader):  # type: ignore[misc]
        """libyaml's parser with the safe constructors; it composes in C, so an alias shows
        only as a node met twice, which ``_walk`` checks for."""

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.lines: dict[Location, int] = {}
            self.seen: set[int] | None = set()


def _walk(loader: Any, node: yaml.Node, path: Location) -> Any:
    """Construct plain Python data from ``node`` while recording positions under ``path``."""
    seen: set[int] | None = getattr(loader, "seen", None)
    if seen is not None:
        if id(node) in seen:
            raise _Retry
        seen.add(id(node))
    loader.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise _Error(f"键必须是文字，而不是 {key!r}", key_node.start_mark.line + 1, path)
            key = str(key)
            if key == "<<":
                raise _Error("不支持 YAML 合并键 <<", key_node.start_mark.line + 1, path)
            if key in result:
                first = loader.lines.get((*path, key))
                raise _Error(
                    f"重复的键 {key}（第一次出现在第 {first} 行）",
                    key_node.start_mark.line + 1,
                    (*path, key),
                )
            loader.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _walk(loader, value_node, (*path, key))
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(loader, item, (*path, i)) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:
        # A scalar that looks like a timestamp but is not a real date (1990-13-01): keep
        # the text, so validation reports it against the field that expected a date.
        return node.value


class Document:
    """Parsed data plus the line of each key path.

    A document read with ``positions=N`` recorded the lines of key paths up to N long
    only; the first question about a deeper path (which only an error message asks) reads
    the text again with every position."""

    def __init__(self, data: Any, lines: dict[Location, int], source: str,
                 text: str | None = None, depth: int | None = None) -> None:
        self.data = data
        self._lines = lines
        self.source = source
        self._text = text
        self._depth = depth if text is not None else None

    @property
    def lines(self) -> dict[Location, int]:
        self._complete()
        return self._lines

    def _complete(self) -> None:
        if self._depth is None:
            return
        assert self._text is not None
        full = _parse_fast(self._text, self.source)
        assert full is not None  # the same text parsed before
        self._lines, self._depth, self._text = full._lines, None, None

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of the deepest recorded prefix of ``path``."""
        if self._depth is not None and len(path) > self._depth:
            self._complete()
        lines = self._lines
        for end in range(len(path), -1, -1):
            line = lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def problem(self, message: str, path: Sequence[str | int]) -> Problem:
        return Problem(message, self.source, self.line_of(path), format_path(path))


_STR = "tag:yaml.org,2002:str"


def _build(loader: Any, root: yaml.Node, depth: int | None, aliases: bool) -> Any:
    """What ``_walk`` constructs, faster: plain scalars are taken as they are, positions are
    recorded only for key paths up to ``depth`` long (all when ``None``), and shared nodes
    (the C composer's aliases) are looked for only when the text has an anchor at all."""
    lines = loader.lines
    seen: set[int] = set()
    constructors = loader.yaml_constructors
    mapping_node, sequence_node = yaml.MappingNode, yaml.SequenceNode

    def scalar(node: Any) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        try:
            return constructors[tag](loader, node)
        except KeyError:
            raise _Retry from None
        except ValueError:
            return node.value  # as in ``_walk``: a date that is not one stays text

    def build(node: Any, path: Location | None) -> Any:
        if aliases:
            if id(node) in seen:
                raise _Retry
            seen.add(id(node))
        kind = type(node)
        if kind is mapping_node:
            result: dict[Any, Any] = {}
            deeper = path is not None and (depth is None or len(path) < depth)
            for key_node, value_node in node.value:
                if key_node.tag != _STR:  # numbers, dates, merge keys...: the slow path decides
                    raise _Retry
                key = key_node.value
                if key in result:
                    raise _Retry
                if deeper:
                    assert path is not None
                    child: Location | None = (*path, key)
                    lines[child] = key_node.start_mark.line + 1
                else:
                    child = None
                result[key] = build(value_node, child)
            return result
        if kind is sequence_node:
            if path is not None and (depth is None or len(path) < depth):
                items = []
                for i, item in enumerate(node.value):
                    at = (*path, i)
                    lines.setdefault(at, item.start_mark.line + 1)
                    items.append(build(item, at))
                return items
            return [build(item, None) for item in node.value]
        return scalar(node)

    lines[()] = root.start_mark.line + 1
    return build(root, ())


def _parse_fast(text: str, source: str, depth: int | None = None) -> Document | None:
    """The document by libyaml, or ``None`` when the Python parser must take the text.
    ``depth``: record positions of key paths up to this long only (see ``Document``)."""
    if _CLoader is None:
        return None
    loader = _FastLoader(text)
    try:
        root = loader.get_single_node()
        data = None if root is None else _build(loader, root, depth, "&" in text)
    except (_Retry, _Error, yaml.YAMLError, ValueError, TypeError):
        return None
    finally:
        loader.dispose()
    if isinstance(data, str):  # a lone scalar may be a key written with a full-width colon
        return None
    return Document(data, loader.lines, source, text, depth)


def parse_text(text: str, source: str, positions: int | None = None) -> Document:
    """Parse YAML (or JSON, which this YAML reader accepts) text into a ``Document``.
    ``positions``: record the lines of key paths up to this long while parsing, the rest
    only if an error asks for them (a large rule file is read several times faster).

    Raises ``ValueError`` carrying a ``Problem`` in ``args[0]`` on malformed input.
    """
    fast = _parse_fast(text, source, positions)
    if fast is not None:
        return fast
    loader = _PositionLoader(text)
    try:
        root = loader.get_single_node()
        data = None if root is None else _walk(loader, root, ())
    except _Error as err:
        raise ValueError(Problem(err.message, source, err.line, format_path(err.path))) from None
    except yaml.MarkedYAMLError as err:
        message, line = explain_syntax(err, text)
        raise ValueError(Problem(f"YAML/JSON 格式错误：{message}", source, line)) from None
    except yaml.YAMLError:
        raise ValueError(Problem("YAML/JSON 格式错误：无法解析（请检查缩进、冒号和引号）", source)) from None
    finally:
        loader.dispose()
    if isinstance(data, str):
        first = _first_content_line(text)
        if _FULL_WIDTH_KEY.match(text.splitlines()[first]):
            raise ValueError(Problem(_FULL_WIDTH, source, first + 1))
    return Document(data, loader.lines, source)


#: A line that looks like ``键：值`` (a full-width colon where YAML needs ``: ``).
_FULL_WIDTH_KEY = re.compile(r"^\s*(- )?[^:#\s\"'][^:#]*?\s*：")
_FULL_WIDTH = ("键后用了全角冒号“：”：YAML 要求半角冒号加空格，如 营业收入: 3000万"
               "（切换到英文输入法输入冒号）")


def _first_content_line(text: str) -> int:
    for index, line in enumerate(text.splitlines()):
        if line.strip() and not line.lstrip().startswith("#"):
            return index
    return 0


def explain_syntax(err: yaml.MarkedYAMLError, text: str) -> tuple[str, int | None]:
    """A PyYAML syntax error in Chinese, with the line where the likely cause is."""
    lines = text.splitlines()
    problem = err.problem or ""
    at = err.problem_mark.line + 1 if err.problem_mark is not None else None
    start = err.context_mark.line + 1 if err.context_mark is not None else at
    if at is not None:
        # A full-width colon: the scanner only notices on a later line; blame the line with it.
        for number in range(min(at, len(lines)), 0, -1):
            if _FULL_WIDTH_KEY.match(lines[number - 1]) and ": " not in lines[number - 1]:
                if problem in ("could not find expected ':'", "mapping values are not allowed here") \
                        or number in (at, start):
                    return _FULL_WIDTH, number
                break
    if "'\\t'" in problem or "\t" in problem:
        return "这一行有制表符（Tab）：YAML 只能用空格缩进和分隔，请把 Tab 换成空格", at
    if problem == "could not find expected ':'":
        return "这一行缺少冒号：每一项应写成“键: 值”（冒号后加一个空格）", start
    if problem == "mapping values are not allowed here":
        line = lines[at - 1] if at and at <= len(lines) else ""
        if line[:1] == " " and at and at > 1 and not lines[at - 2].rstrip().endswith(":"):
            return "缩进不一致：同一层的键应左对齐（这一行前面多了空格）", at
        return "值里有“: ”（冒号加空格）：请给整个值加引号，如 name: \"甲: 乙\"", at
    if "quoted scalar" in (err.context or ""):
        return "引号没有配对：这一行开始的引号没有结束", start
    if "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        return "方括号或花括号没有配对（列表写成 [甲, 乙]）", start
    if "found duplicate anchor" in problem or "found undefined alias" in problem:
        return "不支持 YAML 锚点/别名（*引用），请直接写出内容", at
    if "block mapping" in (err.context or "") or "block collection" in (err.context or ""):
        return "缩进不一致：同一层的键或列表项应左对齐", at
    if "unacceptable character" in problem or "special characters are not allowed" in problem:
        return "文件含有不能出现在 YAML 中的控制字符，请删除后保存为 UTF-8 文本", at
    return "无法解析这一行（请检查缩进、冒号和引号）", at


def read_file(path: Path, display: str | None = None, limit: int | None = None,
              positions: int | None = None) -> Document:
    """Read and parse a UTF-8 YAML or JSON file; ``ValueError(Problem)`` on any failure.
    ``limit``: the largest size accepted (default ``MAX_INPUT_BYTES``); ``positions``:
    see ``parse_text``."""
    source = display or str(path)
    limit = MAX_INPUT_BYTES if limit is None else limit
    try:
        size = path.stat().st_size
    except OSError as err:
        raise ValueError(Problem(f"无法读取文件：{os_reason(err)}", source)) from None
    if size > limit:
        raise ValueError(Problem(f"文件过大（{size} 字节，约 {size / 2**20:.1f} MiB；上限 {limit} 字节，"
                                 f"即 {limit / 2**20:g} MiB）", source))
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(Problem(_not_utf8(raw), source)) from None
    except OSError as err:
        raise ValueError(Problem(f"无法读取文件：{os_reason(err)}", source)) from None
    return parse_text(text, source, positions)


def _not_utf8(raw: bytes) -> str:
    """Why the bytes are not UTF-8 text, and what to do about it."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "文件是 UTF-16 编码：请在编辑器里另存为 UTF-8 编码"
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return "文件不是 UTF-8 编码的文本（可能是表格或其他二进制文件）：请另存为 UTF-8 编码的 YAML"
    return ("文件是 GBK（GB2312/GB18030）编码：请在编辑器里另存为 UTF-8 编码"
            "（记事本：另存为 → 编码选 UTF-8；WPS/Word：另存为纯文本，编码选 UTF-8）")
