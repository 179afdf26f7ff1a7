"""The two loader shapes every relation uses: one row per key, or a list of rows per key.

Each batch opens its own short connection, so concurrent batches never share one, and results
come back in key order as DataLoader requires. Both are `RowLoader`s, which a list resolver can
fill for a whole level at once (`RowLoader.fill`).

What they return are row snapshots, not ORM instances, read outside a transaction on PostgreSQL
(services/row_snapshots.py): the same attributes by the same names, no relationships.

On PostgreSQL the keys travel as one array parameter (`key = ANY($1)`): one statement text
whatever the number of keys, so asyncpg prepares it once per connection instead of once per
distinct list length, and SQLAlchemy does not re-render an expanding IN list per call.
"""

from __future__ import annotations

from asyncio import Future
from collections import defaultdict
from collections.abc import Callable, Coroutine, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import (
    ColumnElement,
    Dialect,
    Integer,
    Select,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute

from services.db import SessionFactory
from services.row_snapshots import read_snapshots, snapshot_columns

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Shape:
    """An unscoped loader's read: the `entity` rows whose `key` is a key, `keep` columns (all when
    None, else these and the key), a list per key in `order_by` order when `many`."""

    entity: type[Any]
    key: InstrumentedAttribute[Any]
    keep: frozenset[str] | None
    many: bool = False
    order_by: tuple[Any, ...] = ()


class RowLoader(DataLoader[K, V]):
    """A DataLoader that can also be filled for many keys without a future awaited per key.

    Its cache key is the key itself (DataLoader's default; `fill` and `load` rely on it), and its
    cache is `futures`, the map DataLoader keeps each key's future in (its public `cache_map`).
    """

    def __init__(
        self,
        batch_load_fn: Callable[[list[K]], Coroutine[Any, Any, list[V]]],
        shape: Shape | None = None,
    ) -> None:
        self.shape = shape
        """What its batch selects, when that is an unscoped read by key (loaders/joined.py)."""
        self.futures: dict[K, Future[V]] = {}
        """Each loaded or primed key's future, as DataLoader caches it."""
        super().__init__(batch_load_fn, cache_map=self.futures)
        self.values: dict[K, V] = {}
        """The values `fill` loaded, by key: read without a future (gql/engine/loaded.py)."""

    def load(self, key: K) -> Future[V]:
        """`DataLoader.load`, looking in the cache first: after a level's `fill` nearly every load
        (each order's store, each line's SKU) is a hit, and the hit is all this costs. A filled
        key gets its resolved future when it is first asked for one."""
        found = self.futures.get(key)
        if found is not None:
            return found
        if key in self.values:
            self.prime(key, self.values[key])
            return self.futures[key]
        return super().load(key)

    def clear(self, key: K) -> RowLoader[K, V]:
        self.values.pop(key, None)
        super().clear(key)
        return self

    def clear_all(self) -> RowLoader[K, V]:
        self.values.clear()
        super().clear_all()
        return self

    async def fill(self, keys: Iterable[K]) -> dict[K, V]:
        """The values of `keys`, loading those not yet cached with one call of the batch function.

        The same values and cache as `load_many`, without a future per key: the missing keys go
        to the batch function in one call and their values are kept in `values`, where the relation
        fields read them (gql/engine/loaded.py); `load` makes a resolved future for one only when
        asked. Keys another caller is already loading are awaited, not loaded twice.
        """
        wanted = list(dict.fromkeys(keys))
        values, cache = self.values, self.futures
        missing = [k for k in wanted if k not in values and k not in cache]
        if missing:
            for key, value in zip(missing, await self.batch_load_fn(missing), strict=True):
                if isinstance(value, Exception):
                    self.prime(key, value)  # a failed future, as `load` would cache
                else:
                    values[key] = value
        found: dict[K, V] = {}
        for key in wanted:
            if key in values:
                found[key] = values[key]
            else:
                future = cache[key]
                found[key] = future.result() if future.done() else await future
        return found


def _by_keys(
    entity: type[Any],
    key: InstrumentedAttribute[Any],
    dialect: str,
    where: ColumnElement[bool] | None = None,
    order_by: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]] = (),
    keep: frozenset[str] | None = None,
    scope: Hashable | None = None,
) -> Select[Any]:
    """The batch's SELECT of snapshots whose `key` is one of the `keys` parameter.

    Built once per loader shape and reused: SQLAlchemy computes a statement's cache key by walking
    it (every labelled column), and memoizes that on the statement object, so a statement made
    anew for each batch paid the walk every time. Scoped loaders (`where` depends on the
    principal) build theirs once per request. The `order_by` terms are the mapped classes'
    attributes, which live as long as the process: they are told apart by identity (their `str`
    compiles them, and the loaders of a request are made anew each time). A scoped loader given a
    `scope` (what its `where` is made from, such as the principal: equal scopes make equal
    conditions) keeps its statement too, per scope.
    """
    cache_key = (entity, key.key, dialect, tuple(id(o) for o in order_by), keep)
    if where is None and (found := _STATEMENTS.get(cache_key)) is not None:
        return found
    if where is not None and scope is not None and (found := _SCOPED.get((cache_key, scope))) is not None:
        return found
    stmt = select(*snapshot_columns(entity, keep)).where(key_condition(key, dialect))
    if where is not None:
        stmt = stmt.where(where).order_by(*order_by)
        if scope is not None:
            if len(_SCOPED) >= _MAX_SCOPED:
                _SCOPED.clear()
            _SCOPED[(cache_key, scope)] = stmt
        return stmt
    stmt = _STATEMENTS[cache_key] = stmt.order_by(*order_by)
    return stmt


