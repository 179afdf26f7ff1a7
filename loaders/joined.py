"""Several loaders filled by one statement: the rows a list's objects refer to, joined.

`fill_joined(sessions, Order.id, keys, (loader, on), …)` reads the `keys` rows of the root
(`Order.id` = one of `keys`) LEFT JOINed with each loader's rows whose key equals `on` (a column
of the root's entity or of an earlier join's), and fills every loader with what it would have
loaded itself for the keys met: the same columns (each loader's own `Shape.keep`), the same
snapshot classes, a list loader's lists in its `order_by` order (an empty list for a parent
without rows). A list's prefetch (gql/resolvers/order_prefetch.py) then reads its objects'
relations, and theirs, in one round trip instead of one statement per loader.

Invariants: only unscoped loaders (with a `Shape`) take part, at most one of them a list loader
hanging on the root's rows (so no row is repeated for a pair of lists) and at most one list below
that list's rows (each of its rows then repeats, in a run, and is kept once); a key a loader
already holds or is loading keeps its value; a key met without a row (a dangling reference) is
left unfilled, so the loader reads it itself if it is ever asked, as it would have. The root's own
rows are not kept.

`beside` loaders hang on the root's key itself (an order's parcels, its timeline): each is read by
a SELECT of its own rows, put after the joined one with `UNION ALL` (every other column NULL, a
branch number and each branch's own order as the last two columns), so several lists cost one
statement without multiplying each other's rows. Each is filled for every root key met, a list
loader with an empty list for a root without rows, as its own batch would have.

`read_joined_page(sessions, joins, query)` does the same with a list page's own statement as the root
(services/pagination.py `PageQuery`, a subquery numbered in its order): the page's snapshots and
its relations in one round trip. It returns the page's rows as `read_snapshots` would (the extra
row that tells of a next page included) and fills the loaders from the page's first `size` rows
only, the rows the list shows. Values the database renders per page row (`rendered`:
gql/engine/rendered.py) are further columns of the same statement, handed to their `keep` by key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Label,
    Select,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute

from loaders.base import RowLoader, Shape, key_condition
from services.db import SessionFactory
from services.pagination import PageQuery
from services.row_snapshots import read_runs, read_tuples, snapshot_columns, snapshot_type

Join = tuple[RowLoader[Any, Any], InstrumentedAttribute[Any]]
# Per join: its columns' span in a row, the index of its own key, the index of its `on` value
# (list loaders only, else -1)
Part = tuple[tuple[int, int], int, int]


async def fill_joined(
    sessions: SessionFactory,
    root: InstrumentedAttribute[Any],
    keys: Iterable[Any],
    *joins: Join,
    beside: Sequence[RowLoader[Any, Any]] = (),
) -> None:
    """Fill each join's loader, and each `beside` loader, from one statement over the root rows
    of `keys` (module docstring)."""
    shapes = _shapes(joins)
    aside = _beside_shapes(beside)
    dialect = sessions.kw["bind"].dialect.name
    stmt, parts = _plan(root, shapes, tuple(on for _, on in joins), dialect, aside)
    rows = await read_tuples(sessions, stmt, {"keys": list(dict.fromkeys(keys))})
    if not aside:
        _fill(rows, joins, shapes, parts)
        return
    branches: list[list[tuple[Any, ...]]] = [[] for _ in range(len(aside) + 1)]
    for row in rows:
        branches[row[-2]].append(row)
    _fill(branches[0], joins, shapes, parts[: len(joins)])
    met = [row[0] for row in branches[0]]
    for loader, shape, part, own in zip(beside, aside, parts[len(joins) :], branches[1:], strict=True):
        _fill_beside(own, met, loader, shape, part)


class Rendered(Protocol):
    """A value the database renders per page row (gql/engine/rendered.py): `column(column_of)` is
    its SQL over the row's columns (`reads` names them), and `keep` takes what it gave, by the
    row's `key` column."""

    @property
    def key(self) -> str: ...

    @property
    def reads(self) -> frozenset[str]: ...

    def column(self, column_of: Callable[[str], ColumnElement[Any]]) -> ColumnElement[Any]: ...

    def keep(self, texts: dict[Any, Any]) -> None: ...


