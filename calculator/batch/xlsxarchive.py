"""The bounded layer under the XLSX reader: a workbook's zip archive and the XML inside it,
opened so that a hostile file cannot exhaust memory or time.

Before anything is parsed the archive's members are checked: the sizes they declare, and
their compression ratio (a "zip bomb" inflates a few hundred kilobytes into gigabytes).
While reading, the bytes actually inflated are counted against the same limits. XML is
parsed by expat with DOCTYPE and entity declarations refused.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from ..base.errors import ProfileError

#: Inflated sizes: small parts are read whole; the shared strings are held in memory (as
#: compact UTF-8); a sheet streams, so its limit bounds time, not memory.
MAX_PART_BYTES = 16 << 20
MAX_SHARED_STRINGS_BYTES = 128 << 20
MAX_SHEET_BYTES = 4 << 30
#: Inflated / compressed. Real sheets compress 5-50 times, deflate at most ~1030 times.
MAX_RATIO = 400
#: A ratio only matters for members large enough to cost something.
RATIO_FLOOR = 16 << 20
CHUNK = 1 << 16
#: What reading a damaged member raises.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError)


def local(name: str) -> str:
    """An XML tag or attribute name without its namespace prefix."""
    return name.rpartition(":")[2]


def _no_doctype(*_: Any) -> None:
    raise ProfileError("XML 中含有 DOCTYPE 声明，不是 Excel 保存的工作簿")


def xml_parser() -> Any:
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _no_doctype
    parser.EntityDeclHandler = _no_doctype
    parser.buffer_text = True
    return parser


class Handlers:
    """An expat content handler: ``_start``, ``_end`` and ``_text``."""

    def attach(self, parser: Any) -> None:
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def _end(self, name: str) -> None:
        raise NotImplementedError

    def _text(self, data: str) -> None:
        raise NotImplementedError


class Counted:
    """A zip member's stream, counting what it inflates against a limit."""

    def __init__(self, handle: IO[bytes], limit: int, what: str) -> None:
        self.handle = handle
        self.limit = limit
        self.what = what
        self.read_bytes = 0

    def read(self, size: int = CHUNK) -> bytes:
        data = self.handle.read(size)
        self.read_bytes += len(data)
        if self.read_bytes > self.limit:
            raise ProfileError(f"{self.what} 解压后超过 {self.limit >> 20} MiB，疑似压缩炸弹，拒绝读取")
        return data


class Archive:
    """A workbook's zip archive, its members checked against the limits when opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as err:
            raise ProfileError(f"{path}：无法读取：不是有效的 .xlsx 文件（{err}）") from None
        try:
            self._check_members()
        except BaseException:
            self.zip.close()
            raise

    def close(self) -> None:
        self.zip.close()

    def names(self) -> list[str]:
        return list(self.zip.NameToInfo)

    def _check_members(self) -> None:
        total = 0
        for info in self.zip.infolist():
            total += info.file_size
            limit = self._limit(info.filename)
            if info.file_size > limit:
                raise ProfileError(
                    f"{self.path}：工作簿的 {info.filename} 声明解压后为 {info.file_size >> 20} MiB，"
                    f"超过上限 {limit >> 20} MiB，拒绝读取（疑似压缩炸弹）")
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
                raise ProfileError(
                    f"{self.path}：工作簿的 {info.filename} 压缩比为 {ratio:.0f} 倍，"
                    f"超过上限 {MAX_RATIO} 倍，拒绝读取（疑似压缩炸弹）")
        if total > MAX_SHEET_BYTES + MAX_SHARED_STRINGS_BYTES:
            raise ProfileError(f"{self.path}：工作簿解压后共 {total >> 20} MiB，超过上限，拒绝读取")

    @staticmethod
    def _limit(name: str) -> int:
        if name.startswith("xl/worksheets/"):
            return MAX_SHEET_BYTES
        if name.endswith("sharedStrings.xml"):
            return MAX_SHARED_STRINGS_BYTES
        if name.endswith(".xml") or name.endswith(".rels"):
            return MAX_PART_BYTES
        return MAX_SHEET_BYTES  # pictures and the like are never inflated

    def open(self, name: str, limit: int) -> Counted:
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise ProfileError(f"{self.path}：无法读取：工作簿缺少 {name}") from None
        return Counted(self.zip.open(info), min(limit, info.file_size), f"{self.path}：{name}")

    def parse(self, name: str, parser: Any, limit: int = MAX_PART_BYTES) -> None:
        """Feed the member ``name`` to ``parser``, whole."""
        stream = self.open(name, limit)
        try:
            while True:
                data = stream.read(CHUNK)
                parser.Parse(data, not data)
                if not data:
                    break
        except expat.ExpatError as err:
            raise ProfileError(f"{self.path}：无法读取：{name} 已损坏（{err}）") from None
        except READ_ERRORS as err:
            raise ProfileError(f"{self.path}：无法读取：{err}") from None
        finally:
            stream.handle.close()
