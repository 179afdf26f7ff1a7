"""Runs metric queries: figures per time span, cached, on the analytics database, time-limited.

`Engine.by_spans(fact, measures, spans)` answers "these aggregates of this fact in each of these
spans" with one statement per source (rollup or raw rows, chosen by `fact_source`): the value and
the previous period are two spans of one statement, a series is one span per bucket. Results
are cached under a key made of the normalised question — fact, measures, UTC spans, the
effective store scope (which already folds in the caller's role) and the zone — so two
dashboards asking the same thing share one computation whatever role or preset they came from.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

import orjson
from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, Subquery, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from models.date_ranges import zone_name
from models.errors import DomainError, ErrorCode
from models.metrics.sets import SetKind
from services.cache import Cache
from services.db import SessionFactory, is_statement_timeout
from services.metrics.facts import Fact, Rows
from services.metrics.measures import Measure
from services.metrics.rollups import GROUPS, ROLLUP_VERSION
from services.metrics.sets import (
    SetRow,
    day_set_rows,
    distinct_counts,
    distinct_counts_by_store,
    set_for,
)
from services.metrics.sources import fact_source, rollup_for
from services.metrics.sql import Span, bucket_ids, by_cuts, count_distinct_rows

ALL_GROUPS = frozenset(GROUPS)

CACHE_VERSION = 1
"""Part of every cache key: bump when a figure's meaning changes."""

Values = dict[str, int]
Row = dict[str, Any]