async def read_joined_page(
    sessions: SessionFactory, joins: Sequence[Join], query: PageQuery, rendered: Sequence[Rendered] = ()
) -> list[Any]:
    """The page's snapshots, each join's loader filled from the same statement (module docstring),
    and each `rendered` value of the shown rows read in it and handed to its `keep`.

    A join's `on` is a column of the page's entity or of an earlier join's entity."""
    joins = tuple(joins)
    shapes = _shapes(joins)
    ons = tuple(on for _, on in joins)
    rendered = tuple(rendered)
    key = (id(query.stmt), tuple(shapes), ons, tuple(map(id, rendered)))
    found = _PAGE_PLANS.get(key) if query.lasting else None
    if found is None or found[0] is not query.stmt:
        found = (query.stmt, rendered, *_page_plan(query, shapes, ons, rendered))
        if query.lasting:  # a page past a cursor has a statement of its own: nothing to keep
            if len(_PAGE_PLANS) >= _MAX_PAGE_PLANS:
                _PAGE_PLANS.clear()
            _PAGE_PLANS[key] = found
    _, _, stmt, width, parts = found
    rows = await read_runs(sessions, stmt, width, snapshot_type(query.entity, query.keep))
    page = [row[0] for row in rows if row[0] is not None]
    shown, size = len(rows), query.size
    while shown and rows[shown - 1][2] > size:
        shown -= 1
    _fill(rows[:shown], joins, shapes, parts)
    for index, value in enumerate(rendered):
        at = 2 * (index - len(rendered))  # each rendered value's key, then its value, end the row
        value.keep({row[at]: row[at + 1] for row in rows[:shown] if row[0] is not None})
    return page


def _page_plan(
    query: PageQuery,
    shapes: list[Shape],
    ons: tuple[InstrumentedAttribute[Any], ...],
    rendered: Sequence[Rendered] = (),
) -> tuple[Select[Any], int, list[Part]]:
    """The joined statement over the page's, its page columns' width and each join's place in its
    rows as `read_runs` returns them: the page's columns one item, a flag, the row's number.

    With a list join a page's row spans several rows (one per item of its list): its columns and
    those of the joins that hang on it alone (`on` one of its columns, not a list) are read from
    the flagged row of its run and are NULL on the others, so they are decoded once per page row."""
    root = query.entity
    keep = query.keep
    reads = [getattr(root, name) for value in rendered for name in sorted(value.reads | {value.key})]
    missing = {
        on.key: on for on in (*ons, *reads) if on.class_ is root and keep is not None and on.key not in keep
    }
    extra = list(missing.values())
    numbered = query.stmt.add_columns(
        func.row_number().over(order_by=query.order).label("j_at"),
        *(on.label(f"j_on_{on.key}") for on in extra),
    ).subquery("j_page")
    width = len(query.stmt.selected_columns)
    page_columns = list(numbered.c)[:width]
    by_name = {c.name: c for c in page_columns} | {on.key: numbered.c[f"j_on_{on.key}"] for on in extra}

    def on_column(on: InstrumentedAttribute[Any]) -> Any:
        return by_name[on.key] if on.class_ is root else on

    order_by = [term for shape in shapes if shape.many for term in shape.order_by]
    flag: ColumnElement[Any]
    if any(shape.many for shape in shapes):
        first = func.row_number().over(partition_by=numbered.c.j_at, order_by=order_by or None) == 1
        flag = first.label("j_first")
    else:
        first, flag = None, true().label("j_first")
    columns, parts = _joined([None, flag, numbered.c.j_at], [on_column(on) for on in ons], shapes)
    for index, value in enumerate(rendered):
        key = by_name[value.key]
        columns += [key.label(f"r{index}_key"), value.column(by_name.__getitem__).label(f"r{index}")]
    if first is not None:
        alone: set[int] = set()
        for shape, on, ((start, end), _, _) in zip(shapes, ons, parts, strict=True):
            if on.class_ is root and not shape.many:
                alone.update(range(start, end))
        alone.update(range(len(columns) - 2 * len(rendered), len(columns)))
        columns = [
            case((first, c.element), else_=null()).label(c.name) if index in alone else c
            for index, c in enumerate(columns)
        ]
        page_columns = [case((first, c), else_=null()).label(c.name) for c in page_columns]
    stmt = select(*page_columns, *columns[1:]).select_from(numbered)
    for shape, on in zip(shapes, ons, strict=True):
        stmt = stmt.outerjoin(shape.entity, shape.key == on_column(on))
    return stmt.order_by(numbered.c.j_at, *order_by), width, parts


