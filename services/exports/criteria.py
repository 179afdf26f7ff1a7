"""A list's criteria as JSON, so a job row can hold what the list ran.

`dump` and `load` are inverse for the order filter AST (models/orders/filters.py):
`load(dump(node)) == node` for every node the front ends build. `dump_criteria` and
`load_criteria` are inverse for every list's criteria (the other lists' are flat dataclasses of
enums, ids, times, numbers and text). Enum values are stored by value and times as ISO-8601 UTC;
nothing is re-parsed from user text, so a relative `query:` term (a date) keeps the meaning it
had when the export started.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from enum import Enum
from typing import Any

from models.exports import ExportList
from models.orders import filters as f
from services.exports.lists import CRITERIA_TYPES, ExportCriteria
from services.orders.search import OrderCriteria


def dump_criteria(criteria: ExportCriteria) -> dict[str, Any]:
    if isinstance(criteria, OrderCriteria):
        return {"filter": dump(criteria.filter), "query": dump(criteria.query)}
    return {field.name: _plain(getattr(criteria, field.name)) for field in dataclasses.fields(criteria)}


def load_criteria(kind: ExportList, data: dict[str, Any]) -> ExportCriteria:
    cls = CRITERIA_TYPES[kind]
    if cls is OrderCriteria:
        return OrderCriteria(filter=load(data.get("filter")), query=load(data.get("query")))
    hints = typing.get_type_hints(cls)
    given = {name: _typed(hints[name], value) for name, value in data.items()}
    return cls(**given)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _typed(hint: Any, value: Any) -> Any:
    """`value` as the field typed `hint` holds it: `tuple[X, ...]`, `X | None`, an enum, a time."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin is tuple:
        return tuple(_typed(typing.get_args(hint)[0], v) for v in value)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _typed(inner, value)
    if isinstance(hint, type) and issubclass(hint, Enum | datetime):
        return hint.fromisoformat(value) if issubclass(hint, datetime) else hint(value)
    return value


def dump(node: f.Node | None) -> dict[str, Any] | None:
    if node is None:
        return None
    if isinstance(node, f.AllOf | f.AnyOf):
        kind = "all" if isinstance(node, f.AllOf) else "any"
        return {"op": kind, "children": [dump(c) for c in node.children]}
    if isinstance(node, f.Not):
        return {"op": "not", "child": dump(node.child)}
    if isinstance(node, f.EnumIn):
        return {"op": "enum", "field": node.field.value, "values": sorted(v.value for v in node.values)}
    if isinstance(node, f.IdIn):
        return {"op": "id", "field": node.field.value, "ids": sorted(node.ids)}
    if isinstance(node, f.FlagIs):
        return {"op": "flag", "field": node.field.value, "value": node.value}
    if isinstance(node, f.NameIn):
        return {"op": "name", "field": node.field.value, "names": sorted(node.names)}
    if isinstance(node, f.TextMatch):
        return {"op": "text", "field": node.field.value, "text": node.text}
    if isinstance(node, f.TimeIn):
        return {"op": "time", "field": node.field.value, "start": _iso(node.start), "end": _iso(node.end)}
    return {"op": "amount", "min": node.min, "max": node.max}


def load(data: dict[str, Any] | None) -> f.Node | None:
    if data is None:
        return None
    return _load(data)


def _load(data: dict[str, Any]) -> f.Node:
    op = data["op"]
    if op in ("all", "any"):
        children = tuple(_load(c) for c in data["children"])
        return f.AllOf(children) if op == "all" else f.AnyOf(children)
    if op == "not":
        return f.Not(_load(data["child"]))
    if op == "enum":
        field = f.EnumField(data["field"])
        enum_type = f.ENUM_TYPES[field]
        return f.EnumIn(field, frozenset(enum_type(v) for v in data["values"]))
    if op == "id":
        return f.IdIn(f.IdField(data["field"]), frozenset(int(i) for i in data["ids"]))
    if op == "flag":
        return f.FlagIs(f.FlagField(data["field"]), bool(data["value"]))
    if op == "name":
        return f.NameIn(f.NameField(data["field"]), frozenset(data["names"]))
    if op == "text":
        return f.TextMatch(f.TextField(data["field"]), data["text"])
    if op == "time":
        return f.TimeIn(f.TimeField(data["field"]), _time(data["start"]), _time(data["end"]))
    if op == "amount":
        return f.AmountIn(data["min"], data["max"])
    raise ValueError(f"unknown filter node {op!r}")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
