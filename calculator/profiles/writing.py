"""Writing profiles for people: a commented template to fill in, a profile saved from an
interview, and the example profiles shipped with the package.

Files are YAML with the Chinese labels as keys (``营业收入: 3000万``), which
``reading.load_profile`` reads back; every field has a comment with what it accepts and
an example. A blank value means "unknown", never "no".
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from ..base import files
from ..base.errors import CalculatorError, did_you_mean
from ..base.money import format_money, parse_money
from .fields import FIELDS, FieldSpec
from .models import DERIVED_FIELDS, PROFILE_KIND_LABELS
from .values import expected_text

KIND_WORDS = {"company": "企业", "talent": "人才"}
NAME_LABELS = {"company": "企业名称", "talent": "姓名"}
NAME_EXAMPLES = {"company": "苏州某某科技有限公司", "talent": "张三"}
#: Examples where the type's generic one would read oddly.
EXAMPLES: dict[str, str] = {
    "credit_code": "91320500MA1XY3000U", "founded_on": "2016-05-18", "revenue": "3000万",
    "rd_expense": "500万", "employees": "120", "global500_first_entry_year": "2024",
    "china500_first_entry_year": "2016", "national_funding": "2000万", "birth_date": "1988-07-01",
    "nationality": "中国", "team_name": "某某创新团队", "project_name": "某某研发项目",
    "employer": "苏州某某科技有限公司", "employer_credit_code": "91320500MA1XY3000U",
    "arrived_suzhou_on": "2021-03-01", "equity_share": "30", "children_school_age": "1",
}


def example(spec: FieldSpec) -> str:
    if spec.name in EXAMPLES:
        return EXAMPLES[spec.name]
    if spec.type == "enum":
        return spec.choices[0]
    if spec.type == "set":
        return "、".join(spec.choices[:2])
    if spec.type == "bool":
        return "是"
    if spec.type == "date":
        return "2020-05-01"
    if spec.type == "money":
        return "3000万"
    if spec.type in ("int", "number"):
        return "10"
    return f"某某{spec.label}"


def input_specs(kind: str) -> dict[str, FieldSpec]:
    return {name: spec for name, spec in FIELDS[kind].items() if name not in DERIVED_FIELDS}


def _scalar(value: Any, spec: FieldSpec | None = None) -> str:
    """A value as YAML that reads back as the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if spec is not None and spec.type == "money":
            short = format_money(value).removesuffix("元")
            return short if parse_money(short) == value else f"{value:f}"
        return f"{value.normalize():f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [c for c in spec.choices if c in value] if spec is not None else list(value)
        return "无" if not items else "[" + ", ".join(_scalar(i) for i in items) + "]"
    text = str(value)
    # Quote what YAML would read as something else (numbers, yes/no, dates, ": ").
    if not text or text != text.strip() or any(c in text for c in ":#[]{},&*!|>'\"%@`") \
            or text.lower() in ("true", "false", "yes", "no", "null", "on", "off", "~") \
            or text[0].isdigit() or text[0] in "-?":
        return json.dumps(text, ensure_ascii=False)
    return text


def profile_text(kind: str, data: dict[str, Any], *, blanks: bool = True, title: str | None = None) -> str:
    """A profile as commented YAML with Chinese keys; ``blanks``: also list the fields
    that are not filled in, empty, so they can be filled in later."""
    specs = input_specs(kind)
    head = title or f"{PROFILE_KIND_LABELS[kind]}档案"
    lines = [
        f"# {head}。自查：policycalc check 本文件；生成报告：policycalc check 本文件 --report 报告.html",
        "# 每行写成“项目: 值”（半角冒号加空格）。不知道的项留空即可：留空表示“未知”，不会被当作“否”。",
        "# 是/否写 是 或 否；金额可写 3000万、1.2亿；日期可写 2020-05-01 或 2020年5月1日；多选用顿号分隔。",
        "",
        f"类型: {KIND_WORDS[kind]}",
        f"# {NAME_LABELS[kind]}（必填），例如 {NAME_EXAMPLES[kind]}",
        f"{NAME_LABELS[kind]}: {_scalar(data.get('name'))}".rstrip(),
    ]
    for name, spec in specs.items():
        if name == "name":
            continue
        value = data.get(name)
        if value is None and not blanks:
            continue
        lines.append(f"# {spec.label}（{name}）：{expected_text(spec)}。例如 {example(spec)}")
        lines.append(f"{spec.label}: {_scalar(value, spec)}".rstrip())
    return "\n".join(lines) + "\n"


def template_text(kind: str) -> str:
    """A blank, commented profile of ``kind`` (company or talent)."""
    check_kind(kind)
    return profile_text(kind, {}, title=f"{PROFILE_KIND_LABELS[kind]}档案模板")


def check_kind(kind: str) -> None:
    if kind not in FIELDS:
        raise CalculatorError(f"档案类型 {kind!r} 无效；应为 company（企业/机构）或 talent（人才）"
                              f"{did_you_mean(kind, FIELDS)}")


def shipped_profiles() -> dict[str, Path]:
    """The example profiles shipped with the package, by file stem."""
    packaged = Path(str(resources.files("calculator"))) / "shipped" / "profiles"
    directory = packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "profiles"
    return {p.stem: p for p in sorted(directory.glob("*.yaml"))}


def find_example(name: str) -> Path:
    """An example by its name or the start of it (``global500``); ``CalculatorError`` with
    the list of examples otherwise."""
    examples = shipped_profiles()
    if name in examples:
        return examples[name]
    starting = [stem for stem in examples if stem.startswith(name)]
    if len(starting) == 1:
        return examples[starting[0]]
    listing = "、".join(examples)
    if len(starting) > 1:
        raise CalculatorError(f"示例 {name!r} 不唯一：{'、'.join(starting)}")
    raise CalculatorError(f"没有示例 {name!r}{did_you_mean(name, examples)}；可用的示例：{listing}")


def shipped_titles() -> dict[str, str]:
    """The example profiles by file stem, each with the title its first line gives."""
    return {stem: source.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
            for stem, source in shipped_profiles().items()}


def save_interview(kind: str, data: dict[str, Any], name: str, path: Path | None = None) -> Path:
    """Save the answers of an interview as a profile file: ``path`` (replaced if it exists),
    else ``<name>.yaml`` in the current directory under a name not yet taken."""
    target = path or files.free_path(files.file_stem(name), ".yaml")
    text = profile_text(kind, data, title=f"{name} 的{PROFILE_KIND_LABELS[kind]}档案")
    return write_text(target, text, overwrite=path is not None)


def write_text(path: str | Path, text: str, *, overwrite: bool = False) -> Path:
    """Write ``text`` to ``path`` as UTF-8, refusing to replace a file unless told to."""
    return files.write_text(path, text, overwrite=overwrite)


def write_template(kind: str, path: str | Path, *, overwrite: bool = False) -> Path:
    return write_text(path, template_text(kind), overwrite=overwrite)


def write_example(name: str, path: str | Path | None = None, *, overwrite: bool = False) -> Path:
    source = find_example(name)
    return write_text(path or source.name, source.read_text(encoding="utf-8"), overwrite=overwrite)


__all__ = ["find_example", "profile_text", "save_interview", "shipped_profiles", "shipped_titles",
           "template_text", "write_example", "write_template", "write_text"]
