"""A cache of compiled rule bundles between runs, keyed by what the result depends on.

Loading 7000 clauses spends most of its time reading YAML, validating and linking. What
that produces is plain data, so it is stored (``pickle``) under a key made of the content
of every rule file and its path, the folder, the calculator's own source code, and the
versions of Python, pydantic, PyYAML and durable-rules: any change to any of them is a
different key, so an entry can never be stale. What lives in C (the durable-rules
rulesets) and the compiled evaluation functions are rebuilt from it on every load.

Where: ``$POLICYCALC_CACHE`` (a directory, or ``off`` to disable), else
``$XDG_CACHE_HOME/policycalc``, else ``~/.cache/policycalc``.

Loading a pickle runs code, so the cache is only ever read from a directory that belongs
to the current user and that nobody else may write to, and only files owned by the user
and not writable by others; a folder that fails this is not used at all (a warning is
logged). Entries are written to a temporary file and renamed into place, so a reader
never sees half a file; each carries a checksum, and a corrupt, truncated or foreign
entry is ignored with a warning and rebuilt. The cache never raises: at worst the rules
are loaded from the files as if it did not exist.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from ..profiles.fields import FIELDS, FieldSpec

log = logging.getLogger("policycalc.cache")

CACHE_ENV = "POLICYCALC_CACHE"
#: Values of ``$POLICYCALC_CACHE`` that turn the cache off.
OFF = frozenset({"", "0", "off", "no", "false", "none"})
#: Entries kept per folder; older ones are removed when a new one is written.
MAX_ENTRIES = 8
_MAGIC = b"policycalc-bundle-1\n"
_DIGEST = hashlib.sha256().digest_size
_PACKAGE = Path(__file__).resolve().parents[1]

T = TypeVar("T")


def default_directory() -> Path | None:
    """The cache folder from the environment, or ``None`` when it is turned off."""
    setting = os.environ.get(CACHE_ENV)
    if setting is not None:
        return None if setting.strip().lower() in OFF else Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policycalc"


@cache
def code_digest() -> str:
    """A hash of the calculator's own source and the libraries that shape a bundle: a
    changed loader, schema or field catalogue never reads an entry written by another."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    for name in ("pydantic", "pydantic-core", "PyYAML", "durable-rules"):
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name}={version}\0".encode())
    digest.update(f"{sys.version}\0{sys.implementation.cache_tag}\0".encode())
    return digest.hexdigest()


def entry_key(directory: Path, content: str, salt: str = "") -> str:
    """The key of a bundle: its folder, the content digest of its files, the code."""
    text = f"{directory.resolve()}\0{content}\0{code_digest()}\0{salt}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


# Field specs are the catalogue's own objects: stored by name, so that a bundle read from
# the cache refers to the very same objects as one loaded from the files.
@cache
def _spec_names() -> dict[int, tuple[str, str]]:
    return {id(spec): (kind, name) for kind, specs in FIELDS.items() for name, spec in specs.items()}


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, FieldSpec):
            ref = _spec_names().get(id(obj))
            if ref is not None and FIELDS[ref[0]][ref[1]] is obj:
                return ("field", *ref)
        return None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        tag, kind, name = pid
        if tag != "field":
            raise pickle.UnpicklingError(f"unknown reference {tag!r}")
        return FIELDS[kind][name]


def _safe_owner(info: os.stat_result) -> str | None:
    """Why a folder or file with this status may not be trusted, or ``None``."""
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        return "不属于当前用户"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "其他用户可写"
    return None


