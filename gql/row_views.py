"""Strawberry objects over row snapshots whose fields are computed when they are read.

A page of 50 orders turns ~550 rows (orders, stores, customers, lines, SKUs, products) into
strawberry objects. `from_row` used to compute every field of each — ~40 for an order, ~20 for
a store, `Money` and nested values included — while the document reads three or four of them:
about 13 % of the request's CPU.

A `RowFields` is a type's `from_row` written once, as a map from each of its dataclass fields
to the row attribute it copies (a string) or the function of the row that computes it. Called
on a row snapshot (a named tuple, services/row_snapshots.py: immutable, read for this request)
it returns a *view*: an instance of a subclass of the type whose fields are properties over the
snapshot, so a field costs something only when it is read. Called on anything else — a mapped
instance in a mutation, which a later flush or refresh could change under a lazy view — it
builds the dataclass eagerly from the same map, exactly as `from_row` always did.

A view is an instance of its type, so strawberry's `is_type_of` (`isinstance`) and resolvers
reading `self.…` behave the same. A field read twice is computed twice: a list field gives two
equal lists (nothing in the read path mutates what it reads). tests/integration/test_row_views.py
compares every field of every view with the eager object of the same row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")

# A field's source: the row attribute it copies, or the function of the row that computes it.
Source = str | Callable[[Any], Any]

_ROW = "_view_row"  # the slot holding a view's snapshot (not "_row": Product has a field by that name)

# Every `RowFields` made, so the equivalence test can see it has covered them all.
EVERY_ROW_FIELDS: list[RowFields[Any]] = []


class RowFields(Generic[T]):
    """`from_row` of a strawberry type, lazy over snapshots and eager otherwise (module docstring)."""

    def __init__(self, cls: type[T], sources: Mapping[str, Source]) -> None:
        wanted = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
        if set(sources) != wanted:
            raise TypeError(
                f"{cls.__name__}: fields without a source {sorted(wanted - set(sources))}, "
                f"sources without a field {sorted(set(sources) - wanted)}"
            )
        self.cls = cls
        self._getters = [
            (name, attrgetter(source) if isinstance(source, str) else source)
            for name, source in sources.items()
        ]
        namespace: dict[str, Any] = {
            "__slots__": (_ROW,),
            "__doc__": f"{cls.__name__} over a row snapshot; fields computed when read (gql/row_views.py).",
            "__module__": cls.__module__,
        }
        for name, source in sources.items():
            namespace[name] = property(
                attrgetter(f"{_ROW}.{source}") if isinstance(source, str) else _derived(source)
            )
        self.view_class = cast(type[T], type(f"{cls.__name__}View", (cls,), namespace))
        self._new = object.__new__
        self._set_row = getattr(self.view_class, _ROW).__set__
        EVERY_ROW_FIELDS.append(self)

    def __call__(self, row: Any) -> T:
        """The object of `row`: a view over a snapshot, else the eagerly built dataclass."""
        if isinstance(row, tuple):
            view: T = self._new(self.view_class)
            self._set_row(view, row)
            return view
        return self.eager(row)

    def eager(self, row: Any) -> T:
        """The dataclass with every field computed now (what `from_row` did before views)."""
        return self.cls(**{name: get(row) for name, get in self._getters})


_row_of = attrgetter(_ROW)


def _derived(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def read(view: Any) -> Any:
        return compute(_row_of(view))

    return read
