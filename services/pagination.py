"""Keyset (cursor) pagination for every connection.

A cursor encodes the sort it was made for and the row's sort-key values (id last, as the
tie-breaker), so paging is stable under inserts and a cursor from another sort is refused
instead of silently returning the wrong page. `first/after` walks forward, `last/before` walks
backward by reversing the ORDER BY and flipping the fetched rows back.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from models.errors import DomainError, ErrorCode
from services.db import SessionFactory
from services.row_snapshots import as_snapshots, read_scalar, read_snapshots

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SortKey:
    """One column (or SQL expression) of a sort. `kind` says how the cursor stores its value.

    A `nullable` key must come right after a flag key that puts its NULLs in a group of their
    own (e.g. `paid_at IS NULL` ascending, so unpaid orders come last both ways): within the
    group equality is `IS NOT DISTINCT FROM` and nothing lies strictly beyond a NULL.
    """

    expr: ColumnElement[Any] | InstrumentedAttribute[Any]
    descending: bool
    kind: type = int
    nullable: bool = False

    def encode(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    def decode(self, raw: Any) -> Any:
        if raw is None and self.nullable:
            return None
        if self.kind is datetime:
            value = datetime.fromisoformat(raw)
            if value.tzinfo is None:
                raise ValueError("cursor datetimes carry their offset")
            return value
        if not isinstance(raw, self.kind) or isinstance(raw, bool):
            raise ValueError(f"expected {self.kind.__name__}")
        return raw

    def equals(self, value: Any) -> ColumnElement[bool]:
        return self.expr.is_not_distinct_from(value) if self.nullable else self.expr == value


@dataclass(frozen=True, slots=True)
class Sort:
    """A named ordering whose last key is the primary key (so it is total)."""

    name: str
    keys: tuple[SortKey, ...]
    values: Callable[[Any], tuple[Any, ...]]
    """Reads the keys' values off a row, in key order."""
    reads: frozenset[str] | None = None
    """The row attributes `values` reads, when the sort says (a page may then select only the
    columns its document needs, plus these: `paginate`'s `columns`)."""


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def validated(self) -> PageRequest:
        if self.first is not None and self.last is not None:
            raise DomainError(ErrorCode.BAD_USER_INPUT, "give either first or last, not both", "first")
        for name, size in (("first", self.first), ("last", self.last)):
            if size is not None and size < 0:
                raise DomainError(ErrorCode.BAD_USER_INPUT, f"{name} must not be negative", name)
            if size is not None and size > MAX_PAGE_SIZE:
                raise DomainError(
                    ErrorCode.PAGE_SIZE_EXCEEDED, f"{name} must be at most {MAX_PAGE_SIZE}", name
                )
        return self

    @property
    def backward(self) -> bool:
        return self.last is not None or (self.before is not None and self.first is None)

    @property
    def size(self) -> int:
        size = self.last if self.backward else self.first
        return DEFAULT_PAGE_SIZE if size is None else size


@dataclass(frozen=True, slots=True)
class PageQuery:
    """What a page reads, for a caller that reads it its own way (`paginate`'s `read`): the
    snapshot statement of `entity` (its `snapshot_columns(entity, keep)`), made for `request` in
    `sort`'s order; it asks for one row more than `size`. When `lasting`, the same `stmt` object
    comes back for the same first page (`_page_of`), so a caller may key what it builds from it on
    its identity; otherwise it is made for this request (a page past a cursor)."""

    entity: type[Any]
    stmt: Select[Any]
    keep: frozenset[str] | None
    sort: Sort
    request: PageRequest
    lasting: bool = False

    @property
    def size(self) -> int:
        return self.request.size

    @property
    def order(self) -> tuple[ColumnElement[Any], ...]:
        """The statement's ORDER BY terms."""
        return page_order(self.sort, self.request)


PageRead = Callable[[PageQuery], Awaitable[list[Any]]]
"""Reads a `PageQuery`'s rows: its snapshots in the statement's order, as `read_snapshots` would."""


@dataclass(slots=True)
class Page(Generic[T]):
    rows: list[T]
    sort: Sort
    has_next_page: bool
    has_previous_page: bool
    count: Callable[[], Awaitable[int]] = field(repr=False)

    def cursor(self, index: int) -> str:
        """The cursor of `rows[index]`, made when asked: a client that pages by `pageInfo.endCursor`
        never reads the other 49 of a 50-row page, and each is a JSON dump and a base64 encoding."""
        return encode_cursor(self.sort, self.rows[index])


def encode_cursor(sort: Sort, row: Any) -> str:
    values = [k.encode(v) for k, v in zip(sort.keys, sort.values(row), strict=True)]
    return base64.urlsafe_b64encode(orjson.dumps([sort.name, values])).decode()


def decode_cursor(sort: Sort, cursor: str, argument: str) -> tuple[Any, ...]:
    try:
        name, raw = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if name != sort.name:
            raise DomainError(
                ErrorCode.INVALID_CURSOR, f"cursor was made for sort {name}, not {sort.name}", argument
            )
        if len(raw) != len(sort.keys):
            raise ValueError("wrong number of values")
        return tuple(k.decode(v) for k, v in zip(sort.keys, raw, strict=True))
    except DomainError:
        raise
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise DomainError(ErrorCode.INVALID_CURSOR, f"{argument} is not a valid cursor", argument) from None