_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}
_SCOPED: dict[tuple[Any, ...], Select[Any]] = {}
_MAX_SCOPED = 1_000
"""Scoped statements kept, by shape and scope (cleared when full)."""


def key_condition(key: InstrumentedAttribute[Any], dialect: str) -> ColumnElement[bool]:
    """`key` is one of the `keys` parameter: one array parameter on PostgreSQL, else an IN list."""
    if dialect == "postgresql" and isinstance(key.type, Integer):
        return key == any_(cast(bindparam("keys", type_=IntegerKeys()), ARRAY(key.type)))
    if dialect == "postgresql":
        return key == any_(bindparam("keys", type_=ARRAY(key.type)))
    return key.in_(bindparam("keys", expanding=True))


class IntegerKeys(TypeDecorator[Sequence[int]]):
    """A batch's integer keys sent as one PostgreSQL array literal (`{1,2,3}`), cast in the SQL.

    asyncpg encodes a list parameter element by element, and tests each element against
    `collections.abc.Iterable` (is it a sub-array?) through ABCMeta's Python-level
    `__instancecheck__`; one text parameter costs one join, and `int.__repr__` refuses anything
    that is not an int (a bool is written `1`/`0`, as PostgreSQL's bigint encoding would take it).
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Sequence[int] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return "{" + ",".join(map(int.__repr__, value)) + "}"


def one_per_key(
    sessions: SessionFactory,
    entity: type[T],
    key: InstrumentedAttribute[Any],
    where: ColumnElement[bool] | None = None,
    keep: frozenset[str] | None = None,
    scope: Hashable | None = None,
) -> RowLoader[Any, T | None]:
    """`load(k)` → the row whose `key` equals k (None if absent or filtered out by `where`).

    `keep`: read only these columns, and the key (a narrowed loader: `Loaders.narrowed`).
    `scope`: what `where` is a function of alone (the principal), so the statement is kept per scope.
    """
    keep = keep if keep is None else keep | {key.key}
    stmt = _by_keys(entity, key, sessions.kw["bind"].dialect.name, where, keep=keep, scope=scope)
    name = key.key

    async def batch(keys: Sequence[Any]) -> list[T | None]:
        rows = await read_snapshots(sessions, entity, stmt, {"keys": list(set(keys))}, keep)
        by_key = {getattr(r, name): r for r in rows}
        return [by_key.get(k) for k in keys]

    return RowLoader(batch, None if where is not None else Shape(entity, key, keep))


def many_per_key(
    sessions: SessionFactory,
    entity: type[T],
    key: InstrumentedAttribute[Any],
    *order_by: ColumnElement[Any] | InstrumentedAttribute[Any],
    keep: frozenset[str] | None = None,
) -> RowLoader[Any, list[T]]:
    """`load(k)` → every row whose `key` equals k, in `order_by` order (empty list if none).

    `keep`: read only these columns, and the key (a narrowed loader: `Loaders.narrowed`).
    """
    keep = keep if keep is None else keep | {key.key}
    stmt = _by_keys(entity, key, sessions.kw["bind"].dialect.name, order_by=order_by, keep=keep)
    name = key.key

    async def batch(keys: Sequence[Any]) -> list[list[T]]:
        grouped: defaultdict[Any, list[T]] = defaultdict(list)
        for row in await read_snapshots(sessions, entity, stmt, {"keys": list(set(keys))}, keep):
            grouped[getattr(row, name)].append(row)
        return [grouped.get(k, []) for k in keys]

    return RowLoader(batch, Shape(entity, key, keep, many=True, order_by=order_by))