def _plain(value: Any) -> Any:
    """Database numbers as JSON-able Python numbers (PostgreSQL sums bigints into numerics)."""
    if type(value) is int:
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass(slots=True)
class Engine:
    """One request's access to the metrics: read sessions, scope, cache and rollup readiness."""

    sessions: SessionFactory
    zone: tzinfo
    dialect: str
    stores: frozenset[int] | None
    """Effective store scope: None = every store (and rows without one)."""
    prepare: Callable[[], Awaitable[frozenset[str]]]
    """Makes the rollups fresh enough and returns the ready groups (`services.metrics.freshness.freshen`)."""
    cache: Cache | None = None
    cache_seconds: float = 0.0
    timeout_ms: int = 0
    local_settings: tuple[tuple[str, str], ...] = ()
    """PostgreSQL settings for this engine's transactions only (`set_config(..., true)`), such as
    the analytics statements' `work_mem`."""
    _ready: asyncio.Task[frozenset[str]] | None = None
    _inflight: dict[str, asyncio.Task[list[Row]]] = field(default_factory=dict)
    _counting: dict[str, asyncio.Task[list[int] | None]] = field(default_factory=dict)
    _day_sets: DataLoader[tuple[SetKind, tuple[Span, ...]], list[SetRow]] | None = None

    async def ready(self) -> frozenset[str]:
        if self._ready is None:
            self._ready = asyncio.ensure_future(self.prepare())
        return await self._ready

    def _key(self, question: str) -> str:
        scope = "all" if self.stores is None else ",".join(map(str, sorted(self.stores)))
        raw = f"{CACHE_VERSION}.{ROLLUP_VERSION}|{zone_name(self.zone)}|{scope}|{question}"
        return "metrics:" + hashlib.sha256(raw.encode()).hexdigest()

    async def rows(self, question: str, build: Callable[[frozenset[str]], Rows]) -> list[Row]:
        """The rows of `build(ready groups)`, cached under the normalised `question`.

        Concurrent resolvers of one request asking the same question share one execution.
        """
        key = self._key(question)
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch(key, build))
            self._inflight[key] = task
        return await task

    async def _fetch(self, key: str, build: Callable[[frozenset[str]], Rows]) -> list[Row]:
        if self.cache is not None and self.cache_seconds > 0:
            hit = await self.cache.get(key)
            if hit is not None:
                cached: list[Row] = orjson.loads(hit)
                return cached
        statement = build(await self.ready())
        keys, rows = await self._keyed(statement)
        # Column names may be str subclasses (quoted_name), which orjson refuses as keys.
        names = [str(k) for k in keys]
        result = [dict(zip(names, map(_plain, row), strict=True)) for row in rows]
        if self.cache is not None and self.cache_seconds > 0:
            await self.cache.set(key, orjson.dumps(result), self.cache_seconds)
        return result

    async def execute(self, statement: Rows) -> list[Mapping[str, Any]]:
        """Run on the read sessions, within the role's statement timeout (PostgreSQL)."""
        keys, rows = await self._keyed(statement)
        return [dict(zip(keys, row, strict=True)) for row in rows]

    async def _keyed(self, statement: Rows) -> tuple[list[str], Sequence[Sequence[Any]]]:
        """(column names, rows by position): `execute` without a mapping per row."""
        async with self.sessions() as session:
            try:
                if self.dialect == "postgresql":
                    await self._configure(session)
                result = await session.execute(statement)
                return list(result.keys()), result.all()
            except DBAPIError as error:
                raise self._timed_out(error) from None

    async def fetch(self, statement: Rows) -> Sequence[Sequence[Any]]:
        """`execute`'s rows by position, in the statement's column order."""
        async with self.sessions() as session:
            try:
                if self.dialect == "postgresql":
                    await self._configure(session)
                return (await session.execute(statement)).all()
            except DBAPIError as error:
                raise self._timed_out(error) from None

    def _timed_out(self, error: DBAPIError) -> Exception:
        """QUERY_TIMEOUT for a statement the timeout cancelled; any other error as it is."""
        if is_statement_timeout(error):
            return DomainError(
                ErrorCode.QUERY_TIMEOUT,
                f"the query ran longer than {self.timeout_ms} ms; narrow the range or the stores",
            )
        return error

    async def _configure(self, session: AsyncSession) -> None:
        """SET LOCAL the statement timeout and `local_settings`, all in one statement."""
        pairs = list(self.local_settings)
        if self.timeout_ms:
            pairs.append(("statement_timeout", str(int(self.timeout_ms))))
        if not pairs:
            return
        calls = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(pairs)))
        params: dict[str, str] = {}
        for i, (name, value) in enumerate(pairs):
            params |= {f"n{i}": name, f"v{i}": value}
        await session.execute(text(f"SELECT {calls}"), params)

    def source(
        self,
        fact: Fact,
        needed: Sequence[str],
        spans: Sequence[Span],
        ready: frozenset[str],
        *,
        per_store: bool = False,
    ) -> Subquery:
        """`fact_source` rows; the engine groups them by span only, so week rows may serve."""
        return fact_source(
            fact,
            needed,
            spans,
            self.stores,
            zone=self.zone,
            dialect=self.dialect,
            ready=ready,
            per_store=per_store,
            weekly=True,
        )

    async def by_spans(
        self, fact: Fact, measures: Mapping[str, Measure], spans: Sequence[Span]
    ) -> list[Values]:
        """measures of `fact` in each span (spans sorted and disjoint; empty ones are all zero)."""
        live = [(i, s) for i, s in enumerate(spans) if s[0] < s[1]]
        result: list[Values] = [dict.fromkeys(measures, 0) for _ in spans]
        if not live:
            return result
        live_spans = [s for _, s in live]
        spans_key = [(s.isoformat(), e.isoformat()) for s, e in live_spans]
        measures = dict(measures)
        counted = await asyncio.gather(
            *(self._from_sets(fact, measure, live_spans, spans_key) for measure in measures.values())
        )
        for name, counts in zip(list(measures), counted, strict=True):
            if counts is not None:
                del measures[name]
                for (index, _), count in zip(live, counts, strict=True):
                    result[index][name] = count
        # Measures one rollup could serve go together (if its group is not ready when the
        # statement is built, they are read from raw rows together); the rest is one raw statement.
        groups: dict[str, dict[str, Measure]] = {}
        for name, measure in measures.items():
            rollup = rollup_for(fact, measure.needs, ALL_GROUPS)
            groups.setdefault(rollup.table.name if rollup else "raw", {})[name] = measure

        def statement(group: Mapping[str, Measure]) -> Callable[[frozenset[str]], Rows]:
            return lambda ready: self._span_statement(fact, group, live_spans, ready)

        answers = await asyncio.gather(
            *(
                self.rows(f"spans|{fact.name}|{sorted(group)}|{spans_key}", statement(group))
                for group in groups.values()
            )
        )
        for group, rows in zip(groups.values(), answers, strict=True):
            for row in rows:
                if row["b"] < 0:
                    continue
                index = live[row["b"]][0]
                result[index].update({name: int(row[name] or 0) for name in group})
        return result

    async def _from_sets(
        self, fact: Fact, measure: Measure, spans: Sequence[Span], spans_key: list[tuple[str, str]]
    ) -> list[int] | None:
        """A plain COUNT(DISTINCT) per span from the day sets, when a set answers it and its rollup
        group is ready; None otherwise (the caller counts rows). Resolvers of one request asking
        the same count share one computation."""
        found = set_for(fact, measure.distinct_of)
        if found is None or measure.distinct_of is None:
            return None
        key = self._key(f"sets|{fact.name}|{found[0]}|{spans_key}")
        task = self._counting.get(key)
        if task is None:
            count = self._count_from_sets(key, fact, *found, *measure.distinct_of, spans)
            task = self._counting[key] = asyncio.ensure_future(count)
        return await task

    async def _count_from_sets(
        self,
        key: str,
        fact: Fact,
        kind: SetKind,
        group: str,
        column: str,
        when: str | None,
        spans: Sequence[Span],
    ) -> list[int] | None:
        if self.cache is not None and self.cache_seconds > 0:
            hit = await self.cache.get(key)
            if hit is not None:
                cached: list[int] = orjson.loads(hit)
                return cached
        if group not in await self.ready():
            return None
        counts = await distinct_counts(
            self.execute,
            fact,
            kind,
            column,
            when,
            spans,
            self.stores,
            self.zone,
            self.dialect,
            read=self._read_day_sets,
        )
        if self.cache is not None and self.cache_seconds > 0:
            await self.cache.set(key, orjson.dumps(counts), self.cache_seconds)
        return counts

    async def _read_day_sets(self, kind: SetKind, spans: tuple[Span, ...]) -> list[SetRow]:
        """`ReadSets` for this engine's stores: the reads of one resolver round go in one statement."""
        if self._day_sets is None:

            async def batch(questions: list[tuple[SetKind, tuple[Span, ...]]]) -> list[list[SetRow]]:
                stmt, split = day_set_rows(questions, self.stores)
                return split(await self.fetch(stmt))

            self._day_sets = DataLoader(batch)
        rows: list[SetRow] = await self._day_sets.load((kind, spans))
        return rows

    async def distinct_by_store(
        self, fact: Fact, name: str, measure: Measure, spans: Sequence[Span]
    ) -> list[Row] | None:
        """`grouped(fact, {name: measure}, spans, by store)` for a plain COUNT(DISTINCT) a day set
        answers, from each store's day sets (spans of whole local days); None when it cannot."""
        found = set_for(fact, measure.distinct_of)
        live = [s for s in spans if s[0] < s[1]]
        if found is None or not live:
            return None
        kind, group = found
        spans_key = [(s.isoformat(), e.isoformat()) for s, e in live]
        key = self._key(f"sets-by-store|{fact.name}|{kind}|{spans_key}")
        if self.cache is not None and self.cache_seconds > 0:
            hit = await self.cache.get(key)
            if hit is not None:
                cached: list[Row] = orjson.loads(hit)
                return cached
        if group not in await self.ready():
            return None
        counts = await distinct_counts_by_store(self.execute, kind, live, self.stores, self.zone)
        if counts is None:
            return None
        rows: list[Row] = [{"b": b, "k": store, name: count} for b, store, count in counts]
        if self.cache is not None and self.cache_seconds > 0:
            await self.cache.set(key, orjson.dumps(rows), self.cache_seconds)
        return rows

    def _span_statement(
        self, fact: Fact, measures: Mapping[str, Measure], spans: Sequence[Span], ready: frozenset[str]
    ) -> Rows:
        needed = sorted({c for m in measures.values() for c in m.needs})
        u = self.source(fact, needed, spans, ready)
        cuts, ids = bucket_ids(spans)
        inner = select(by_cuts(u.c.at, cuts, ids).label("b"), *(u.c[c] for c in needed)).subquery("bucketed")
        lone = _lone_distinct(measures)
        if lone is not None:
            return count_distinct_rows(select(inner.c.b), inner, *lone)
        return select(
            inner.c.b, *(m.build(inner, spans).label(name) for name, m in measures.items())
        ).group_by(inner.c.b)

    async def grouped(
        self,
        fact: Fact,
        measures: Mapping[str, Measure],
        spans: Sequence[Span],
        by: str,
        keys: Callable[[Subquery], Sequence[ColumnElement[Any]]],
        *,
        needs: Sequence[str] = (),
        join: Callable[[Rows, Subquery], Rows] | None = None,
        where: Callable[[Subquery], ColumnElement[bool]] | None = None,
        per_store: bool = False,
        then: Callable[[Subquery], Rows] | None = None,
    ) -> list[Row]:
        """measures of `fact` per span (column `b`) and per group (`keys`, labelled), e.g. per store.

        `by` names the grouping in the cache key; `needs` are extra fact columns `keys`/`where`
        read; `join` may join other tables (stores, products) to the bucketed rows; `per_store`
        says the grouping needs each store's own rows (by store, by region); `then` selects from
        the grouped rows (e.g. joins each group's attributes once its rows are summed).
        """
        live = [s for s in spans if s[0] < s[1]]
        if not live:
            return []
        spans_key = [(s.isoformat(), e.isoformat()) for s, e in live]

        def statement(ready: frozenset[str]) -> Rows:
            needed = sorted({*needs, *(c for m in measures.values() for c in m.needs)})
            u = self.source(fact, needed, live, ready, per_store=per_store)
            cuts, ids = bucket_ids(live)
            b = by_cuts(u.c.at, cuts, ids).label("b")
            inner = select(b, u.c.store_id, *(u.c[c] for c in needed)).subquery("rows")
            group = [inner.c.b, *keys(inner)]
            lone = _lone_distinct(measures)
            if lone is None:
                stmt = select(*group, *(m.build(inner, live).label(n) for n, m in measures.items()))
            else:
                stmt = select(*group)
            if join is not None:
                stmt = join(stmt, inner)
            if where is not None:
                stmt = stmt.where(where(inner))
            done = stmt.group_by(*group) if lone is None else count_distinct_rows(stmt, inner, *lone)
            return done if then is None else then(done.subquery("grouped"))

        rows = await self.rows(f"grouped|{fact.name}|{by}|{sorted(measures)}|{spans_key}", statement)
        return [row for row in rows if row["b"] >= 0]


def _lone_distinct(measures: Mapping[str, Measure]) -> tuple[str, str, str | None] | None:
    """(name, column, when) when the statement computes one plain COUNT(DISTINCT) and nothing else."""
    if len(measures) != 1:
        return None
    ((name, measure),) = measures.items()
    if measure.distinct_of is None:
        return None
    return name, *measure.distinct_of
