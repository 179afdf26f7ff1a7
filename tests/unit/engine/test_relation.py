"""`Relation` (gql/engine/loaded.py): a relation field's objects from the operation's narrowed loader.

`now` is what the generated fills ask before calling a relation's resolver: it must give exactly
what the resolver would give when the row is loaded, and `MISSING` (so the resolver runs) when it
is not. The API suite checks the two paths against graphql-core on real documents
(tests/api/engine/test_narrowed_relations.py and the executors' differential check).
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any, NamedTuple, cast

import pytest
import strawberry
from strawberry.types import Info

from gql.engine.loaded import MISSING, Relation
from gql.engine.row_views import EVERY_ROW_FIELDS, RowFields
from loaders.base import RowLoader


@dataclasses.dataclass
class _Shop:
    name: str


class _ShopRow(NamedTuple):
    id: int
    name: str


SHOPS = RowFields(_Shop, {"name": "name"})
EVERY_ROW_FIELDS.remove(SHOPS)


async def _nothing(keys: Any) -> list[Any]:
    raise AssertionError("no batch is loaded here")


def _executor(values: dict[int, Any] | None) -> Any:
    """An executor's narrowed loaders (a DataLoader needs the running event loop: tests are async)."""
    loaders = {}
    if values is not None:
        loader: RowLoader[int, Any] = RowLoader(_nothing)
        loader.values.update(values)
        loaders["shop"] = loader
    return SimpleNamespace(narrowed_loaders=loaders)


async def test_now_gives_the_view_of_a_loaded_row_and_missing_otherwise() -> None:
    one: Relation[_Shop | None] = Relation("shop", SHOPS)
    executor = _executor({1: _ShopRow(1, "north"), 2: None})
    view = one.now(executor, 1)
    assert isinstance(view, SHOPS.view_class)
    assert view.name == "north"
    assert one.now(executor, 2) is None  # loaded: no such row
    assert one.now(executor, None) is None  # no key: no row
    assert one.now(executor, 3) is MISSING  # not loaded yet
    assert one.now(_executor(None), 1) is MISSING  # the operation has no such loader yet


async def test_a_required_relation_refuses_a_missing_row_and_many_makes_lists() -> None:
    required: Relation[_Shop] = Relation("shop", SHOPS, required=True)
    with pytest.raises(LookupError):
        required.now(_executor({2: None}), 2)
    many: Relation[list[_Shop]] = Relation("shop", SHOPS, many=True)
    shops = many.now(_executor({7: [_ShopRow(1, "a"), _ShopRow(2, "b")], 8: []}), 7)
    assert [s.name for s in shops] == ["a", "b"]
    assert many.now(_executor({8: []}), 8) == []


def _written_out(relation: Relation[Any]) -> Any:
    """`relation.now` as a fill writes it out (`now_lines`), as a function of (executor, key)."""
    namespace: dict[str, Any] = {"MISSING": MISSING, "_new": object.__new__}
    lines = relation.now_lines(namespace, 0, "key", "    ")
    source = (
        "def now(executor, key):\n    nl = executor.narrowed_loaders\n"
        + "\n".join(lines)
        + "\n    return r\n"
    )
    exec(compile(source, "<now>", "exec"), namespace)
    return namespace["now"]


async def test_the_written_out_now_answers_as_now() -> None:
    one: Relation[_Shop | None] = Relation("shop", SHOPS)
    executor = _executor({1: _ShopRow(1, "north"), 2: None})
    for key in (1, 2, None, 3):
        written, called = _written_out(one)(executor, key), one.now(executor, key)
        assert type(written) is type(called)
        assert written is called or written.name == called.name
    assert _written_out(one)(_executor(None), 1) is MISSING
    with pytest.raises(LookupError):
        _written_out(Relation("shop", SHOPS, required=True))(_executor({2: None}), 2)
    many: Relation[list[_Shop]] = Relation("shop", SHOPS, many=True)
    shops = _written_out(many)(_executor({7: [_ShopRow(1, "a"), _ShopRow(2, "b")], 8: []}), 7)
    assert [(type(s), s.name) for s in shops] == [(SHOPS.view_class, "a"), (SHOPS.view_class, "b")]
    assert _written_out(many)(_executor({8: []}), 8) == []


def test_resolve_by_makes_a_marked_resolver_typed_by_the_field() -> None:
    one: Relation[_Shop | None] = Relation("shop", SHOPS)
    resolver = one.resolve_by("_shop_id")
    assert resolver.__annotations__ == {"info": Info}  # no return type: the class's annotation
    assert resolver.__relation__ == (one, "_shop_id")  # type: ignore[attr-defined]
    assert resolver(SimpleNamespace(_shop_id=None), cast(Info, None)) is None  # a null key is no row

    @strawberry.type
    class Holder:
        shop: _Shop | None = strawberry.field(resolver=resolver, description="Its shop.")

    field = Holder.__strawberry_definition__.fields[0]  # type: ignore[attr-defined]
    assert (field.python_name, field.description, field.base_resolver.wrapped_func) == (
        "shop",
        "Its shop.",
        resolver,
    )
