"""Answers one aggregate question: its source, its one GROUP BY, and the groups and totals read back.

The rows grouped are `fact_rows.fact_rows`' (exactly those the caller's list shows), or the
metrics rollups when they can answer (`rollup_source.covered`, `channel_source.covered`). Groups
are bounded: `top` is at most MAX_GROUPS. Without an explicit `top` a question may yield at most
DEFAULT_TOP groups, or it is refused with TOO_MANY_GROUPS (nothing is cut silently); with an
explicit `top` the first `top` groups by the sort are returned and `group_count` says how many
there were. The default order is the first measure descending when `top` is given, the keys
ascending otherwise; ties end with the keys ascending, NULL last, so every answer is deterministic.

An answer is plain data, built once: each distinct key is decoded once and shared by the rows
that hold it; values are numbers in the answer's measure order (`Answer.measures`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum
from typing import Any, Final, NamedTuple

from sqlalchemy import ColumnElement, Select, Subquery

from models.enums import Role
from models.errors import DomainError, ErrorCode
from models.principals import Principal
from services.analytics import channel_source
from services.analytics.dimensions import Dimension, Key, decode_key
from services.analytics.fact_rows import fact_rows
from services.analytics.line_rollups import covered_lines, follows_catalogue, line_rollup_statement
from services.analytics.measures import Kind, MeasureSpec
from services.analytics.questions import (
    MAX_GROUPS,
    Comparison,
    Fact,
    Having,
    Question,
    SortTerm,
    check,
    specs,
    used_measures,
)
from services.analytics.rollup_source import covered, rollup_statement
from services.analytics.statement import Plan, grouped_with_totals, percentile_sql
from services.db import SessionFactory
from services.metrics.engine import Engine
from services.orders.search import check_store_codes

DEFAULT_TOP: Final = 100
ANALYTICS_SETTINGS: Final = (("work_mem", "64MB"), ("jit", "off"), ("random_page_cost", "1.1"))
"""PostgreSQL settings of an aggregate's transaction: memory to hash or sort a window's rows
(hundreds of thousands) without spilling to disk; no JIT, whose compiling costs more than these
statements save by it; and index probes priced as on SSD or cached pages, so the orders of a
window's after-sales are fetched by key rather than by scanning every order."""

Number = int | float | None
"""A measure's value: whole (counts, sums, minima, maxima) or a fraction (averages, ratios); None
for a minimum, maximum, average or ratio over no value."""


@dataclass(frozen=True, slots=True)
class Measured:
    """A measure of the answer and the kind of number it is."""

    measure: StrEnum
    kind: Kind


class Group(NamedTuple):
    keys: tuple[Key, ...]
    values: tuple[Number, ...]
    """In `Answer.measures` order."""


class Source(StrEnum):
    """What the answer was computed from."""

    RAW = "RAW"
    ROLLUP = "ROLLUP"


@dataclass(frozen=True, slots=True)
class Answer:
    measures: tuple[Measured, ...]
    rows: tuple[Group, ...]
    totals: tuple[Number, ...]
    group_count: int
    """Groups the question has (after `having`), before `top` cut them."""
    source: Source = Source.RAW


_COMPARE: Final = {
    Comparison.GT: lambda a, b: a > b,
    Comparison.GTE: lambda a, b: a >= b,
    Comparison.LT: lambda a, b: a < b,
    Comparison.LTE: lambda a, b: a <= b,
    Comparison.EQ: lambda a, b: a == b,
}


def _plan(question: Question) -> Plan:
    terms = question.sort
    if not terms and question.top is not None:
        terms = (SortTerm(question.measures[0], None, True),)
    order: list[tuple[StrEnum | int, bool]] = []
    for term in terms:
        if term.measure is not None:
            order.append((term.measure, term.descending))
        else:
            assert term.dimension is not None
            order.append((question.group_by.index(term.dimension), term.descending))
    return Plan(
        keys=len(question.group_by),
        measures=used_measures(question),
        having=[(h.measure, _COMPARE[h.comparison], h.value) for h in question.having],
        order=order,
        limit=DEFAULT_TOP + 1 if question.top is None else question.top,
    )


def _statement(question: Question, facts: Subquery, dialect: str) -> Select[Any]:
    fact_specs = specs(question.fact)

    def measure_sql(measure: StrEnum, u: Subquery) -> ColumnElement[Any]:
        spec = fact_specs[measure]
        return spec.build(u) if spec.percentile is None else percentile_sql(spec, u, dialect)

    used = used_measures(question)
    ranked = sorted({fact_specs[m].needs[0] for m in used if fact_specs[m].percentile is not None})
    return grouped_with_totals(_plan(question), facts, measure_sql, dialect, ranked)


def _number(spec: MeasureSpec) -> Callable[[Any], Number]:
    """The database value of a measure as a Python number (PostgreSQL sums into numerics)."""
    whole = spec.exact

    def number(raw: Any) -> Number:
        if raw is None:  # min, max, average or ratio of no value (sums and counts are never NULL)
            return None
        return int(raw) if whole else float(raw)

    return number


