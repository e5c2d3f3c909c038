"""Building result models from values that are typed already, without validating them again.

A report of 1000 clauses holds some 5000 reasons: pydantic's validation, and even its
``model_construct``, cost more than deciding the clauses. ``built`` fills a model's fields
directly (the missing ones with their defaults), as ``model_construct`` does, in a fraction
of the time. Only for values the calculator made itself; tests read every report back
through validation (``model_validate_json``) to hold it to the models.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

M = TypeVar("M", bound=BaseModel)
_DEFAULTS: dict[type[BaseModel], tuple[dict[str, Any], dict[str, Any]]] = {}


def _defaults(cls: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    found = _DEFAULTS.get(cls)
    if found is None:
        plain = {name: info.default for name, info in cls.model_fields.items()
                 if info.default is not PydanticUndefined and info.default_factory is None}
        factories = {name: info.default_factory for name, info in cls.model_fields.items()
                     if info.default_factory is not None}
        found = _DEFAULTS[cls] = (plain, factories)
    return found


def built(cls: type[M], **values: Any) -> M:
    """An instance of ``cls`` holding ``values`` as they are; missing fields get defaults."""
    plain, factories = _defaults(cls)
    data = {**plain, **values}
    for name, factory in factories.items():
        if name not in data:
            data[name] = factory()
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", data)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj
