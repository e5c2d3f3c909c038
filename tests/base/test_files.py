"""Output files are written whole, with ordinary permissions, or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from calculator import CalculatorError
from calculator.base.files import file_stem, free_path, replace_file, write_text


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    target = write_text(tmp_path / "报告.html", "<p>甲</p>")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
    assert target.read_text(encoding="utf-8") == "<p>甲</p>"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = write_text(tmp_path / "档案.yaml", "旧")

    def fail(path: Path) -> None:
        path.write_text("半", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(CalculatorError, match="磁盘空间不足"):
        replace_file(target, fail)
    assert target.read_text(encoding="utf-8") == "旧"
    assert [p.name for p in tmp_path.iterdir()] == ["档案.yaml"]


def test_refuses_to_overwrite_unless_told(tmp_path: Path) -> None:
    target = write_text(tmp_path / "a.yaml", "1")
    with pytest.raises(CalculatorError, match="已存在"):
        write_text(target, "2", overwrite=False)
    with pytest.raises(CalculatorError, match="不存在"):
        write_text(tmp_path / "no" / "a.yaml", "2")


def test_a_name_becomes_a_safe_file_stem() -> None:
    assert file_stem("苏州某某 科技/有限:公司") == "苏州某某_科技_有限_公司"
    assert file_stem("..\\..\\etc") == "etc"
    assert file_stem("  ") == "档案"
    assert len(file_stem("甲" * 100)) == 60


def test_a_free_path_skips_names_already_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert free_path("张三", ".yaml") == Path("张三.yaml")
    Path("张三.yaml").write_text("", encoding="utf-8")
    Path("张三-2.yaml").write_text("", encoding="utf-8")
    assert free_path("张三", ".yaml") == Path("张三-3.yaml")
