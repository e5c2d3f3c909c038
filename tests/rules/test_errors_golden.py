"""Broken inputs and the messages they must produce: each golden file sits beside a
``.expect`` file listing, one per line, the parts the single error message must contain
(file:line, key path, what was expected, the did-you-mean)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from calculator import CalculatorError, ProfileError, RuleFileError, load_profile
from calculator.rules.loading import load_bundle

GOLDEN = Path(__file__).parents[1] / "golden"


def _cases(folder: str) -> list[Path]:
    return sorted(p for p in (GOLDEN / folder).iterdir() if p.suffix in (".yaml", ".json"))


def _expected(path: Path) -> list[str]:
    lines = path.with_suffix(".expect").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()]


def _assert_single_error(error: CalculatorError, golden: Path) -> None:
    message = str(error)
    assert len(error.problems) == 1, message
    for part in _expected(golden):
        assert part in message, f"{part!r} not in {message!r}"


@pytest.mark.parametrize("path", _cases("rules"), ids=lambda p: p.stem)
def test_broken_rule_file(path: Path, tmp_path: Path) -> None:
    shutil.copy(path, tmp_path / path.name)
    with pytest.raises(RuleFileError) as caught:
        load_bundle(tmp_path)
    _assert_single_error(caught.value, path)


@pytest.mark.parametrize("path", _cases("profiles"), ids=lambda p: p.stem)
def test_broken_profile(path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    _assert_single_error(caught.value, path)