def _beyond(keys: Sequence[SortKey], values: Sequence[Any], forward: bool) -> ColumnElement[bool]:
    """Rows strictly after `values` in the sort order (strictly before when not `forward`).

    Expanded as (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ... so each branch can use an index.
    """
    branches = []
    for i, key in enumerate(keys):
        if values[i] is None:
            continue  # its flag group holds only NULLs: no row of the group lies strictly beyond it
        ascending = not key.descending if forward else key.descending
        cmp = key.expr > values[i] if ascending else key.expr < values[i]
        equal_prefix = [keys[j].equals(values[j]) for j in range(i)]
        branches.append(and_(*equal_prefix, cmp))
    return or_(*branches)


async def paginate(
    sessions: SessionFactory,
    base: Select[T],
    sort: Sort,
    request: PageRequest,
    count_base: Select[Any] | None = None,
    columns: frozenset[str] | None = None,
    count: Callable[[], Awaitable[int | None]] | None = None,
    lasting_base: bool = False,
    read: PageRead | None = None,
) -> Page[T]:
    """Fetch one page of `base` (a select of one entity, already filtered and scoped), as row
    snapshots of that entity (services/row_snapshots.py).

    `columns`, when given, are the attributes the caller will read off the rows; with the sort's
    own `reads` the page selects only those (an order row has 46 columns, an admin list shows
    four fields). Without either it selects them all.

    `count_base` is the same filter for `totalCount`; it runs only if the client asks for it.
    `count`, when given, is how the caller counts the same rows instead (services/orders/counts.py);
    when it answers None the rows are counted after all.
    `lasting_base`: the caller passes the same `base` object for the same filter again (`_page_of`).
    `read`, when given, reads the page's statement instead of `read_snapshots` (a caller that reads
    the rows' relations in the same statement: loaders/joined.py `read_joined_page`).
    """
    request = request.validated()
    forward = not request.backward
    # Row snapshots, not ORM instances: a page only becomes GraphQL objects (row_snapshots.py).
    keep = None if columns is None or sort.reads is None else columns | sort.reads
    if lasting_base:
        entity, stmt = _page_of(base, sort, request, keep)
    else:
        entity, stmt = as_snapshots(page_statement(base, sort, request), keep)
    if read is None:
        rows = await read_snapshots(sessions, entity, stmt, keep=keep)
    else:
        lasting = lasting_base and request.after is None and request.before is None
        rows = await read(PageQuery(entity, stmt, keep, sort, request, lasting))

    has_more = len(rows) > request.size
    rows = rows[: request.size]
    if not forward:
        rows.reverse()

    async def count_rows() -> int:
        counted = count_base if count_base is not None else base
        total = await read_scalar(
            sessions, select(func.count()).select_from(counted.order_by(None).subquery())
        )
        return int(total or 0)

    async def count_or_rows() -> int:
        found = None if count is None else await count()
        return found if found is not None else await count_rows()

    return Page(
        rows=rows,
        sort=sort,
        has_next_page=has_more if forward else request.before is not None,
        has_previous_page=has_more if not forward else request.after is not None,
        count=count_or_rows,
    )


def _page_of(
    base: Select[Any], sort: Sort, request: PageRequest, keep: frozenset[str] | None
) -> tuple[type[Any], Select[Any]]:
    """The page's snapshot statement; a first page's is remembered per `base` object (one per
    filter and scope when the caller keeps its bases: services/orders/search.py `_listed`), sort,
    size, direction and columns, so SQLAlchemy walks it for its cache key once. A page after or
    before a cursor carries the cursor's values and is made anew."""
    if request.after is not None or request.before is not None:
        return as_snapshots(page_statement(base, sort, request), keep)
    key = (id(base), sort.name, request.size, request.backward, keep)
    found = _FIRST_PAGES.get(key)
    if found is None or found[0] is not base:
        made = as_snapshots(page_statement(base, sort, request), keep)
        if len(_FIRST_PAGES) >= _MAX_FIRST_PAGES:
            _FIRST_PAGES.clear()
        found = _FIRST_PAGES[key] = (base, *made)
    return found[1], found[2]


_FIRST_PAGES: dict[tuple[Any, ...], tuple[Select[Any], type[Any], Select[Any]]] = {}
"""First pages' statements: (the base they were made from, held so its id is not reused while the
entry lives; the entity; the statement)."""
_MAX_FIRST_PAGES = 2_000


def page_statement(base: Select[T], sort: Sort, request: PageRequest) -> Select[T]:
    """The one SELECT a page runs: `base` past the cursor, in sort order, one row more than the page
    (to learn whether there is a next page). Benchmarks EXPLAIN exactly this."""
    stmt = base
    if request.after is not None:
        stmt = stmt.where(_beyond(sort.keys, decode_cursor(sort, request.after, "after"), True))
    if request.before is not None:
        stmt = stmt.where(_beyond(sort.keys, decode_cursor(sort, request.before, "before"), False))
    return stmt.order_by(*page_order(sort, request)).limit(request.size + 1)


def page_order(sort: Sort, request: PageRequest) -> tuple[ColumnElement[Any], ...]:
    """The ORDER BY terms of a page: the sort's, reversed for a backward page."""
    forward = not request.backward
    return tuple((k.expr.desc() if k.descending == forward else k.expr.asc()) for k in sort.keys)
