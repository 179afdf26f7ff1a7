"""`RowFields`: one map from fields to row sources, a lazy view over snapshots and an eager object
otherwise (gql/row_views.py); tests/integration/test_row_views.py compares them on real rows."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from gql.row_views import EVERY_ROW_FIELDS, RowFields


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
