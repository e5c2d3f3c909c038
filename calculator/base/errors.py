"""The exception hierarchy: one root, one subclass per kind of input that can be wrong.

Every message is Chinese and self-contained, so the CLI can print ``str(error)`` and
exit, and a backend can show it to a user without a traceback.
"""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place of an input file or row."""

    message: str
    source: str | None = None
    line: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = self.source or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"第 {self.line} 行"
        parts = [p for p in (where, self.path) if p]
        prefix = "：".join(parts)
        return f"{prefix}：{self.message}" if prefix else self.message


class CalculatorError(Exception):
    """Root of every error the calculator raises on purpose."""

    def __init__(self, problems: Sequence[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RuleFileError(CalculatorError):
    """A rule file cannot be read, does not fit the rule schema, or cannot be compiled."""


class ProfileError(CalculatorError):
    """A company or talent profile cannot be read or does not fit the profile schema."""


class EvaluationError(CalculatorError):
    """Evaluation could not produce a trustworthy result (for example the engine and the
    reference evaluator disagreed)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A Chinese "did you mean" suffix, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"；是否想写 {close[0]}？" if close else ""


def format_path(path: Sequence[str | int]) -> str:
    """``("clauses", 0, "benefit", "amount")`` -> ``clauses[0].benefit.amount``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class UnknownClauseError(RuleFileError, KeyError):
    """A clause id that is not in the rules or not in a report (also a ``KeyError``, as a
    lookup by key that fails)."""

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


_OS_REASONS = {
    errno.ENOENT: "文件或目录不存在", errno.EACCES: "没有访问权限", errno.EPERM: "没有访问权限",
    errno.EISDIR: "这是一个目录，需要的是文件", errno.ENOTDIR: "路径中有一段不是目录",
    errno.ENOSPC: "磁盘空间不足", errno.EROFS: "文件系统只读", errno.EEXIST: "文件已存在",
    errno.ENAMETOOLONG: "文件名过长", errno.EBUSY: "文件正被占用",
}


def os_reason(error: OSError) -> str:
    """Why an operating-system call failed, in Chinese (the system's own text is English)."""
    return _OS_REASONS.get(error.errno or -1, f"系统错误 {error.errno}" if error.errno else "系统错误")
