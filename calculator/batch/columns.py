"""Spreadsheet columns and cells: which profile field a column holds, and turning one row
of cells into a profile or into the list of what is wrong with it.

A column header may be the field's Chinese label (出生日期), a common alias (姓名) or the
field name (birth_date). Cells arrive as a spreadsheet or CSV gives them: text, numbers,
dates, or nothing; each is converted to the field's type here, and every problem names
the row, the column as the user wrote it, the value and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ..base.errors import did_you_mean
from ..base.validation import error_message
from ..profiles.fields import FIELDS, FieldSpec
from ..profiles.models import (
    DERIVED_FIELDS,
    PROFILE_KIND_LABELS,
    PROFILE_MODELS,
    CompanyProfile,
    TalentProfile,
)
from ..profiles.values import convert, expected_text, is_blank, shown

KIND_COLUMN = "类型"
KIND_VALUES = {"company": "company", "talent": "talent", "企业": "company", "机构": "company",
               "企业/机构": "company", "人才": "talent", "个人": "talent"}
#: Headers people write for the name column besides its label 名称.
NAME_ALIASES = {"company": ("企业名称", "单位名称", "机构名称"), "talent": ("姓名",)}
#: The header a template writes for each kind's name column.
NAME_HEADER = {"company": "企业名称", "talent": "姓名"}
#: The template's marker column: a row with anything in it is the example, never screened.
EXAMPLE_COLUMN = "示例"
EXAMPLE_MARK = "示例行，筛查时跳过"


def input_fields(kind: str) -> dict[str, FieldSpec]:
    """The fields a row may fill in: every profile field except derived ones."""
    return {name: spec for name, spec in FIELDS[kind].items() if name not in DERIVED_FIELDS}


def header_of(kind: str, name: str) -> str:
    """The header a template writes for a field."""
    if name == "name":
        return NAME_HEADER[kind]
    return FIELDS[kind][name].label


def _headers(kind: str) -> dict[str, str]:
    """Every accepted header -> field name, for one kind."""
    accepted = {"name": "name", "名称": "name"}
    accepted.update({alias: "name" for alias in NAME_ALIASES[kind]})
    for name, spec in input_fields(kind).items():
        accepted[name] = name
        accepted[spec.label] = name
    return accepted


@dataclass(frozen=True)
class Columns:
    """What each column of an input holds."""

    #: header as written -> field name, per profile kind
    fields: dict[str, dict[str, str]]
    #: the header of the kind column, when there is one
    kind_column: str | None
    #: the one kind every row has when there is no kind column
    kind: str | None
    #: headers that are no profile field, with a hint each
    unknown: dict[str, str]
    #: the header of the template's example marker column, when there is one
    example_column: str | None = None


def header_score(kind: str | None = None) -> Callable[[Sequence[str]], int]:
    """How many of a row's cells are column names a profile knows: what tells a header
    row from the title rows above it."""
    known = {KIND_COLUMN, "kind", EXAMPLE_COLUMN}
    for k in [kind] if kind else list(PROFILE_MODELS):
        known.update(_headers(k))

    def score(texts: Sequence[str]) -> int:
        return sum(1 for text in set(texts) if text and text in known)
    return score


def resolve(headers: Sequence[str], kind: str | None = None) -> Columns:
    """Map headers to fields. Without ``kind`` and without a 类型 column, the kind is the
    one whose fields the headers name; ``ValueError`` if that is not clear."""
    clean = [h.strip() for h in headers if h and h.strip()]
    kind_column = next((h for h in clean if h in (KIND_COLUMN, "kind")), None)
    example_column = EXAMPLE_COLUMN if EXAMPLE_COLUMN in clean else None
    kinds = [kind] if kind else list(PROFILE_MODELS)
    accepted = {k: _headers(k) for k in kinds}
    data_headers = [h for h in clean if h not in (kind_column, example_column)]
    if kind is None and kind_column is None:
        scores = {k: sum(h in accepted[k] for h in data_headers) for k in kinds}
        best = max(scores.values())
        fitting = [k for k in kinds if scores[k] == best]
        if len(fitting) != 1:
            raise ValueError("无法从列名判断档案类型（企业/机构 还是 人才）：请增加“类型”列，"
                             "或用 --kind company|talent 指定")
        kind = fitting[0]
        accepted = {kind: accepted[kind]}
    fields = {k: {h: accepted[k][h] for h in data_headers if h in accepted[k]} for k in accepted}
    unknown: dict[str, str] = {}
    for header in data_headers:
        if not any(header in found for found in fields.values()):
            known = [h for k in accepted for h in accepted[k]]
            unknown[header] = did_you_mean(header, known)
    return Columns(fields, kind_column, kind, unknown, example_column)


@dataclass(frozen=True)
class CellError:
    """One thing wrong with one row: the column as written, the cell and what was expected."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行"
        if self.column:
            where += f"，列“{self.column}”"
        if self.value:
            value = self.value if len(self.value) <= 200 else self.value[:199] + "…"
            where += f"，值“{value}”"
        return f"{where}：{self.message}"


