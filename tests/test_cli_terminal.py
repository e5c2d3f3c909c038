"""policycalc ask through a real pseudo-terminal, as a person types into it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect

from calculator import load_profile

POLICYCALC = str(Path(sys.executable).with_name("policycalc"))


def test_ask_in_a_terminal(tmp_path: Path) -> None:
    profile, report = tmp_path / "甲.yaml", tmp_path / "甲.html"
    env = {**os.environ, "COLUMNS": "80", "LINES": "40", "TERM": "xterm", "NO_COLOR": "1"}
    child = pexpect.spawn(POLICYCALC, ["ask", "--as-of", "2025-06-01", "-o", str(profile)],
                          cwd=str(tmp_path), env=env, encoding="utf-8", timeout=60,
                          dimensions=(40, 80))
    try:
        child.expect("为谁自查")
        child.sendline("企业")
        child.expect("企业名称")
        child.sendline("苏州甲科技有限公司")
        child.expect("第 1 问")
        child.expect("所在板块是哪一项")
        child.sendline("6")  # by number: 吴江区
        child.expect("第 2 问")
        child.expect("首次入选世界500强年份是哪一年")
        child.sendline("明年")
        child.expect("没能识别")
        child.expect("> ")
        child.sendline("2024")
        child.expect("目前：确定可得 3000万元")
        child.expect("第 3 问")
        child.sendline("跳过")
        child.expect("已跳过")
        child.expect("第 4 问")
        child.sendline("结束")
        child.expect("确定可得 3000万元")
        child.expect("档案已保存")
        child.expect("生成可打印的报告吗")
        child.sendline(str(report))
        child.expect("报告已生成")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    saved = load_profile(profile)
    assert saved.global500_first_entry_year == 2024  # type: ignore[union-attr]
    assert saved.district == "吴江区"  # type: ignore[union-attr]
    assert "3000万元" in report.read_text(encoding="utf-8")
