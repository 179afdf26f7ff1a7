"""Which operation of a document runs: the spec's GetOperation, and subscriptions only over WebSocket."""

from __future__ import annotations

from typing import Any

import pytest

from gql.gate.limits import COUNTERS
from tests.api.conftest import Response
from tests.api.gated_app import gated_api

TWO = "query A { viewer { role } } query B { __typename }"
SUBSCRIPTION = "subscription { myOrderUpdates { __typename } }"


async def _send(method: str, body: dict[str, Any]) -> Response:
    async with gated_api() as api:
        executions = COUNTERS.executions
        if method == "GET":
            params = {k: v for k, v in body.items() if v is not None}
            r = await api.http.get("/graphql", params=params, headers={"accept": "application/json"})
        else:
            r = await api.http.post("/graphql", json=body)
        response = Response(r.status_code, r.json())
        if response.errors:
            assert COUNTERS.executions == executions, "a refused operation ran"
        return response


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": TWO}, "operationName is required when the document has several operations (A, B)"),
        ({"query": TWO, "operationName": "C"}, "the document has no operation named 'C'"),
        ({"query": "{ viewer { role } }", "operationName": "A"}, "the document has no operation named 'A'"),
        (
            {"query": SUBSCRIPTION},
            "subscriptions run over WebSocket (graphql-transport-ws) at /graphql, not over HTTP",
        ),
    ],
)
async def test_the_operation_to_run_is_chosen_as_the_spec_says(
    method: str, body: dict[str, Any], message: str
) -> None:
    r = await _send(method, body)
    assert r.status == 200
    assert r.body == {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}],
    }


async def test_operation_name_picks_one_of_several() -> None:
    r = await _send("POST", {"query": TWO, "operationName": "B"})
    assert r.errors == []
    assert r.data == {"__typename": "Query"}
    r = await _send("POST", {"query": "query A { __typename }", "operationName": "A"})
    assert r.data == {"__typename": "Query"}
    r = await _send("POST", {"query": "{ __typename }", "operationName": None})
    assert r.data == {"__typename": "Query"}
