"""Which report file a person's answer asks for, and the one offered by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from calculator.reporting.files import chosen_report, offered_report


def test_the_offered_report_is_named_after_the_profile_and_never_taken(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert offered_report("某某 公司") == Path("某某_公司-自查报告.html")
    Path("某某_公司-自查报告.html").write_text("", encoding="utf-8")
    assert offered_report("某某 公司") == Path("某某_公司-自查报告-2.html")


@pytest.mark.parametrize(("answer", "chosen"), [
    (None, None), ("否", None), ("n", None), ("跳过", None),
    ("", Path("offered.html")), ("是", Path("offered.html")), ("yes", Path("offered.html")),
    ("我的报告.xlsx", Path("我的报告.xlsx")),
])
def test_an_answer_chooses_no_report_the_offered_one_or_a_named_file(answer: str | None,
                                                                     chosen: Path | None) -> None:
    assert chosen_report(answer, Path("offered.html")) == chosen
