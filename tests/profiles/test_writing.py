"""Profiles written for people: an interview saved under a free name, the shipped examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from calculator import CalculatorError, load_profile
from calculator.profiles.writing import save_interview, shipped_profiles, shipped_titles


def test_an_interview_is_saved_under_its_name_and_reads_back(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = {"kind": "talent", "name": "张 三", "education": "博士"}
    first = save_interview("talent", data, "张 三")
    second = save_interview("talent", data, "张 三")
    assert (first, second) == (Path("张_三.yaml"), Path("张_三-2.yaml"))
    assert first.read_text(encoding="utf-8").startswith("# 张 三 的人才档案")
    profile = load_profile(first)
    assert profile.name == "张 三" and profile.kind == "talent"


def test_a_named_file_is_replaced_and_a_free_name_never_is(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    named = tmp_path / "档案.yaml"
    named.write_text("旧", encoding="utf-8")
    data = {"kind": "company", "name": "某公司"}
    assert save_interview("company", data, "某公司", named) == named
    assert "某公司" in named.read_text(encoding="utf-8")
    with pytest.raises(CalculatorError, match="目录"):
        save_interview("company", data, "某公司", tmp_path / "没有" / "档案.yaml")


def test_every_shipped_example_has_a_title() -> None:
    titles = shipped_titles()
    assert titles.keys() == shipped_profiles().keys() and titles
    for stem, title in titles.items():
        assert title and not title.startswith("#"), stem
