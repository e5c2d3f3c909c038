"""The input template for batch screening: the expected columns, one example row, a
drop-down of allowed values for every choice column, and a sheet explaining each column."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from ..base.errors import ProfileError
from ..profiles.models import PROFILE_KIND_LABELS, credit_code_check_char
from ..profiles.values import expected_text
from .columns import EXAMPLE_COLUMN, EXAMPLE_MARK, header_of, input_fields
from .tabular import table_format
from .writer import Writer
from .xlsxwrite import column_letter

_CODE = "91320594MA1P2K8L3"
EXAMPLES: dict[str, dict[str, Any]] = {
    "company": {
        "name": "苏州示例智能科技有限公司", "credit_code": _CODE + credit_code_check_char(_CODE),
        "district": "苏州工业园区", "industry": "电子信息", "org_type": "企业",
        "founded_on": date(2016, 5, 18), "revenue": "2.5亿", "rd_expense": "3200万",
        "employees": 320, "qualifications": "高新技术企业、专精特新", "listing_status": "未上市",
        "foreign_invested": "否", "enterprise_size": "中型", "owns_ip": "是",
    },
    "talent": {
        "name": "张三", "birth_date": date(1991, 3, 5), "education": "博士", "nationality": "中国",
        "title": "副高级", "talent_programmes": "江苏省双创计划", "role": "个人",
        "employer": "苏州示例智能科技有限公司", "arrived_suzhou_on": date(2021, 7, 1),
        "startup": "否", "industry": "电子信息", "district": "苏州工业园区",
        "overseas_returnee": "是",
    },
}
#: Excel refuses a drop-down list longer than this many characters.
_MAX_LIST = 255


def write_template(kind: str, path: Path, *, force: bool = False) -> Path:
    """Write the template for ``kind`` (company or talent) as XLSX or CSV. An existing
    file is replaced only with ``force`` (and then only once the new one is complete)."""
    if kind not in EXAMPLES:
        raise ProfileError(f"档案类型应为 company（企业/机构）或 talent（人才），实际为 {kind!r}")
    fmt = table_format(path)
    if fmt == ".jsonl":
        raise ProfileError(f"{path}：模板只能写成 .xlsx 或 .csv")
    if path.exists() and not force:
        raise ProfileError(f"{path} 已存在，未覆盖（可能是已填写的表格）；确需覆盖请加 --force")
    specs = input_fields(kind)
    names = ["name", *(n for n in specs if n != "name")]
    # The last column marks the example row, which screening skips.
    headers = [*(header_of(kind, n) for n in names), EXAMPLE_COLUMN]
    example = [*(EXAMPLES[kind].get(n) for n in names), EXAMPLE_MARK]
    widths = {h: max(10, min(30, 2 * len(h) + 4)) for h in headers}
    widths[EXAMPLE_COLUMN] = 20
    with Writer(path) as writer:
        writer.start(f"{PROFILE_KIND_LABELS[kind].replace('/', '或')}档案", headers, widths)
        writer.write(example)
        if fmt == ".xlsx":
            _drop_downs(writer, names, kind)
            writer.sheet("填写说明", "help", ("列名", "字段名", "填写要求", "示例"), iter([
                *([header_of(kind, n), n, "必填" if n == "name" else expected_text(specs[n]),
                   EXAMPLES[kind].get(n)] for n in names),
                [EXAMPLE_COLUMN, "", "只有模板的示例行填写（筛查时跳过该行）；申请人的行留空",
                 EXAMPLE_MARK]]),
                {"列名": 24, "字段名": 26, "填写要求": 60, "示例": 30})
    return path


def _drop_downs(writer: Writer, names: list[str], kind: str) -> None:
    specs = input_fields(kind)
    for index, name in enumerate(names, start=1):
        spec = specs.get(name)
        if spec is None or spec.type not in ("enum", "bool"):
            continue
        choices = spec.choices if spec.type == "enum" else ("是", "否")
        if spec.accepts_none:
            choices = (*choices, "无")  # an explicit "none", unlike leaving the cell blank
        formula = ",".join(choices)
        if len(formula) > _MAX_LIST:
            continue
        column = column_letter(index)
        writer.validate(f"{column}2:{column}100000", formula, f"请从下拉列表中选择：{'、'.join(choices)}")
