"""Loading a rule bundle: every ``*.yaml`` under a folder, read, validated and linked as
one whole.

Shape is checked by the schema models (``rules.schema``); then ``rules.linking`` checks
every condition against the field catalogue and builds the bundle (``rules.bundle``).
Nothing loads unless all of it is right; all problems are reported together.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..base.errors import Problem, RuleFileError
from ..base.validation import problems_from
from ..base.yamlio import Document as YamlDocument
from ..base.yamlio import read_file
from .bundle import Bundle, ClauseRule
from .linking import link, scope_conditions, scope_text
from .operands import OP_TYPES, operand
from .schema import RuleFile

#: A rule file of 7000 clauses is about 3.5 MB: one file may be this large...
MAX_RULE_FILE_BYTES = 16 * 1024 * 1024
#: ...and all files of a bundle together this large.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
#: Lines are recorded while parsing for key paths up to ``clauses.N.id``; deeper ones
#: only when an error is reported (the file is then read again with every position).
_POSITIONS = 3


def bundle_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.yaml") if p.is_file())


def _digest_file(digest: Any, root: Path, path: Path) -> None:
    digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def content_digest(directory: Path | str) -> str | None:
    """The SHA-256 of every rule file's path and bytes (the bundle's ``version`` is its first
    16 digits), or ``None`` where ``load_bundle`` would refuse the folder before reading."""
    root = Path(directory)
    try:
        paths = bundle_files(root) if root.is_dir() else []
        if not paths or sum(p.stat().st_size for p in paths) > MAX_BUNDLE_BYTES:
            return None
        digest = hashlib.sha256()
        for path in paths:
            _digest_file(digest, root, path)
    except OSError:
        return None
    return digest.hexdigest()


def load_bundle(directory: Path | str) -> Bundle:
    """Load and check every rule file under ``directory``; raise ``RuleFileError`` listing
    every problem found."""
    root = Path(directory)
    if not root.is_dir():
        raise RuleFileError(f"规则目录不存在或不是目录：{root}")
    paths = bundle_files(root)
    if not paths:
        raise RuleFileError(f"规则目录 {root} 中没有 .yaml 规则文件")
    total = sum(p.stat().st_size for p in paths)
    if total > MAX_BUNDLE_BYTES:
        limit = MAX_BUNDLE_BYTES
        raise RuleFileError(f"规则目录 {root} 的规则文件共 {total} 字节（约 {total / 2**20:.1f} MiB），"
                            f"超过全部规则文件合计的上限 {limit} 字节（{limit / 2**20:g} MiB）")
    problems: list[Problem] = []
    parsed: list[tuple[YamlDocument, RuleFile]] = []
    digest = hashlib.sha256()
    limit = MAX_RULE_FILE_BYTES
    for path in paths:
        display = str(path)
        _digest_file(digest, root, path)
        try:
            doc = read_file(path, display, limit, _POSITIONS)
        except ValueError as err:
            problems.append(err.args[0])
            continue
        if not isinstance(doc.data, dict):
            problems.append(Problem("规则文件的顶层应为键值映射（document / definitions / clauses）",
                                    display, 1))
            continue
        try:
            parsed.append((doc, RuleFile.model_validate(doc.data)))
        except ValidationError as err:
            problems += problems_from(err, RuleFile, doc)
        # Linking needs the validated models and the positions, not the parsed text.
        doc.data = None
    if problems:
        raise RuleFileError(problems)
    return link(parsed, digest.hexdigest()[:16], tuple(str(p) for p in paths))


__all__ = ["MAX_BUNDLE_BYTES", "MAX_RULE_FILE_BYTES", "OP_TYPES", "Bundle", "ClauseRule",
           "bundle_files", "content_digest", "load_bundle", "operand", "scope_conditions", "scope_text"]
