"""Profiles as people write them: YAML or JSON files with Chinese labels or field names
as keys (营业收入 or revenue), and values written like spreadsheet cells (是, 2020/5/1,
3000万, 园区), read through the same parser as cells (``values.convert``).

``parse_profile`` reads a hand-written mapping; ``load_profile`` reads a file and says
clearly when it is not a profile at all (a spreadsheet, a CSV table, a GBK-saved file).
The published JSON contract (``json_types=True``) stays strict and takes field names only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..base.errors import Problem, ProfileError, did_you_mean
from ..base.yamlio import Document, Location, read_file
from . import models
from .absent import NONE
from .fields import FIELDS
from .models import DERIVED_FIELDS, PROFILE_MODELS, CompanyProfile, TalentProfile
from .values import convert, is_blank

AnyProfile = CompanyProfile | TalentProfile

KIND_KEYS = ("kind", "类型", "档案类型")
KIND_VALUES = {"company": "company", "talent": "talent", "企业": "company", "机构": "company",
               "企业/机构": "company", "单位": "company", "人才": "talent", "个人": "talent"}
NAME_KEYS = {"company": ("名称", "企业名称", "单位名称", "机构名称", "公司名称"),
             "talent": ("名称", "姓名")}
#: Other words people use for a field, besides its label and its name.
KEY_ALIASES: dict[str, dict[str, str]] = {
    "company": {"信用代码": "credit_code", "社会信用代码": "credit_code", "板块": "district",
                "所在区": "district", "产业": "industry", "行业": "industry", "营收": "revenue",
                "研发投入": "rd_expense", "员工人数": "employees", "成立时间": "founded_on",
                "企业规模": "enterprise_size"},
    "talent": {"出生年月日": "birth_date", "单位": "employer", "人才类别": "talent_programmes",
               "角色": "role", "板块": "district", "持股比例": "equity_share"},
}
#: Spreadsheets and tables are screened in bulk, not checked one by one.
TABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".tsv", ".jsonl", ".ods")
USE_SCREEN = ("是表格文件：批量筛查请用 policycalc screen 表格 -o 结果.xlsx；"
              "自查一家单位或一个人请用 YAML 档案（policycalc init company 档案.yaml 生成模板，"
              "或 policycalc ask 逐项问答）")


def accepted_keys(kind: str) -> dict[str, str]:
    """Every key a profile of ``kind`` may use -> the field it fills in."""
    keys = {"name": "name", **{alias: "name" for alias in NAME_KEYS[kind]}}
    for name, spec in FIELDS[kind].items():
        if name in DERIVED_FIELDS:
            continue
        keys[name] = name
        keys[spec.label] = name
        short = spec.label.split("（")[0]
        keys.setdefault(short, name)
    for alias, name in KEY_ALIASES.get(kind, {}).items():
        keys.setdefault(alias, name)
    return keys


def _kind(data: dict[str, Any]) -> tuple[str | None, Any]:
    for key in KIND_KEYS:
        if key in data:
            raw = data[key]
            word = raw.strip() if isinstance(raw, str) else raw
            return key, KIND_VALUES.get(word, raw) if isinstance(word, str) else raw
    return None, None


def readable(data: dict[str, Any], doc: Document) -> tuple[dict[str, Any], Document]:
    """``data`` with its keys as field names and its values converted like cells; blank
    values are left out (unknown). Raises ``ProfileError`` listing every problem."""
    kind_key, kind = _kind(data)
    out: dict[str, Any] = {} if kind_key is None else {"kind": kind}
    lines: dict[Location, int] = dict(doc.lines)
    if kind_key is not None and kind_key != "kind":
        _move(lines, kind_key, "kind")
    if not isinstance(kind, str) or kind not in PROFILE_MODELS:
        rest = {k: v for k, v in data.items() if k != kind_key}
        return {**out, **rest}, Document({**out, **rest}, lines, doc.source)
    keys = accepted_keys(kind)
    specs = FIELDS[kind]
    problems: list[Problem] = []
    written: dict[str, str] = {}
    for key, raw in data.items():
        if key == kind_key:
            continue
        name = keys.get(key.strip())
        if name is None:
            hint = did_you_mean(key, keys) or did_you_mean(key, [k for k in keys if k.isascii()])
            kinds = "企业/机构" if kind == "company" else "人才"
            hint = hint or f"；可用的键见 policycalc init {kind} 生成的模板"
            problems.append(doc.problem(f"未知的键 {key}（不是{kinds}档案的字段）{hint}", [key]))
            continue
        if name in written:
            problems.append(doc.problem(f"{key} 与 {written[name]} 是同一项，只能写一次", [key]))
            continue
        written[name] = key
        if key != name:
            _move(lines, key, name)
        if is_blank(raw):
            continue
        if name == "name":
            out[name] = raw.strip() if isinstance(raw, str) else raw
            continue
        spec = specs[name]
        if raw is NONE:  # already read as "known: none" (an interview answer, a parsed value)
            out[name] = raw
            continue
        try:
            value = convert(spec, raw)
        except ValueError as error:
            problems.append(doc.problem(f"（{spec.label}）{error}", [key]))
            continue
        if spec.type == "enum" and value is not NONE and value not in spec.choices:
            # Reported here with the other problems, rather than alone after them.
            problems.append(doc.problem(
                f"（{spec.label}）取值 {value!r} 无效；允许的值：{'、'.join(spec.choices)}"
                f"{did_you_mean(str(value), spec.choices)}", [key]))
            continue
        out[name] = value
    if problems:
        raise ProfileError(problems)
    return out, Document(out, lines, doc.source)


def _move(lines: dict[Location, int], old: str, new: str) -> None:
    for path in [p for p in lines if p and p[0] == old]:
        lines[(new, *path[1:])] = lines.pop(path)


def parse_profile(data: Any, doc: Document | None = None, *, json_types: bool = False) -> AnyProfile:
    """Validate a profile written by hand (Chinese keys and cell-like values accepted);
    with ``json_types`` the strict JSON contract of ``models.parse_profile``."""
    if doc is None:
        doc = Document(data, {}, "")
    if not json_types and isinstance(data, dict):
        data, doc = readable(data, doc)
    return models.parse_profile(data, doc, json_types=json_types)


def load_profile(path: str | Path) -> AnyProfile:
    """Read a company or talent profile from a YAML or JSON file."""
    if not isinstance(path, (str, os.PathLike)):
        raise ProfileError(f"load_profile 需要文件路径（文字或 Path），实际为 {type(path).__name__}；"
                           "已读出的数据请用 parse_profile")
    file = Path(path)
    if file.suffix.lower() in TABLE_SUFFIXES or _is_zip(file):
        raise ProfileError([Problem(f"{file.name} {USE_SCREEN}", str(file))])
    try:
        doc = read_file(file)
    except ValueError as err:
        raise ProfileError([err.args[0]]) from None
    if isinstance(doc.data, list):
        raise ProfileError([Problem("文件是一个列表，而一份档案是一个键值映射（kind: company，name: …）；"
                                    "多名申请人请放在表格里用 policycalc screen 批量筛查", str(file))])
    return parse_profile(doc.data, doc)


def _is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            return stream.read(4) == b"PK\x03\x04"
    except OSError:
        return False


__all__ = ["accepted_keys", "load_profile", "parse_profile", "readable"]
