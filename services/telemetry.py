"""Prometheus metrics of the whole process, defined once (services and the HTTP edge both record).

With several worker processes (`mallgraph serve --workers N`) the `serve` command points
`PROMETHEUS_MULTIPROC_DIR` at a fresh directory before the workers start: each process then
writes its samples to memory-mapped files there and `/metrics`, answered by any worker, sums
them (gauges say how: `livesum` counts only live processes, `max` takes the largest).
Label values are bounded: operation names are clipped and normalised, error codes come from
the ErrorCode enum, cache families from our own key prefixes.
"""

from __future__ import annotations

import re
from typing import Final

from prometheus_client import Counter, Gauge, Histogram

REQUEST_DURATION: Final = Histogram(
    "mallgraph_graphql_request_duration_seconds",
    "Time to run one GraphQL operation (parse, validate, execute), by operation name and kind.",
    ["operation", "kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ERRORS: Final = Counter(
    "mallgraph_graphql_errors_total", "GraphQL errors and userErrors, by extensions.code.", ["code"]
)
SQL_STATEMENTS: Final = Histogram(
    "mallgraph_sql_statements_per_request",
    "SQL statements one HTTP request ran (N+1 regressions show here first).",
    ["operation"],
    buckets=(0, 1, 2, 4, 8, 12, 16, 24, 32, 64, 128),
)
CACHE_LOOKUPS: Final = Counter(
    "mallgraph_cache_lookups_total",
    "Cache reads by key family (gb:page = group-buy page, gb:v = its version, metrics = figures).",
    ["family", "result"],
)
SWEEP_RUNS: Final = Counter("mallgraph_sweep_runs_total", "Runs of the background sweeps.", ["outcome"])
SWEEP_ITEMS: Final = Counter(
    "mallgraph_sweep_items_total", "Rows the sweeps moved, by kind (payment_timeouts, …).", ["kind"]
)
SWEEP_BACKLOG: Final = Gauge(
    "mallgraph_sweep_backlog",
    "Rows due for a sweep when it last looked (capped at its batch size), by kind.",
    ["kind"],
    multiprocess_mode="max",
)
ACTIVE_SUBSCRIPTIONS: Final = Gauge(
    "mallgraph_active_subscriptions",
    "GraphQL subscriptions open now (order and coupon events).",
    multiprocess_mode="livesum",
)
EVENTS_PUBLISHED: Final = Counter(
    "mallgraph_order_events_published_total",
    "Order-event notices after commit, by result (ok, failed, skipped: Redis known down).",
    ["result"],
)
REDIS_BREAKER_STATE: Final = Gauge(
    "mallgraph_redis_breaker_state",
    "The Redis circuit breaker (services/redis_breaker.py): 0 closed, 1 half-open, 2 open.",
    ["breaker"],
    multiprocess_mode="max",
)
REDIS_SHORT_CIRCUITS: Final = Counter(
    "mallgraph_redis_short_circuits_total",
    "Redis calls not made because the breaker was open (the caller failed open at once).",
    ["breaker"],
)

_NAME = re.compile(r"[^A-Za-z0-9_]")


def operation_label(name: str | None) -> str:
    """A bounded label value: clients choose operation names, so clip and normalise them."""
    return _NAME.sub("_", name)[:64] if name else "anonymous"


def cache_family(key: str) -> str:
    parts = key.split(":")
    if parts and parts[0] == "mg":
        parts = parts[1:]
    return ":".join(parts[:2]) if len(parts) > 2 else (parts[0] if parts else "other")


def record_cache(key: str, hit: bool) -> None:
    CACHE_LOOKUPS.labels(cache_family(key), "hit" if hit else "miss").inc()
