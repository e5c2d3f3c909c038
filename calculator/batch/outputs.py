"""Output files that replace the previous results only when complete, all together.

Each output is written to a temporary file beside its target, named
``.<name>.tmp-<pid>``, and renamed into place at the end, so that whatever happens midway
(an error, Ctrl-C, ``kill -9``, a full disk) the previous results stay as they were. The
temporary files of an interrupted run are removed when the run stops; those of a killed
run carry its process id and are removed by the next run once that process is gone.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType, TracebackType
from typing import TypeVar

from ..base.errors import CalculatorError


class OutputError(CalculatorError):
    """An output cannot be written (full disk, read-only folder, the input itself)."""


_TEMP = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)$")


def temp_name(target: Path, pid: int | None = None) -> Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid() if pid is None else pid}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale(targets: Iterable[Path]) -> list[Path]:
    """Remove the temporary files a killed run left beside ``targets``; the removed paths."""
    removed: list[Path] = []
    names = {t.name for t in targets}
    folders = {t.parent for t in targets}
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            match = _TEMP.match(entry.name)
            if not match or match["name"] not in names:
                continue
            pid = int(match["pid"])
            if pid == os.getpid() or _alive(pid):
                continue
            try:
                entry.unlink()
                removed.append(entry)
            except OSError:
                pass
    return removed


def _same_file(a: Path, b: Path) -> bool:
    try:
        one, two = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (one.st_dev, one.st_ino) == (two.st_dev, two.st_ino)


def refuse_overwriting(source: Path, targets: Iterable[Path]) -> None:
    """``OutputError`` when an output would replace the input (also through a link)."""
    for target in targets:
        if _same_file(source, target) or source.resolve() == target.resolve():
            raise OutputError(f"输出文件 {target} 就是输入文件 {source}（或指向它的链接）："
                              "请另选输出文件名，输入文件不会被改动")


def write_error(err: OSError, path: Path) -> OutputError:
    """The one-line message for an output that cannot be written."""
    folder = path.parent
    if err.errno == errno.ENOSPC:
        text = f"磁盘空间不足，无法写入 {folder}"
    elif err.errno == errno.EDQUOT:
        text = f"超出磁盘配额，无法写入 {folder}"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        text = f"没有写入权限：{folder}（只读或无权限的文件夹）"
    elif err.errno == errno.ENOENT:
        text = f"文件夹不存在或无法创建：{folder}"
    else:
        text = f"无法写入 {path}：{err.strerror or err}"
    return OutputError(text + "；原有的结果文件未改动")


_Self = TypeVar("_Self", bound="Committing")


class Committing:
    """An output used in a ``with`` block: on leaving it without an error the output is
    finished and put in place (``close``); an error removes it (``abort``)."""

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class OutputSet:
    """Temporary files for a set of targets, renamed into place together by ``commit``."""

    def __init__(self) -> None:
        self._pending: dict[Path, Path] = {}
        #: outputs a previous run left that this run does not write (renamed away at commit)
        self.obsolete: list[Path] = []

    def temp_for(self, target: Path) -> Path:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise write_error(err, target) from None
        temp = temp_name(target)
        self._pending[target] = temp
        return temp

    @property
    def targets(self) -> list[Path]:
        return list(self._pending)

    def commit(self) -> None:
        """Flush every temporary file to disk, then rename each into place."""
        try:
            for temp in self._pending.values():
                with temp.open("rb+") as handle:
                    os.fsync(handle.fileno())
            for target, temp in self._pending.items():
                os.replace(temp, target)
            for old in self.obsolete:
                if old not in self._pending and old.exists():
                    old.unlink()
            for folder in {t.parent for t in self._pending}:
                _sync_folder(folder)
        except OSError as err:
            self.discard()
            raise write_error(err, next(iter(self._pending), Path("."))) from None
        self._pending.clear()

    def discard(self) -> None:
        for temp in self._pending.values():
            with suppress(OSError):
                temp.unlink()
        self._pending.clear()


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind as Ctrl-C does, removing temporary files."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP unwind the stack (so ``finally`` clauses remove
    temporary files) instead of ending the process on the spot. Only the main thread can
    handle signals; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {s: signal.signal(s, _terminate) for s in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