AnyProfile = CompanyProfile | TalentProfile


def row_kind(cells: Mapping[str, Any], columns: Columns) -> str:
    """The row's profile kind; ``ValueError`` when its kind cell is not one."""
    if columns.kind_column is None:
        assert columns.kind is not None
        return columns.kind
    raw = shown(cells.get(columns.kind_column)).strip()
    if raw in KIND_VALUES:
        # With --kind, ``resolve`` mapped only that kind's columns.
        if KIND_VALUES[raw] not in columns.fields:
            raise ValueError(f"类型“{raw}”与指定的档案类型“{PROFILE_KIND_LABELS[str(columns.kind)]}”不一致")
        return KIND_VALUES[raw]
    allowed = "、".join(sorted(KIND_VALUES))
    raise ValueError(f"类型应为以下之一：{allowed}{did_you_mean(raw, KIND_VALUES)}")


def parse_row(number: int, cells: Mapping[str, Any],
              columns: Columns) -> AnyProfile | list[CellError]:
    """The row's profile, or every problem with it."""
    if all(is_blank(v) for v in cells.values()):
        return [CellError(number, "", "", "空行：没有任何数据")]
    try:
        kind = row_kind(cells, columns)
    except ValueError as err:
        column = columns.kind_column or ""
        return [CellError(number, column, shown(cells.get(column)), str(err))]
    header_of_field = {field: header for header, field in columns.fields[kind].items()}
    specs = input_fields(kind)
    data: dict[str, Any] = {"kind": kind}
    errors: list[CellError] = []
    for header, field in columns.fields[kind].items():
        raw = cells.get(header)
        if is_blank(raw):
            continue
        if field == "name":
            data["name"] = shown(raw).strip()
            continue
        try:
            data[field] = convert(specs[field], raw)
        except ValueError as err:
            errors.append(CellError(number, header, shown(raw),
                                    f"{err}；应填：{expected_text(specs[field])}"))
    model = PROFILE_MODELS[kind]
    try:
        profile = model.model_validate(data)
    except ValidationError as err:
        labels = {name: info.title or name for name, info in model.model_fields.items()}
        for item in err.errors():
            field = str(item["loc"][0]) if item["loc"] else ""
            header = header_of_field.get(field, header_of(kind, field) if field in specs else field)
            message = error_message(item, model, list(item["loc"]), labels)
            errors.append(CellError(number, header, shown(cells.get(header)), message))
    if errors:
        return errors
    return profile  # type: ignore[return-value]


def identity(profile: AnyProfile) -> tuple[str, str]:
    """What makes two rows the same applicant, and how to say so."""
    if isinstance(profile, CompanyProfile):
        if profile.credit_code:
            return f"company:{profile.credit_code}", f"统一社会信用代码 {profile.credit_code}"
        return f"company-name:{profile.name}", f"名称 {profile.name}"
    born = profile.birth_date.isoformat() if profile.birth_date else ""
    parts = [f"姓名 {profile.name}"]
    if born:
        parts.append(f"出生日期 {born}")
    if profile.employer:
        parts.append(f"工作单位 {profile.employer}")
    return f"talent:{profile.name}\0{born}\0{profile.employer or ''}", "、".join(parts)

