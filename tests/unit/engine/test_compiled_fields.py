"""The generated fills (gql/engine/compiled_fields.py) answer exactly as graphql-core's own execution.

Leaves are where the fill takes shortcuts: each field below is given values of the wrong type, out
of range, null and of mixin enums at run time, and the level-first schema must give the same data
and errors as graphql-core's executor, shortcut taken or not.
"""

from __future__ import annotations

import asyncio
import enum
from typing import Any, NamedTuple

import pytest
import strawberry
from graphql import GraphQLEnumType

from adapters.strawberry import graphql_schema_of
from gql.engine import compiled_fields, compiled_objects
from gql.engine.compiled_fields import enum_names
from gql.engine.execution import LevelFirstExecutor
from gql.engine.row_views import EVERY_ROW_FIELDS, RowFields


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
        graphql_type = graphql_schema_of(schema).type_map[name]
        assert isinstance(graphql_type, GraphQLEnumType)
        found = enum_names(graphql_type)
        assert found is not None
        assert found[0] is python
        assert found[1] == {member: member.name for member in python}


# Objects and lists of objects: the fill checks and queues a value of a known class in line and
# hands anything else to the walk's completion. Each case gives every holder's fields the same
# value; the second holder and a second run make the class known.


@strawberry.interface
class Thing:
    name: str


@strawberry.type
class Box(Thing):
    pass


@strawberry.type
class Other(Thing):
    pass


@strawberry.interface
class Solo:
    alone: bool


@strawberry.type
class Lonely(Solo):
    name: str


class _Snapshot(NamedTuple):
    name: str
    alone: bool = True


BOX_VIEWS = RowFields(Box, {"name": "name"})
LONELY_VIEWS = RowFields(Lonely, {"name": "name", "alone": "alone"})
EVERY_ROW_FIELDS.remove(BOX_VIEWS)
EVERY_ROW_FIELDS.remove(LONELY_VIEWS)


async def _later(value: Any) -> Any:
    await asyncio.sleep(0)
    return value


def _made(spec: Any) -> Any:
    """A case's value, with fresh coroutines for `("later", value)`."""
    if isinstance(spec, tuple) and spec and spec[0] == "later":
        return _later(_made(spec[1]))
    if isinstance(spec, list):
        return [_made(item) for item in spec]
    if spec == "cast":
        return strawberry.cast(Other, Box(name="cast"))
    if spec == "view":
        return BOX_VIEWS(_Snapshot("view"))
    if spec == "lonely":
        return LONELY_VIEWS(_Snapshot("lonely"))
    return spec


_SPEC: dict[str, Any] = {}
"""The running case (the resolvers read it)."""


@strawberry.type
class Holder:
    attr_box: Box | None

    @strawberry.field
    def box(self) -> Box | None:
        return _made(_SPEC.get("box", Box(name="b")))  # type: ignore[no-any-return]

    @strawberry.field
    def must(self) -> Box:
        return _made(_SPEC.get("must", Box(name="m")))  # type: ignore[no-any-return]

    @strawberry.field
    def boxes(self) -> list[Box]:
        return _made(_SPEC.get("boxes", [Box(name="1"), Box(name="2")]))  # type: ignore[no-any-return]

    @strawberry.field
    def maybe_boxes(self) -> list[Box | None] | None:
        return _made(_SPEC.get("maybe", [Box(name="3"), None]))  # type: ignore[no-any-return]


def _holders_schema(executor: type[Any] | None) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def holders(self) -> list[Holder]:
            attr = _made(_SPEC.get("attr", Box(name="a")))
            return [Holder(attr_box=attr), Holder(attr_box=attr)]

    return strawberry.Schema(query=Query, types=[Other, Lonely], execution_context_class=executor)


HOLDERS = """{ holders {
  box { name } must { name } boxes { name } maybeBoxes { name } attrBox { name }
  again: box { __typename ... on Thing { name } }
} }"""

OBJECT_CASES: list[dict[str, Any]] = [
    {},
    {"box": None, "attr": None, "maybe": None},
    {"must": None},
    {"box": Other(name="o")},
    {"attr": Other(name="o")},
    {"box": "cast", "attr": "cast"},
    {"box": ("later", Box(name="l")), "must": ("later", Box(name="l"))},
    {"boxes": [Box(name="1"), ("later", Box(name="2"))], "maybe": [("later", None), Box(name="4")]},
    {"boxes": [Box(name="1"), None]},
    {"boxes": (Box(name="t"),), "maybe": "not a list"},
    {"boxes": [Other(name="o")]},
    {"box": 3},
    {"box": "view", "must": "view", "boxes": ["view", "view"], "maybe": ["view", None], "attr": "view"},
    {"box": "lonely"},
    {"boxes": ["view", "lonely"], "attr": "lonely"},
]


@pytest.mark.parametrize("spec", OBJECT_CASES)
def test_objects_and_lists_answer_as_graphql_core_does(spec: dict[str, Any]) -> None:
    _SPEC.clear()
    _SPEC.update(spec)
    for _ in range(2):
        fast = asyncio.run(_holders_schema(LevelFirstExecutor).execute(HOLDERS))
        reference = asyncio.run(_holders_schema(None).execute(HOLDERS))
        assert fast.data == reference.data
        assert sorted((e.message, str(e.path)) for e in fast.errors or []) == sorted(
            (e.message, str(e.path)) for e in reference.errors or []
        )
    assert Box in compiled_objects.NEVER_AWAITABLE, "the fill's in-line object path was taken"


def test_a_view_class_is_trusted_only_once_its_type_check_has_passed() -> None:
    _SPEC.clear()
    _SPEC.update({"box": "view", "must": "lonely"})
    for _ in range(2):
        assert asyncio.run(_holders_schema(LevelFirstExecutor).execute(HOLDERS)).errors
    trusted = {t.name: classes for t, classes in compiled_objects.TRUSTED.items()}
    assert BOX_VIEWS.view_class in trusted["Box"]
    assert LONELY_VIEWS.view_class not in trusted["Box"]
