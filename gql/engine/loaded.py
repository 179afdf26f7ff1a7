"""Relation fields answered from the request's loaders: now when the row is loaded, else later.

A relation resolver returns the related object(s) at once when the request's narrowed loader
(narrowed.py) already holds the key's row (a list resolver prefetched the level), and otherwise an
awaitable of them, which graphql-core and the walk await with the level while the DataLoader
batches. The answer is the same either way; only the number of event-loop round trips changes.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, Generic, TypeVar, cast

from strawberry.types import Info

from gql.engine.narrowed import narrowed_loader
from gql.engine.row_views import RowFields
from loaders.base import RowLoader

R = TypeVar("R")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

MISSING: Any = object()
"""What `Relation.now` returns when the row is not loaded yet."""


def now_or_later(loader: RowLoader[Any, R], key: Any, convert: Callable[[R], T]) -> T:
    """`convert(row)` now if the loader holds the key's row (filled, or its future resolved), else
    an awaitable of it.

    The return type says `T` because strawberry reads resolver annotations to build the schema;
    at run time graphql-core handles the awaitable case (it checks every resolver result).
    """
    found = loader.values.get(key, MISSING)
    if found is not MISSING:
        return convert(found)
    future = loader.load(key)
    if future.done():
        return convert(future.result())  # raises the batch's exception, exactly as `await` would

    async def later() -> T:
        return convert(await future)

    return cast(T, later())


class Relation(Generic[T]):
    """A relation field's value in one call: the row(s) of `key` in the request's narrowed loader
    `name` (gql/engine/narrowed.py), as objects of `fields`' type.

    The objects are views over snapshot rows, else `RowFields.eager` objects; `many` makes a list
    of them from a list of rows; `required` makes a missing row an error (a foreign key that must
    hold), otherwise it is null; a null key is no row.

    A field declared with `strawberry.field(resolver=relation.resolve_by(attribute))` is marked as
    this relation's, and the level-first walk's fills do what `now(executor, key)` does first
    (written out in them, `now_lines`): with the row loaded (the list prefetched it), the field
    costs no `Info` and no resolver call at all.
    """

    __slots__ = ("_fields", "_many", "_name", "_required", "_set_row", "_view_class")

    def __init__(self, name: str, fields: RowFields[Any], *, many: bool = False, required: bool = False):
        self._name = name
        self._fields = fields
        self._many = many
        self._required = required
        self._view_class: type[T] = fields.view_class  # when `many`, the class of the list's items
        self._set_row = fields.set_row

    @property
    def name(self) -> str:
        """The name of the request's loader the rows come from."""
        return self._name

    @property
    def fields(self) -> RowFields[Any]:
        return self._fields

    @property
    def many(self) -> bool:
        return self._many

    @property
    def required(self) -> bool:
        return self._required

    def __call__(self, info: Any, key: Any) -> T:
        if key is None:
            return self.convert(None)
        return now_or_later(narrowed_loader(info, self._name, self._fields), key, self.convert)

    def now(self, executor: Any, key: Any) -> Any:
        """What `self(info, key)` returns, when the operation's narrowed loader (the level-first
        executor's, gql/engine/narrowed.py) already holds `key`'s value; `MISSING` when it does not (then
        the caller calls the resolver). It reads and makes nothing else, so calling the resolver
        after it is the same as calling the resolver alone."""
        if key is None:
            return self.convert(None)
        loader = executor.narrowed_loaders.get(self._name)
        if loader is None:
            return MISSING
        found = loader.values.get(key, MISSING)
        if found is MISSING:
            return MISSING
        if not self._many and isinstance(found, tuple):  # a snapshot: its view, as RowFields makes it
            view = object.__new__(self._view_class)
            self._set_row(view, found)
            return view
        return self.convert(found)

    def now_lines(self, namespace: dict[str, Any], index: int, key: str, indent: str) -> list[str]:
        """Generated code doing what `r = rel<index>.now(executor, <key>)` does, written out in a
        fill (gql/engine/compiled_objects.py) to spare a call per object: it reads `nl`, the
        executor's `narrowed_loaders`, and sets `r`. Its names go into `namespace`."""
        namespace[f"rel{index}"] = self
        namespace[f"rn{index}"] = self._name
        lines = [
            f"{indent}k = {key}",
            f"{indent}if k is None:",
            f"{indent}    r = rel{index}.convert(None)",
            f"{indent}else:",
            f"{indent}    r = nl.get(rn{index})",
            f"{indent}    r = MISSING if r is None else r.values.get(k, MISSING)",
            f"{indent}    if r is not MISSING:",
        ]
        if self._many:
            return [*lines, f"{indent}        r = rel{index}.convert(r)"]
        namespace[f"vc{index}"], namespace[f"sr{index}"] = self._view_class, self._set_row
        return [
            *lines,
            f"{indent}        if isinstance(r, tuple):",
            f"{indent}            v = _new(vc{index})",
            f"{indent}            sr{index}(v, r)",
            f"{indent}            r = v",
            f"{indent}        else:",
            f"{indent}            r = rel{index}.convert(r)",
        ]

    def resolve_by(self, attribute: str) -> Callable[[Any, Info], T]:
        """The resolver of a relation field whose key is the object's `attribute`, for
        `strawberry.field(resolver=...)`; the field's type is its annotation on the class.

        The resolver is marked (`__relation__`), so the level-first walk's generated fills
        (compiled_objects.py) call `now` with the executor first and call it only when the row is
        not loaded yet.
        """
        relation, get = self, attrgetter(attribute)

        # strawberry reads a resolver's parameters by name: `self` is the source, `info` the Info
        def resolver(self: Any, info: Info) -> T:
            return relation(info, get(self))

        resolver.__annotations__ = {"info": Info}  # no return type: the class's annotation is the type
        resolver.__name__ = resolver.__qualname__ = f"relation_{self._name}_by_{attribute}"
        resolver.__relation__ = (relation, attribute)  # type: ignore[attr-defined]
        return resolver

    def marks(self, attribute: str) -> Callable[[F], F]:
        """Mark a resolver method as this relation's by `attribute`, as `resolve_by` marks its own:
        for a field declared as a method (it keeps its place among the type's methods), which must
        return `relation(info, self.<attribute>)` and do nothing else."""

        def mark(resolver: F) -> F:
            resolver.__relation__ = (self, attribute)  # type: ignore[attr-defined]
            return resolver

        return mark

    def convert(self, found: Any) -> T:
        """The object(s) of what the loader holds for a key."""
        if self._many:
            views = []
            view_class, set_row = self._view_class, self._set_row
            for row in found:
                if isinstance(row, tuple):
                    view = object.__new__(view_class)
                    set_row(view, row)
                    views.append(view)
                else:
                    views.append(self._fields.eager(row))
            return views  # type: ignore[return-value]  # T is the list type when `many`
        if found is None:
            if self._required:
                raise LookupError(f"no {self._name} row for a key that must have one (a foreign key)")
            return None  # type: ignore[return-value]  # T includes None when not `required`
        return self._fields(found)  # type: ignore[no-any-return]