_PAGE_PLANS: dict[
    tuple[Any, ...], tuple[Select[Any], tuple[Rendered, ...], Select[Any], int, list[Part]]
] = {}
"""Per page statement object, joins and rendered values (the objects held, so their ids are not
reused while the entry lives)."""
_MAX_PAGE_PLANS = 2_000


def _joined(columns: list[Any], ons: list[Any], shapes: list[Shape]) -> tuple[list[Any], list[Part]]:
    """`columns` followed by each join's own columns (and a list join's `on` value)."""
    columns = list(columns)
    parts: list[Part] = []
    for index, (shape, on) in enumerate(zip(shapes, ons, strict=True)):
        own = snapshot_columns(shape.entity, shape.keep)
        at = len(columns) + [c.name for c in own].index(shape.key.key)
        span = (len(columns), len(columns) + len(own))
        columns += [c.element.label(f"j{index}_{c.name}") for c in own]
        on_at = -1
        if shape.many:
            on_at = len(columns)
            columns.append(on.label(f"j{index}_on"))
        parts.append((span, at, on_at))
    return columns, parts


def _fill(
    rows: list[tuple[Any, ...]], joins: tuple[Join, ...], shapes: list[Shape], parts: list[Part]
) -> None:
    """Each join's loader filled from its span of `rows` (module docstring)."""
    new = tuple.__new__
    for (loader, _), shape, ((start, end), at, on_at) in zip(joins, shapes, parts, strict=True):
        cls = snapshot_type(shape.entity, shape.keep)
        values, futures = loader.values, loader.futures
        if shape.many:
            grouped: dict[Any, list[Any]] = {}
            below = next((p[2] for s, p in zip(shapes, parts, strict=True) if s.many and p[2] > on_at), -1)
            last: Any = None
            for row in rows:
                items = grouped.setdefault(row[on_at], [])
                if row[at] is None:
                    continue
                if below >= 0:  # a list below repeats each item in a run: its `on` tells the item
                    if items and row[below] == last:
                        continue
                    last = row[below]
                items.append(new(cls, row[start:end]))
            for parent, items in grouped.items():
                if parent is not None and parent not in values and parent not in futures:
                    values[parent] = items
            continue
        for row in rows:
            key = row[at]
            if key is not None and key not in values and key not in futures:
                values[key] = new(cls, row[start:end])


def _fill_beside(
    rows: list[tuple[Any, ...]], met: list[Any], loader: RowLoader[Any, Any], shape: Shape, part: Part
) -> None:
    """A `beside` loader filled for the root keys `met` from its branch's `rows`."""
    (start, end), at, _ = part
    cls, new = snapshot_type(shape.entity, shape.keep), tuple.__new__
    values, futures = loader.values, loader.futures
    found: dict[Any, Any] = {key: [] for key in met} if shape.many else dict.fromkeys(met)
    for row in rows:
        item = new(cls, row[start:end])
        if shape.many:
            found[row[at]].append(item)
        else:
            found[row[at]] = item
    for key, value in found.items():
        if key not in values and key not in futures:
            values[key] = value


