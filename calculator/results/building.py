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


# The slots every pydantic model instance has, set directly: ``complete`` runs for every
# reason of every report, and the generic ``object.__setattr__`` lookup is half its cost.
_SLOTS = BaseModel.__dict__
_set_dict = _SLOTS["__dict__"].__set__
_set_fields = _SLOTS["__pydantic_fields_set__"].__set__
_set_extra = _SLOTS["__pydantic_extra__"].__set__
_set_private = _SLOTS["__pydantic_private__"].__set__
_new = object.__new__


def _instance(cls: type[M], data: dict[str, Any], given: set[str]) -> M:
    obj: M = _new(cls)
    _set_dict(obj, data)
    _set_fields(obj, given)
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def complete(cls: type[M], data: dict[str, Any]) -> M:
    """``built`` for a dict holding every field of ``cls``; the instance takes the dict."""
    return _instance(cls, data, set(data))


def built(cls: type[M], **values: Any) -> M:
    """An instance of ``cls`` holding ``values`` as they are; missing fields get defaults."""
    plain, factories = _defaults(cls)
    data = {**plain, **values}
    for name, factory in factories.items():
        if name not in data:
            data[name] = factory()
    return _instance(cls, data, set(values))
