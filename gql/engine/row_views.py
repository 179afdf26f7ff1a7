"""Strawberry objects over row snapshots whose fields are computed when they are read.

A `RowFields` is a type's `from_row` written once, as a map from each of its dataclass fields to
the row attribute it copies (a string), a computation over named attributes (`computed`) or a
function of the row. Called on a row snapshot (a named tuple, services/row_snapshots.py:
immutable, read for this request) it returns a *view*: an instance of a read-only subclass of the
type whose fields are properties over the snapshot. Called on anything else (a mapped instance in
a mutation, which a flush could change under a lazy view) it builds the dataclass eagerly from
the same map.

Invariants: a view is an instance of its type, so strawberry's `is_type_of` (`isinstance`) and
resolvers reading `self.…` behave the same; a field read twice is computed twice (nothing in the
read path mutates what it reads); tests/integration/engine/test_row_views.py compares every field
of every view with the eager object of the same row. The map also says what each field reads, so
a list can select only the columns its document needs (`columns`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import inspect

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Computed:
    """A field computed from the named row attributes alone: `compute(*their values)`."""

    compute: Callable[..., Any]
    columns: tuple[str, ...]


def computed(compute: Callable[..., Any], *columns: str) -> Computed:
    """The field `compute(row.<column>, …)`; what it reads is what it is given (`RowFields.columns`)."""
    return Computed(compute, columns)


# A field's source: the row attribute it copies, a computation over named attributes, or any
# function of the row (which then needs its `reads` for `RowFields.columns`).
Source = str | Computed | Callable[[Any], Any]

_ROW = "_view_row"  # the slot holding a view's snapshot (not "_row": Product has a field by that name)

# Every `RowFields` made, so the equivalence test can see it has covered them all.
EVERY_ROW_FIELDS: list[RowFields[Any]] = []

VIEW_CLASSES: set[type] = set()
"""Every view class: read-only (no attribute can be set or deleted on a view), so no view can
carry a `strawberry.cast` mark, and an `is_type_of` that only tests its class answers the same
for every view of a class (gql/engine/compiled_objects.py trusts them once checked)."""


def _read_only(self: Any, name: str, value: Any = None) -> None:
    raise AttributeError(f"{type(self).__name__} is a read-only view of a row: {name!r} cannot be changed")


class RowFields(Generic[T]):
    """`from_row` of a strawberry type, lazy over snapshots and eager otherwise (module docstring)."""

    def __init__(
        self,
        cls: type[T],
        sources: Mapping[str, Source],
        reads: Mapping[str, tuple[str, ...]] | None = None,
        *,
        entity: type[Any] | None = None,
    ) -> None:
        """`sources`: each dataclass field's row attribute, or the function of the row computing it.

        `entity`: the mapped class the rows are of. With it, a field named as one of its columns
        copies that column unless `sources` says otherwise, and every attribute named in `sources`
        must be one of its columns. Without it, `sources` names every field.

        `reads`: the row attributes read by a field computed by a function, or by a resolver of the
        type (by its Python name). With them `columns` can tell a page which columns the document
        needs; a field whose reads are not given needs every column.
        """
        wanted = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
        if entity is not None:
            mapped = {attr.key for attr in inspect(entity).column_attrs}
            named = {c for source in sources.values() for c in _columns_named(source)}
            if named - mapped:
                raise TypeError(
                    f"{cls.__name__}: {sorted(named - mapped)} are not columns of {entity.__name__}"
                )
            sources = {**{name: name for name in sorted(wanted & mapped)}, **sources}
        if set(sources) != wanted:
            raise TypeError(
                f"{cls.__name__}: fields without a source {sorted(wanted - set(sources))}, "
                f"sources without a field {sorted(set(sources) - wanted)}"
            )
        self.cls = cls
        self.entity = entity
        """The mapped class the rows are of, when given."""
        self._copied = {name: source for name, source in sources.items() if isinstance(source, str)}
        self._computed = {name: source for name, source in sources.items() if isinstance(source, Computed)}
        self._reads: dict[str, frozenset[str]] = {
            name: frozenset((source,) if isinstance(source, str) else source.columns)
            for name, source in sources.items()
            if isinstance(source, (str, Computed))
        }
        self._reads.update((name, frozenset(columns)) for name, columns in (reads or {}).items())
        functions = {name: _function(source) for name, source in sources.items()}
        self._getters = list(functions.items())
        namespace: dict[str, Any] = {
            "__slots__": (_ROW,),
            "__doc__": f"{cls.__name__} over a row snapshot; fields computed when read.",
            "__module__": cls.__module__,
            "__setattr__": _read_only,
            "__delattr__": _read_only,
        }
        for name, source in sources.items():
            namespace[name] = property(
                attrgetter(f"{_ROW}.{source}") if isinstance(source, str) else _derived(functions[name])
            )
        self.view_class = cast(type[T], type(f"{cls.__name__}View", (cls,), namespace))
        VIEW_CLASSES.add(self.view_class)
        self._new = object.__new__
        self.set_row: Callable[[T, Any], None] = getattr(self.view_class, _ROW).__set__
        """`set_row(view, row)` on a bare `object.__new__(view_class)`: how a view is made."""
        EVERY_ROW_FIELDS.append(self)

    def __call__(self, row: Any) -> T:
        """The object of `row`: a view over a snapshot, else the eagerly built dataclass."""
        if isinstance(row, tuple):
            view: T = self._new(self.view_class)
            self.set_row(view, row)
            return view
        return self.eager(row)

    def columns(self, names: Iterable[str]) -> frozenset[str] | None:
        """The row attributes the fields and resolvers `names` (Python names) read; None when one
        of them does not say (the caller then reads every column)."""
        needed: set[str] = set()
        for name in names:
            found = self._reads.get(name)
            if found is None:
                return None
            needed |= found
        return frozenset(needed)

    def column_of(self, name: str) -> str | None:
        """The row attribute the field or private attribute `name` copies as it is; None when it
        is computed (or `name` is not one of the type's)."""
        return self._copied.get(name)

    def computed_of(self, name: str) -> Computed | None:
        """The computation of the field `name` when it is declared with `computed`."""
        return self._computed.get(name)

    def eager(self, row: Any) -> T:
        """The dataclass with every field computed now."""
        return self.cls(**{name: get(row) for name, get in self._getters})


_row_of = attrgetter(_ROW)


def _columns_named(source: Source) -> tuple[str, ...]:
    """The row attributes a source names itself (a function's are not known)."""
    if isinstance(source, str):
        return (source,)
    return source.columns if isinstance(source, Computed) else ()


def _function(source: Source) -> Callable[[Any], Any]:
    """The source as a function of the row."""
    if isinstance(source, str):
        return attrgetter(source)
    if isinstance(source, Computed):
        compute, get = source.compute, attrgetter(*source.columns)
        if len(source.columns) == 1:
            return lambda row: compute(get(row))
        return lambda row: compute(*get(row))
    return source


def _derived(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def read(view: Any) -> Any:
        return compute(_row_of(view))

    return read
