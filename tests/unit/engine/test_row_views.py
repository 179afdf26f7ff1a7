"""`RowFields`: one map from fields to row sources, a lazy view over snapshots and an eager object
otherwise (gql/engine/row_views.py); tests/integration/engine/test_row_views.py compares them on real rows."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gql.engine.row_views import EVERY_ROW_FIELDS, RowFields, computed


class _Row(tuple[int, int]):
    """A stand-in snapshot: any tuple with the attributes the sources read."""

    @property
    def a(self) -> int:
        return self[0]

    @property
    def b(self) -> int:
        return self[1]


@dataclasses.dataclass
class _Pair:
    left: int
    total: int


def test_a_view_computes_a_field_only_when_it_is_read() -> None:
    computed: list[int] = []

    def total(row: Any) -> int:
        computed.append(1)
        return int(row.a + row.b)

    fields = RowFields(_Pair, {"left": "a", "total": total})
    EVERY_ROW_FIELDS.remove(fields)
    view = fields(_Row((2, 3)))
    assert computed == []
    assert view.left == 2
    assert computed == []
    assert view.total == 5
    assert computed == [1]
    eager = fields.eager(_Namespace(a=2, b=3))
    assert (type(eager), eager.left, eager.total) == (_Pair, 2, 5)


class _Namespace:
    def __init__(self, **values: int) -> None:
        self.__dict__.update(values)


def test_a_map_must_give_every_field_a_source_and_nothing_else() -> None:
    with pytest.raises(TypeError, match=r"fields without a source \['total'\]"):
        RowFields(_Pair, {"left": "a"})
    with pytest.raises(TypeError, match=r"sources without a field \['extra'\]"):
        RowFields(_Pair, {"left": "a", "total": "b", "extra": "a"})


def test_columns_are_the_sources_and_reads_of_the_names_or_none_when_one_is_unknown() -> None:
    fields = RowFields(_Pair, {"left": "a", "total": lambda r: r.a + r.b}, reads={"doubled": ("b",)})
    EVERY_ROW_FIELDS.remove(fields)
    assert fields.columns(["left"]) == frozenset({"a"})
    assert fields.columns(["left", "doubled"]) == frozenset({"a", "b"})
    assert fields.columns([]) == frozenset()
    assert fields.columns(["left", "total"]) is None  # computed, and no reads given for it


def test_a_computed_field_gets_the_named_attributes_and_reads_exactly_them() -> None:
    fields = RowFields(_Pair, {"left": "a", "total": computed(lambda a, b: a + b, "a", "b")})
    EVERY_ROW_FIELDS.remove(fields)
    assert fields(_Row((2, 3))).total == 5
    assert fields.eager(_Namespace(a=2, b=3)).total == 5
    assert fields.columns(["total"]) == frozenset({"a", "b"})


def test_a_view_is_read_only() -> None:
    """Nothing can be set on a view, a `strawberry.cast` mark included (gql/engine/compiled_fields.py
    relies on it to trust a view class's type check)."""
    fields = RowFields(_Pair, {"left": "a", "total": "b"})
    EVERY_ROW_FIELDS.remove(fields)
    view = fields(_Row((2, 3)))
    for name in ("left", "extra", "__as_strawberry_type__"):
        with pytest.raises(AttributeError, match="read-only view"):
            setattr(view, name, 1)
        with pytest.raises(AttributeError):
            delattr(view, name)
    assert (view.left, view.total) == (2, 3)


class _Base(DeclarativeBase):
    pass


class _PairRow(_Base):
    __tablename__ = "pairs"
    id: Mapped[int] = mapped_column(primary_key=True)
    left: Mapped[int]
    a: Mapped[int]
    b: Mapped[int]


def test_with_its_entity_a_map_names_only_what_differs_from_the_columns() -> None:
    fields = RowFields(_Pair, {"total": computed(lambda a, b: a + b, "a", "b")}, entity=_PairRow)
    EVERY_ROW_FIELDS.remove(fields)
    view = fields(_Row((3, 4)))
    assert fields.columns(["left", "total"]) == frozenset({"left", "a", "b"})  # `left` is its column
    eager = fields.eager(SimpleNamespace(left=1, a=3, b=4))
    assert (eager.left, eager.total) == (1, 7)
    assert view.total == 7
    with pytest.raises(TypeError, match=r"\['c'\] are not columns of _PairRow"):
        RowFields(_Pair, {"total": computed(lambda a, c: a + c, "a", "c")}, entity=_PairRow)
    with pytest.raises(TypeError, match="fields without a source"):
        RowFields(_Pair, {"left": "a"}, entity=_PairRow)  # `total` is no column: it needs a source