def _beside_shapes(beside: Sequence[RowLoader[Any, Any]]) -> list[Shape]:
    shapes = [loader.shape for loader in beside if loader.shape is not None]
    if len(shapes) < len(beside):
        raise ValueError("fill_joined fills unscoped loaders only (a RowLoader with a shape)")
    return shapes


def _shapes(joins: tuple[Join, ...]) -> list[Shape]:
    shapes = [loader.shape for loader, _ in joins if loader.shape is not None]
    if len(shapes) < len(joins):
        raise ValueError("fill_joined fills unscoped loaders only (a RowLoader with a shape)")
    lists = [(shape, on) for shape, (_, on) in zip(shapes, joins, strict=True) if shape.many]
    if len(lists) > 2 or (len(lists) == 2 and lists[1][1].class_ is not lists[0][0].entity):
        raise ValueError("fill_joined joins one list loader, and at most one list below its rows")
    return shapes


def _plan(
    root: InstrumentedAttribute[Any],
    shapes: list[Shape],
    ons: tuple[InstrumentedAttribute[Any], ...],
    dialect: str,
    beside: list[Shape],
) -> tuple[Select[Any] | CompoundSelect[Any], list[Part]]:
    """The statement and each join's (then each `beside` loader's) place in its rows, made once
    per shape (SQLAlchemy memoizes a statement's cache key on the statement object)."""
    cache_key = (root, tuple(shapes), ons, dialect, tuple(beside))
    found = _PLANS.get(cache_key)
    if found is not None:
        return found
    columns: list[Label[Any]] = [root.label("j_root")]
    joined, parts = _joined(columns, list(ons), shapes)
    stmt = select(*joined).select_from(root.class_)
    for shape, on in zip(shapes, ons, strict=True):
        stmt = stmt.outerjoin(shape.entity, shape.key == on)
    order_by = [term for shape in shapes if shape.many for term in shape.order_by]
    stmt = stmt.where(key_condition(root, dialect))
    if not beside:
        found = _PLANS[cache_key] = (stmt.order_by(*order_by), parts)
        return found
    spans: list[list[Label[Any]]] = []
    start = len(joined)
    for shape in beside:
        columns = list(snapshot_columns(shape.entity, shape.keep))
        at = start + [c.name for c in columns].index(shape.key.key)
        parts.append(((start, start + len(columns)), at, at))
        spans.append([c.element.label(f"b{len(spans)}_{c.name}") for c in columns])
        start += len(columns)
    branches = [_numbered(stmt.add_columns(*_nulls(_after(spans, 0))), 0, order_by)]
    for index, (shape, own) in enumerate(zip(beside, spans, strict=True), start=1):
        before = _nulls([*joined[1:], *_after(spans[: index - 1], 0)])
        branch = select(shape.key.label("j_root"), *before, *own, *_nulls(_after(spans, index)))
        branches.append(_numbered(branch.where(key_condition(shape.key, dialect)), index, shape.order_by))
    union = union_all(*branches)
    last = union.selected_columns
    found = _PLANS[cache_key] = (union.order_by(last.j_k, last.j_n), parts)
    return found


def _after(spans: list[list[Label[Any]]], index: int) -> list[Label[Any]]:
    """The columns of the spans from `index` on."""
    return [c for span in spans[index:] for c in span]


def _nulls(columns: Sequence[Label[Any]]) -> list[Label[Any]]:
    """A NULL of each column's type, under its name (a branch's place for another's columns): cast,
    for PostgreSQL resolves a union's column types pair by pair, and NULL with NULL makes text."""
    return [cast(null(), c.type).label(c.name) for c in columns]


def _numbered(stmt: Select[Any], index: int, order_by: Sequence[Any]) -> Select[Any]:
    """`stmt` with its branch number and its rows' place in its order: the union's last columns."""
    number = literal_column(str(index), Integer).label("j_k")
    place = func.row_number().over(order_by=list(order_by)) if order_by else literal_column("0", Integer)
    return stmt.add_columns(number, place.label("j_n"))


_PLANS: dict[tuple[Any, ...], tuple[Select[Any] | CompoundSelect[Any], list[Part]]] = {}
