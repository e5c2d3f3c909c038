"""An explicit "no": the fact is known not to exist (未入选, 无, 不适用), unlike a blank.

A blank field is unknown and makes the conditions that read it *unknown* (待补充信息). A field
answered ``无`` holds ``NONE``: every comparison on it fails, so the clauses that need the
fact are *ineligible*, and nobody is asked again for a fact they have said they lack.
Yes/no fields say no with ``false`` and multiple-choice fields with an empty list; ``NONE``
is how every other optional field says it.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

#: Words that answer "none / not applicable" for a field that is not yes/no.
NO_WORDS: Final = ("无", "没有", "否", "未入选", "不适用", "未获得", "未承担", "未获批")


class Absent:
    """The single value meaning "known: there is none"."""

    _instance: Absent | None = None

    def __new__(cls) -> Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NONE"

    def __str__(self) -> str:
        return "无"

    def __reduce__(self) -> str:
        return "NONE"  # pickled by reference, so worker processes keep the singleton


NONE: Final = Absent()


def is_no_word(value: Any) -> bool:
    return isinstance(value, str) and value.strip() in NO_WORDS


def _absent(value: Any) -> Absent:
    if value is NONE or is_no_word(value):
        return NONE
    raise ValueError("应为“无”")


#: The type to add to an optional field's union: ``Year | NoneKnown | None``.
NoneKnown = Annotated[
    Absent,
    PlainValidator(_absent),
    PlainSerializer(lambda value: "无" if value is NONE else value),
    WithJsonSchema({"type": "string", "enum": list(NO_WORDS),
                    "description": "明确表示没有或不适用（与不填写不同：不填写表示未知）"}),
]
