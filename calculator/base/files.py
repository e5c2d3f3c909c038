"""Output files: written whole or not at all (into a temporary file beside the target, then
renamed over it, so a failed write never leaves half a file behind), and named from a
person's or a firm's name without taking a name already in use."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import CalculatorError, os_reason


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Files are created as ``open()`` would create them (mkstemp's are private to the owner).
_MODE = 0o666 & ~_umask()


def replace_file(target: Path, write: Callable[[Path], object], *, overwrite: bool = True) -> Path:
    """Call ``write`` with a temporary path beside ``target``, then move it to ``target``;
    ``CalculatorError`` in Chinese when the directory is missing or the write fails."""
    if target.exists() and not overwrite:
        raise CalculatorError(f"{target} 已存在：换一个文件名，或加 --force 覆盖")
    if not target.parent.is_dir():
        raise CalculatorError(f"{target}：目录 {target.parent} 不存在")
    try:
        handle, name = tempfile.mkstemp(suffix=target.suffix, dir=target.parent)
        os.close(handle)
        temporary = Path(name)
        try:
            write(temporary)
            os.chmod(temporary, target.stat().st_mode & 0o7777 if target.exists() else _MODE)
            os.replace(temporary, target)
        finally:
            if temporary.exists():
                temporary.unlink()
    except OSError as error:
        raise CalculatorError(f"{target}：无法写入：{os_reason(error)}") from None
    return target


def write_text(path: str | Path, text: str, *, overwrite: bool = True) -> Path:
    """Write ``text`` as UTF-8 to ``path``, whole or not at all."""
    return replace_file(Path(path), lambda temporary: temporary.write_text(text, encoding="utf-8"),
                        overwrite=overwrite)


def file_stem(name: str) -> str:
    """``name`` made safe as a file name: separators, reserved characters and spaces become
    ``_``, at most 60 characters; ``档案`` when nothing is left."""
    cleaned = re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("._")
    return cleaned[:60] or "档案"


def free_path(stem: str, suffix: str) -> Path:
    """``stem`` + ``suffix`` in the current directory, or ``stem-2``, ``stem-3`` … if taken."""
    path = Path(f"{stem}{suffix}")
    number = 2
    while path.exists():
        path = Path(f"{stem}-{number}{suffix}")
        number += 1
    return path