class BundleCache:
    """One cache folder, checked once when opened."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def open(cls, directory: Path | None) -> BundleCache | None:
        """The cache in ``directory`` (created, private, if missing), or ``None`` with a
        logged warning when the folder cannot be used safely."""
        if directory is None:
            return None
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = directory.stat()
        except OSError as err:
            log.warning("不使用规则缓存 %s：无法创建或读取该目录（%s）", directory, err.strerror or err)
            return None
        if not stat.S_ISDIR(info.st_mode):
            log.warning("不使用规则缓存 %s：不是目录", directory)
            return None
        why = _safe_owner(info)
        if why:
            log.warning("不使用规则缓存 %s：该目录%s，从中读取缓存可能执行他人写入的代码", directory, why)
            return None
        return cls(directory)

    def path(self, key: str) -> Path:
        return self.directory / f"bundle-{key}.pickle"

    def get(self, key: str) -> Any | None:
        """The stored value, or ``None`` when there is none or it cannot be trusted."""
        path = self.path(key)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        except OSError as err:
            log.warning("忽略规则缓存 %s：无法读取（%s），重新加载规则", path, err.strerror or err)
            return None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            why = "不是普通文件" if not stat.S_ISREG(info.st_mode) else _safe_owner(info)
            if why:
                log.warning("忽略规则缓存 %s：该文件%s，重新加载规则", path, why)
                return None
            data = handle.read()
        head = len(_MAGIC) + _DIGEST
        if (len(data) < head or not data.startswith(_MAGIC)
                or hashlib.sha256(memoryview(data)[head:]).digest() != data[len(_MAGIC):head]):
            log.warning("忽略规则缓存 %s：文件损坏或不完整，重新加载规则", path)
            return None
        stream = io.BytesIO(data)  # shares the bytes, no copy
        stream.seek(head)
        try:
            stored_key, value = _Unpickler(stream).load()
        except Exception as err:  # an entry of another layout: never an error, rebuilt
            log.warning("忽略规则缓存 %s：无法读出（%s），重新加载规则", path, type(err).__name__)
            return None
        if stored_key != key:
            log.warning("忽略规则缓存 %s：内容与文件名不符，重新加载规则", path)
            return None
        return value

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` atomically; a failure is logged, never raised."""
        buffer = io.BytesIO()
        try:
            _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump((key, value))
        except (pickle.PicklingError, TypeError, AttributeError) as err:
            log.warning("规则未写入缓存：无法序列化（%s）", err)
            return
        payload = buffer.getvalue()
        temp: str | None = None
        try:
            fd, temp = tempfile.mkstemp(prefix=".bundle-", suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "wb") as handle:
                handle.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(temp, self.path(key))
            temp = None
        except OSError as err:
            log.warning("规则未写入缓存 %s：%s", self.directory, err.strerror or err)
            return
        finally:
            if temp is not None:
                with _quiet():
                    os.unlink(temp)
        self._prune(keep=self.path(key))

    def _prune(self, keep: Path) -> None:
        entries = []
        for path in self.directory.glob("bundle-*.pickle"):
            with _quiet():
                entries.append((path.stat().st_mtime, path))
        entries.sort(reverse=True)
        for _, path in entries[MAX_ENTRIES:]:
            if path != keep:
                with _quiet():
                    path.unlink()


class _quiet:
    """Ignore an ``OSError`` (a file another process removed first)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, value: Any, trace: Any) -> bool:
        return kind is not None and issubclass(kind, OSError)


def disable() -> None:
    """Turn the default cache off for this process and the processes it starts (batch
    workers, Dask's local workers): ``policycalc --no-cache``."""
    os.environ[CACHE_ENV] = "off"


def cache_directory(option: str | Path | bool | None) -> Path | None:
    """The folder ``Calculator.load(cache=...)`` means: ``True``/``None`` the default
    (``default_directory``), ``False`` none, a path that folder."""
    if option is False:
        return None
    if option is None or option is True:
        return default_directory()
    return Path(option).expanduser()


def cached(directory: Path, content: str, option: str | Path | bool | None,
           build: Callable[[], T], accept: Callable[[Any], T | None], salt: str = "") -> T:
    """``build()``, or what a previous run stored for the same key. ``accept`` returns a
    value if it has the expected shape and is of ``content`` (else ``None``): a stored
    value that fails is rebuilt, a built one that fails (the files changed while they were
    read) is not stored."""
    store = BundleCache.open(cache_directory(option))
    if store is None:
        return build()
    key = entry_key(directory, content, salt)
    stored = store.get(key)
    if stored is not None:
        value = accept(stored)
        if value is not None:
            return value
        log.warning("忽略规则缓存 %s：内容不是规则包，重新加载规则", store.path(key))
    value = build()
    if accept(value) is not None:
        store.put(key, value)
    return value


__all__ = ["CACHE_ENV", "BundleCache", "cache_directory", "cached", "default_directory", "disable"]
