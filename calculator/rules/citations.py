"""Checking that every clause's quote really occurs in the source text it cites.

Rule authors copy quotes from the policy texts by hand, and the texts come from web pages
and PDFs whose line breaks, spaces and full-width/half-width forms differ from what an
author types. So both sides are compared after removing all whitespace and folding
full-width ASCII (U+FF01..U+FF5E) to half-width; nothing else is folded, so a changed
word, digit or Chinese punctuation mark still counts as not found.

Stacking groups also carry a quote, but the bundle does not record which rule file (and
so which document) a group came from, and a group's member clauses may belong to
different documents; guessing the source would report false results, so groups are not
checked here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..base.errors import CalculatorError, os_reason
from .loading import Bundle, ClauseRule

_FULLWIDTH_FIRST, _FULLWIDTH_LAST = 0xFF01, 0xFF5E
_FULLWIDTH_OFFSET = 0xFEE0


@dataclass(frozen=True)
class CitationCheck:
    """Whether one clause's quote was found in its source file, and where."""

    clause_id: str
    rule_file: str
    rule_line: int | None
    source: str
    found: bool
    source_line: int | None = None
    problem: str | None = None

    @property
    def rule_location(self) -> str:
        return self.rule_file if self.rule_line is None else f"{self.rule_file}:{self.rule_line}"


@dataclass(frozen=True)
class Normalised:
    text: str
    # The original 1-based line of each kept character, so a match found in the
    # normalised text can be reported where a reader will find it in the file.
    lines: list[int]


def _fold(char: str) -> str:
    code = ord(char)
    if _FULLWIDTH_FIRST <= code <= _FULLWIDTH_LAST:
        return chr(code - _FULLWIDTH_OFFSET)
    return char


def normalise(text: str) -> Normalised:
    """``text`` without whitespace (the ideographic space included, which ``isspace``
    covers) and with full-width ASCII folded to half-width."""
    kept: list[str] = []
    lines: list[int] = []
    line = 1
    for char in text:
        if char == "\n":
            line += 1
        if char.isspace():
            continue
        kept.append(_fold(char))
        lines.append(line)
    return Normalised("".join(kept), lines)


def _read_source(path: Path) -> Normalised | str:
    """The normalised text of a source file, or a Chinese reason it cannot be used."""
    if not path.is_file():
        return f"原文文件不存在：{path}"
    try:
        return normalise(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return f"原文文件不是 UTF-8 文本：{path}"
    except OSError as error:
        return f"原文文件无法读取：{path}（{os_reason(error)}）"


def _check(rule: ClauseRule, *, found: bool, line: int | None = None,
           problem: str | None = None) -> CitationCheck:
    return CitationCheck(rule.id, rule.file, rule.line, rule.document.source, found, line,
                         problem)


def verify(bundle: Bundle, sources: Path) -> list[CitationCheck]:
    """Check every clause's ``citation.quote`` against ``sources / document.source``.

    Raises ``CalculatorError`` when ``sources`` is not a directory, since then no check
    could mean anything. Stacking groups are not checked (see the module docstring).
    """
    if not sources.is_dir():
        raise CalculatorError(f"原文目录不存在或不是目录：{sources}")
    # Several clauses cite the same document; read and normalise each file once.
    cache: dict[str, Normalised | str] = {}
    checks: list[CitationCheck] = []
    for rule in bundle.clauses:
        name = rule.document.source
        if name not in cache:
            cache[name] = _read_source(sources / name)
        source = cache[name]
        if isinstance(source, str):
            checks.append(_check(rule, found=False, problem=f"条款 {rule.id}：{source}"))
            continue
        quote = normalise(rule.clause.citation.quote).text
        index = source.text.find(quote) if quote else -1
        if index < 0:
            reason = "引文去掉空白后为空" if not quote else "引文在原文中未找到"
            checks.append(_check(rule, found=False,
                                 problem=f"条款 {rule.id}：{reason}（{name}）"))
        else:
            checks.append(_check(rule, found=True, line=source.lines[index]))
    return checks


__all__ = ["CitationCheck", "Normalised", "normalise", "verify"]
