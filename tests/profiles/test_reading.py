"""Profiles as people write them: Chinese keys, cell-like values, and clear errors for
files that are not profiles or are not valid YAML."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from calculator import ProfileError, load_profile, parse_profile
from calculator.profiles.writing import profile_text, shipped_profiles, template_text

from ..conftest import PROFILES


def _write(tmp_path: Path, text: str, name: str = "档案.yaml", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_chinese_keys_and_values_written_like_cells(tmp_path: Path) -> None:
    path = _write(tmp_path, "类型: 企业\n企业名称: 甲公司\n营业收入: 3000万\n所在板块: 园区\n"
                            "成立日期: 2020/5/1\n是否拥有知识产权: 是\n资质: 高新技术企业、专精特新\n"
                            "企业规模: 小型\n职工人数: 120\n")
    profile = load_profile(path)
    assert profile.kind == "company" and profile.name == "甲公司"
    assert profile.revenue == Decimal(30_000_000)
    assert profile.district == "苏州工业园区"
    assert profile.founded_on == date(2020, 5, 1)
    assert profile.owns_ip is True
    assert profile.qualifications == frozenset({"高新技术企业", "专精特新"})
    assert profile.enterprise_size == "小型"


def test_english_keys_take_the_same_values(tmp_path: Path) -> None:
    path = _write(tmp_path, "kind: company\nname: 甲\nfounded_on: 2020年5月1日\nowns_ip: 否\n")
    profile = load_profile(path)
    assert profile.founded_on == date(2020, 5, 1) and profile.owns_ip is False


def test_a_blank_value_is_unknown_not_no(tmp_path: Path) -> None:
    profile = load_profile(_write(tmp_path, "类型: 人才\n姓名: 张三\n出生日期:\n是否在苏创办企业:\n"))
    assert profile.kind == "talent" and profile.birth_date is None and profile.startup is None


def test_a_misspelt_chinese_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"档案\.yaml:3：营业收人：未知的键 营业收人.*是否想写 营业收入"):
        load_profile(_write(tmp_path, "类型: 企业\n企业名称: 甲\n营业收人: 3000万\n"))


def test_the_same_field_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="营业收入 与 revenue 是同一项"):
        load_profile(_write(tmp_path, "kind: company\nname: 甲\nrevenue: 1亿\n营业收入: 3000万\n"))


def test_a_bad_value_names_line_key_and_expectation(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(_write(tmp_path, "类型: 企业\n企业名称: 甲\n是否拥有知识产权: 也许\n上市状态: 上市\n"))
    message = str(info.value)
    assert "档案.yaml:3：是否拥有知识产权：（是否拥有知识产权）应为 是 或 否" in message
    assert "档案.yaml:4" in message and "允许的值：未上市、拟上市、境内上市、境外上市" in message


@pytest.mark.parametrize("name", ["申请人.xlsx", "申请人.csv", "申请人.xls"])
def test_a_table_given_as_a_profile_points_to_screen(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, "企业名称,营业收入\n甲,3000万\n", name)
    with pytest.raises(ProfileError, match="是表格文件：批量筛查请用 policycalc screen"):
        load_profile(path)


def test_a_workbook_under_another_name_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "档案.yaml"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(ProfileError, match="是表格文件"):
        load_profile(path)


def test_a_gbk_file_says_save_as_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, "类型: 企业\n企业名称: 苏州甲公司\n", encoding="gbk")
    with pytest.raises(ProfileError, match=r"GBK.*另存为 UTF-8"):
        load_profile(path)


@pytest.mark.parametrize(("text", "line", "cause"), [
    ("kind: company\nname: 甲\n营业收入：3000万\n所在板块: 吴江区\n", 3, "全角冒号"),
    ("kind: company\nname: 甲\n营业收入：3000万\n", 3, "全角冒号"),
    ("营业收入：3000万\n", 1, "全角冒号"),
    ("kind: company\nname: 甲\n\trevenue: 1\n", 3, "制表符（Tab）"),
    ("kind: company\nname: 甲\n营业收入 3000万\n所在板块: 吴江区\n", 3, "缺少冒号"),
    ("kind: company\nname: 甲: 乙\n", 2, "加引号"),
    ("kind: company\nname: 甲\n  revenue: 1\n", 3, "缩进不一致"),
    ("kind: company\nname: \"甲\n", 2, "引号没有配对"),
])
def test_yaml_syntax_errors_in_chinese_at_the_right_line(tmp_path: Path, text: str, line: int,
                                                         cause: str) -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(_write(tmp_path, text))
    message = str(info.value)
    assert f"档案.yaml:{line}：" in message and cause in message
    assert not any(word in message for word in ("mapping", "expected", "found", "scanning"))


def test_a_list_of_profiles_points_to_screen(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="policycalc screen"):
        load_profile(_write(tmp_path, "- kind: company\n  name: 甲\n"))


def test_the_template_lists_every_field_and_reads_back(tmp_path: Path) -> None:
    text = template_text("company")
    for label in ("营业收入", "所在板块", "资质", "是否拥有知识产权", "首次入选世界500强年份"):
        assert f"\n{label}:" in text
    assert "苏州工业园区" in text and "例如 3000万" in text
    with pytest.raises(ProfileError, match="缺少必填项 name"):
        load_profile(_write(tmp_path, text))
    profile = load_profile(_write(tmp_path, text.replace("企业名称:", "企业名称: 甲"), "t.yaml"))
    assert profile.name == "甲" and profile.revenue is None


@pytest.mark.parametrize("path", sorted(PROFILES.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_saved_profile_reads_back_the_same(tmp_path: Path, path: Path) -> None:
    profile = load_profile(path)
    text = profile_text(profile.kind, {name: getattr(profile, name) for name in type(profile).model_fields},
                        blanks=False)
    assert load_profile(_write(tmp_path, text)) == profile


def test_the_examples_are_found() -> None:
    examples = shipped_profiles()
    assert "global500-first-entry" in examples
    assert len(examples) == len(list(PROFILES.glob("*.yaml")))


def test_parse_profile_reads_a_mapping_like_a_file() -> None:
    assert parse_profile({"类型": "人才", "姓名": "张三", "学历": "博士"}).education == "博士"



def test_dumping_a_profile_keeps_text_and_writes_none_as_wu() -> None:
    # A field that may hold NONE (无) dumps its text as written, and NONE as 无.
    profile = load_profile(PROFILES / "excellent-engineer.yaml")
    assert profile.model_dump()["employer"] == profile.employer  # type: ignore[union-attr]
    none = parse_profile({"kind": "company", "name": "甲", "global500_first_entry_year": "未入选"})
    assert none.model_dump()["global500_first_entry_year"] == "无"
    assert '"global500_first_entry_year":"无"' in none.model_dump_json()
