"""The libyaml fast path gives exactly the Python parser's documents, and every error is
still the Python parser's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from calculator.base import yamlio

from ..conftest import PROFILES, RULES


def _slow(text: str, source: str, monkeypatch: pytest.MonkeyPatch) -> yamlio.Document:
    with monkeypatch.context() as patch:
        patch.setattr(yamlio, "_parse_fast", lambda text, source, depth=None: None)
        return yamlio.parse_text(text, source)


@pytest.mark.parametrize("path", sorted(RULES.rglob("*.yaml")) + sorted(PROFILES.glob("*.yaml")),
                         ids=lambda p: p.name)
def test_fast_path_equals_python_parser(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    fast = yamlio._parse_fast(text, str(path))
    assert fast is not None
    slow = _slow(text, str(path), monkeypatch)
    assert (fast.data, fast.lines) == (slow.data, slow.lines)
    shallow = yamlio.parse_text(text, str(path), positions=2)
    assert shallow.data == slow.data
    # A deeper path than was recorded is answered by reading the text again.
    assert {p: shallow.line_of(p) for p in slow.lines} == {p: slow.line_of(p) for p in slow.lines}
    assert shallow.lines == slow.lines


def test_positions_limit_what_is_recorded_until_an_error_asks() -> None:
    text = "a:\n  b:\n    - c: 1\n      d: 2\n"
    doc = yamlio.parse_text(text, "x.yaml", positions=1)
    assert doc._lines == {(): 1, ("a",): 1}
    assert doc.line_of(["a", "b", 0, "d"]) == 4
    assert doc._lines[("a", "b", 0, "c")] == 3


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n", "a: 1\na: 2\n", "a: [1, 2\n", "<<: {a: 1}\n", "? [1]\n: 2\n",
])
def test_what_the_fast_path_refuses_the_python_parser_reports(text: str) -> None:
    assert yamlio._parse_fast(text, "x.yaml") is None
    with pytest.raises(ValueError) as info:
        yamlio.parse_text(text, "x.yaml")
    assert info.value.args[0].line is not None


def test_a_rule_file_may_be_larger_than_other_input(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: '" + "x" * (yamlio.MAX_INPUT_BYTES + 10) + "'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="文件过大"):
        yamlio.read_file(big)
    assert yamlio.read_file(big, limit=yamlio.MAX_INPUT_BYTES * 2).data["a"].startswith("xxx")
