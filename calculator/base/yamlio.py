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

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, format_path

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
    """Parsed data plus the line of each key path."""

    def __init__(self, data: Any, lines: dict[Location, int], source: str) -> None:
        self.data = data
        self.lines = lines
        self.source = source

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of the deepest recorded prefix of ``path``."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def problem(self, message: str, path: Sequence[str | int]) -> Problem:
        return Problem(message, self.source, self.line_of(path), format_path(path))


def _parse_fast(text: str, source: str) -> Document | None:
    """The document by libyaml, or ``None`` when the Python parser must take the text."""
    if _CLoader is None:
        return None
    loader = _FastLoader(text)
    try:
        root = loader.get_single_node()
        data = None if root is None else _walk(loader, root, ())
    except (_Retry, _Error, yaml.YAMLError, ValueError, TypeError):
        return None
    finally:
        loader.dispose()
    return Document(data, loader.lines, source)


def parse_text(text: str, source: str) -> Document:
    """Parse YAML (or JSON, which this YAML reader accepts) text into a ``Document``.

    Raises ``ValueError`` carrying a ``Problem`` in ``args[0]`` on malformed input.
    """
    fast = _parse_fast(text, source)
    if fast is not None:
        return fast
    loader = _PositionLoader(text)
    try:
        root = loader.get_single_node()
        data = None if root is None else _walk(loader, root, ())
    except _Error as err:
        raise ValueError(Problem(err.message, source, err.line, format_path(err.path))) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = err.problem or err.context or "无法解析"
        raise ValueError(Problem(f"YAML/JSON 格式错误：{detail}", source, line)) from None
    except yaml.YAMLError as err:
        raise ValueError(Problem(f"YAML/JSON 格式错误：{err}", source)) from None
    finally:
        loader.dispose()
    return Document(data, loader.lines, source)


def read_file(path: Path, display: str | None = None, limit: int | None = None) -> Document:
    """Read and parse a UTF-8 YAML or JSON file; ``ValueError(Problem)`` on any failure.
    ``limit``: the largest size accepted (default ``MAX_INPUT_BYTES``)."""
    source = display or str(path)
    limit = MAX_INPUT_BYTES if limit is None else limit
    try:
        size = path.stat().st_size
    except OSError as err:
        raise ValueError(Problem(f"无法读取文件：{err.strerror or err}", source)) from None
    if size > limit:
        raise ValueError(Problem(f"文件过大（{size} 字节，上限 {limit} 字节）", source))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(Problem("文件不是 UTF-8 编码", source)) from None
    except OSError as err:
        raise ValueError(Problem(f"无法读取文件：{err.strerror or err}", source)) from None
    return parse_text(text, source)