async def answer(
    question: Question,
    principal: Principal,
    *,
    sessions: SessionFactory,
    dialect: str,
    zone: tzinfo,
    analyst_timeout_ms: int,
    rollups: Callable[[], Awaitable[frozenset[str]]] | None = None,
) -> Answer:
    """The groups and totals of `question` over the rows `principal` may see, run on `sessions`
    (the analytics replica when configured) within the analysts' statement timeout.

    `rollups` makes the metrics rollups fresh and returns the groups built
    (`services.metrics.freshness.freshen`); when given and the question is covered
    (`rollup_source.covered`), the answer comes from them, else from the raw rows."""
    check(question)
    if question.criteria is not None:
        await check_store_codes(sessions, question.criteria)
    engine = Engine(
        sessions=sessions,
        zone=zone,
        dialect=dialect,
        stores=None,
        prepare=_no_rollups,
        timeout_ms=analyst_timeout_ms if principal.role is Role.ANALYST else 0,
        local_settings=ANALYTICS_SETTINGS,
    )
    from_channels = await _from_channel_days(question, principal, engine, rollups)
    if from_channels is not None:
        return _read(question, *from_channels, Source.ROLLUP)
    statement = await _from_rollups(question, principal, zone, dialect, rollups)
    if statement is None:
        statement = await _from_line_rollups(question, principal, sessions, zone, dialect, rollups)
    source = Source.ROLLUP
    if statement is None:
        facts = fact_rows(question, principal, zone, dialect)
        statement, source = _statement(question, facts, dialect), Source.RAW
    found = await engine.fetch(statement)
    return _read(question, [c.name for c in statement.selected_columns], found, source)


def _read(question: Question, names: list[str], found: Sequence[Sequence[Any]], source: Source) -> Answer:
    """The answer of the statement's rows (columns `names`): the totals row (`t` > 0), then the
    groups."""
    t, groups_at = names.index("t"), names.index("groups")
    first = names.index("m0")  # k0.. come before it
    total = next(row for row in found if row[t])
    groups = [row for row in found if not row[t]]
    if not question.group_by:  # the one row is the group and the totals; `having` applies here
        used = used_measures(question)
        kept = all(_passes(h, total[first + used.index(h.measure)]) for h in question.having)
        groups = [total] if kept else []
    count = int(found[0][groups_at]) if question.group_by else len(groups)
    if question.top is None and count > DEFAULT_TOP:
        raise DomainError(
            ErrorCode.TOO_MANY_GROUPS,
            f"the grouping has {count} groups, more than {DEFAULT_TOP}: give `top` (at most "
            f"{MAX_GROUPS}) and a sort to keep the first ones, or narrow the filter",
            "groupBy",
        )
    fact_specs = specs(question.fact)
    numbers = [_number(fact_specs[m]) for m in question.measures]
    decoded: dict[tuple[int, Any], Key] = {}

    def key(i: int, dimension: Dimension, raw: Any) -> Key:
        found_key = decoded.get((i, raw))
        if found_key is None:
            found_key = decoded[(i, raw)] = decode_key(dimension, raw)
        return found_key

    dimensions = list(enumerate(question.group_by))
    columns = list(enumerate(numbers, first))
    rows = tuple(
        Group(
            tuple([key(i, d, row[i]) for i, d in dimensions]),
            tuple([number(row[j]) for j, number in columns]),
        )
        for row in groups
    )
    return Answer(
        tuple(Measured(m, fact_specs[m].kind) for m in question.measures),
        rows,
        tuple(number(total[j]) for j, number in columns),
        count,
        source,
    )


async def _from_rollups(
    question: Question,
    principal: Principal,
    zone: tzinfo,
    dialect: str,
    rollups: Callable[[], Awaitable[frozenset[str]]] | None,
) -> Select[Any] | None:
    """The statement over the rollups, when they can answer and are built."""
    if rollups is None or question.span is None:
        return None
    used, plain = used_measures(question), _plain(question, Fact.ORDERS)
    if not covered(question.time.value, question.group_by, used, plain=plain, principal=principal):
        return None
    return await rollup_statement(
        question.time.value, question.group_by, _plan(question), question.span, zone, dialect, await rollups()
    )


async def _from_channel_days(
    question: Question,
    principal: Principal,
    engine: Engine,
    rollups: Callable[[], Awaitable[frozenset[str]]] | None,
) -> tuple[list[str], Sequence[Sequence[Any]]] | None:
    """The rows read from the channel days, when they can answer and are built."""
    if rollups is None or question.span is None:
        return None
    used, plain, time = used_measures(question), _plain(question, Fact.ORDERS), question.time.value
    if not channel_source.covered(time, question.group_by, used, plain=plain, principal=principal):
        return None
    return await channel_source.channel_rows(
        engine, question.group_by, _plan(question), question.span, engine.zone, await rollups()
    )


async def _from_line_rollups(
    question: Question,
    principal: Principal,
    sessions: SessionFactory,
    zone: tzinfo,
    dialect: str,
    rollups: Callable[[], Awaitable[frozenset[str]]] | None,
) -> Select[Any] | None:
    """The statement over the category line hours, when they can answer, are built and follow
    the catalogue (`line_rollups`)."""
    if rollups is None or question.span is None:
        return None
    used, plain = used_measures(question), _plain(question, Fact.ORDER_LINES)
    if not covered_lines(question.time.value, question.group_by, used, plain=plain, principal=principal):
        return None
    ready = await rollups()
    if not await follows_catalogue(sessions):
        return None
    return line_rollup_statement(
        question.time.value,
        question.group_by,
        _plan(question),
        question.span,
        zone=zone,
        dialect=dialect,
        ready=ready,
    )


def _plain(question: Question, fact: Fact) -> bool:
    """A question about `fact` with neither a filter nor a query string (what summaries can answer)."""
    criteria = question.criteria
    return question.fact is fact and criteria.filter is None and criteria.query is None


def _passes(having: Having, raw: Any) -> bool:
    """SQL's HAVING on one value: NULL passes no comparison."""
    return raw is not None and bool(_COMPARE[having.comparison](raw, having.value))


async def _no_rollups() -> frozenset[str]:
    return frozenset()
