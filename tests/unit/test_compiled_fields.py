"""The generated fills (gql/compiled_fields.py) answer exactly as graphql-core's own execution.

Leaves are where the fill takes shortcuts: each field below is given values of the wrong type, out
of range, null and of mixin enums at run time, and the level-first schema must give the same data
and errors as graphql-core's executor, shortcut taken or not.
"""

from __future__ import annotations

import asyncio
import enum
from typing import Any

import pytest
import strawberry
from graphql import GraphQLEnumType

from gql import compiled_fields
from gql.compiled_fields import enum_names
from gql.execution import LevelFirstExecutor


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.enum
class Size(enum.StrEnum):
    S = "s"
    M = "m"


@strawberry.type
class Leaves:
    text: str | None
    ident: strawberry.ID | None
    flag: bool | None
    count: int | None
    ratio: float | None
    colour: Colour | None
    size: Size | None
    required: str


VALUES: list[dict[str, Any]] = [
    {"text": "a", "ident": "7", "flag": True, "count": 2**31 - 1, "ratio": 0.5, "colour": Colour.RED},
    {"text": "", "ident": 7, "flag": 0, "count": -(2**31), "ratio": 2, "colour": Colour.BLUE},
    {"text": 1.5, "ident": None, "flag": 1.0, "count": True, "ratio": None, "colour": None},
    {"text": True, "count": 2.0, "size": Size.M, "colour": "red"},
    {"text": 12, "size": "m"},
    {"count": 2**31},
    {"count": "3"},
    {"flag": "yes"},
    {"colour": "green"},
    {"required": None},
]


def _rows(values: dict[str, Any]) -> list[Leaves]:
    names = ("text", "ident", "flag", "count", "ratio", "colour", "size")
    defaults: dict[str, Any] = dict.fromkeys(names) | {"required": "r"}
    row = Leaves(**defaults)
    for name, value in values.items():
        object.__setattr__(row, name, value)
    return [row, Leaves(**defaults)]


def _schema(rows: list[Leaves], executor: type[Any] | None) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def leaves(self) -> list[Leaves]:
            return rows

    return strawberry.Schema(query=Query, execution_context_class=executor)


QUERY = "{ leaves { text ident flag count ratio colour size required again: text } }"


@pytest.mark.parametrize("values", VALUES)
def test_leaves_answer_as_graphql_core_does(values: dict[str, Any]) -> None:
    rows = _rows(values)
    fast = asyncio.run(_schema(rows, LevelFirstExecutor).execute(QUERY))
    reference = asyncio.run(_schema(rows, None).execute(QUERY))
    assert fast.data == reference.data
    assert [(e.message, e.path) for e in fast.errors or []] == [
        (e.message, e.path) for e in reference.errors or []
    ]
    assert any(shape[0].name == "Leaves" for shape in compiled_fields._FILLS), "the fill was used"


def test_enum_names_map_each_member_to_its_graphql_name() -> None:
    schema = _schema([], None)
    for name, python in (("Colour", Colour), ("Size", Size)):
        graphql_type = schema._schema.type_map[name]
        assert isinstance(graphql_type, GraphQLEnumType)
        found = enum_names(graphql_type)
        assert found is not None
        assert found[0] is python
        assert found[1] == {member: member.name for member in python}
