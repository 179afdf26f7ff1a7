"""One structured log line per request, and the Prometheus metrics the operators scrape."""

from __future__ import annotations

import logging

import orjson
import pytest
from prometheus_client import REGISTRY

from gql.http.logging_setup import JsonFormatter
from services.cache import MemoryCache
from services.db import count_statements
from services.telemetry import cache_family, operation_label
from tests.api.conftest import Api
from tests.factories import Seed

STORES = "query StoreList { stores(first: 5) { edges { node { code } } } }"


def _request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "mallgraph.request"]


async def test_a_request_logs_one_json_line_with_who_what_and_cost(
    api: Api, seed: Seed, caplog: pytest.LogCaptureFixture
) -> None:
    await seed.store("SH001")
    caplog.set_level(logging.INFO, logger="mallgraph.request")
    with count_statements() as outer:  # a counter around the request still sees every statement
        r = await api.as_hq().with_header("x-request-id", "req-42").execute(STORES)
    assert r.errors == []
    (line,) = _request_lines(caplog)
    entry = orjson.loads(JsonFormatter().format(line))
    assert entry["request_id"] == "req-42"
    assert entry["principal"] == "HQ_ADMIN:test-hq_admin-"
    assert entry["operation"] == "StoreList"
    assert entry["status"] == 200
    assert entry["sql_statements"] == outer.count > 0
    assert entry["error_codes"] == []
    assert entry["duration_ms"] > 0
    assert {"ts", "level", "logger", "msg", "pid"} <= entry.keys()
    assert entry["cost"] == r.body["extensions"]["cost"]["requestedQueryCost"] > 0


async def test_errors_are_logged_and_counted_by_code(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mallgraph.request")
    before = REGISTRY.get_sample_value("mallgraph_graphql_errors_total", {"code": "UNAUTHENTICATED"}) or 0
    r = await api.execute("query Mine { orders(first: 1) { totalCount } }")
    assert r.error_codes == ["UNAUTHENTICATED"]
    (line,) = _request_lines(caplog)
    assert line.error_codes == ["UNAUTHENTICATED"]  # type: ignore[attr-defined]
    assert line.principal == "anonymous"  # type: ignore[attr-defined]
    after = REGISTRY.get_sample_value("mallgraph_graphql_errors_total", {"code": "UNAUTHENTICATED"})
    assert after == before + 1


async def test_metrics_endpoint(api: Api, seed: Seed) -> None:
    await seed.store("SH001")
    for _ in range(3):
        await api.execute(STORES)
    text = (await api.http.get("/metrics")).text
    assert 'mallgraph_graphql_request_duration_seconds_count{kind="query",operation="StoreList"}' in text
    assert 'mallgraph_sql_statements_per_request_count{operation="StoreList"}' in text
    for name in (
        "mallgraph_active_subscriptions",
        "mallgraph_sweep_backlog",
        "mallgraph_cache_lookups_total",
    ):
        assert f"# TYPE {name}" in text


async def test_cache_hits_and_misses_are_counted_by_key_family() -> None:
    def count(result: str) -> float:
        return (
            REGISTRY.get_sample_value(
                "mallgraph_cache_lookups_total", {"family": "gb:page", "result": result}
            )
            or 0
        )

    cache = MemoryCache()
    hits, misses = count("hit"), count("miss")
    await cache.get("mg:gb:page:7:0:v1")
    await cache.set("mg:gb:page:7:0:v1", b"{}", 60)
    await cache.get("mg:gb:page:7:0:v1")
    assert (count("hit") - hits, count("miss") - misses) == (1, 1)
    assert cache_family("metrics:ab12") == "metrics"
    assert cache_family("mg:gb:v:3") == "gb:v"


def test_operation_labels_stay_bounded() -> None:
    assert operation_label(None) == "anonymous"
    assert operation_label("Orders-List!" + "x" * 200) == ("Orders_List_" + "x" * 200)[:64]


async def test_a_document_that_does_not_parse_is_still_logged(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mallgraph.request")
    r = await api.execute("{ stores(first: ")
    assert r.errors
    (line,) = _request_lines(caplog)
    assert line.operation == "anonymous"  # type: ignore[attr-defined]
    assert line.error_codes == r.error_codes  # type: ignore[attr-defined]
