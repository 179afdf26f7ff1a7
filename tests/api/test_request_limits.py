"""HTTP-level limits (body size, batching, CORS), introspection and suggestions by role and environment."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gql.gate.limits import COUNTERS
from models.enums import Role
from tests.api.conftest import Api
from tests.api.gated_app import gated_api
from tests.api.malicious_corpus import merge_floods

INTROSPECT = "{ __schema { queryType { name } } }"


async def test_oversized_body_is_413_with_a_graphql_error() -> None:
    async with gated_api(max_request_bytes=2_000) as api:
        r = await api.http.post(
            "/graphql", json={"query": "{ viewer { role } }", "variables": {"x": "y" * 3_000}}
        )
        assert r.status_code == 413
        assert r.json() == {
            "data": None,
            "errors": [
                {
                    "message": "the request body is larger than 2000 bytes",
                    "extensions": {"code": "REQUEST_TOO_LARGE"},
                }
            ],
        }

        async def chunks() -> AsyncIterator[bytes]:  # no content-length: counted while reading
            for _ in range(10):
                yield b" " * 500

        r = await api.http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        r = await api.http.post("/graphql", json={"query": "{ viewer { role } }"})
        assert r.status_code == 200


async def test_batches_are_refused_with_a_code() -> None:
    async with gated_api() as api:
        r = await api.http.post("/graphql", json=[{"query": "{ viewer { role } }"}] * 2)
        assert r.status_code == 400
        assert r.json()["errors"][0]["extensions"]["code"] == "BATCHING_NOT_SUPPORTED"


async def test_cors_only_for_configured_origins() -> None:
    origin = "https://admin.mallgraph.example"
    async with gated_api(cors_allow_origins=origin) as api:
        preflight = await api.http.options(
            "/graphql",
            headers={
                "origin": origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin
        r = await api.http.post("/graphql", json={"query": "{ viewer { role } }"}, headers={"origin": origin})
        assert r.headers["access-control-allow-origin"] == origin
        evil = await api.http.post(
            "/graphql", json={"query": "{ viewer { role } }"}, headers={"origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in evil.headers
    async with gated_api() as api:
        r = await api.http.post("/graphql", json={"query": "{ viewer { role } }"}, headers={"origin": origin})
        assert "access-control-allow-origin" not in r.headers


def _as(api: Api, role: Role | None) -> Api:
    if role is Role.SHOPPER:
        return api.as_shopper(1)
    if role is Role.STORE_STAFF:
        return api.as_staff(1)
    return api.as_role(role) if role else api


@pytest.mark.parametrize(
    ("environment", "role", "allowed"),
    [
        ("prod", None, False),
        ("prod", Role.SHOPPER, False),
        ("prod", Role.HQ_ADMIN, True),
        ("prod", Role.ANALYST, True),
        ("prod", Role.STORE_STAFF, False),
        ("dev", Role.STORE_STAFF, True),
        ("dev", None, True),
        ("dev", Role.SHOPPER, True),
    ],
)
async def test_introspection_by_role_and_environment(
    environment: str, role: Role | None, allowed: bool
) -> None:
    async with gated_api(environment=environment) as api:
        r = await _as(api, role).execute(INTROSPECT)
        if allowed:
            assert r.data == {"__schema": {"queryType": {"name": "Query"}}}
        else:
            assert r.data is None
            assert r.error_codes == ["INTROSPECTION_DISABLED"]


async def test_public_introspection_can_be_switched_on_in_production() -> None:
    async with gated_api(environment="prod", public_introspection=True) as api:
        assert (await api.execute(INTROSPECT)).errors == []


async def test_no_field_suggestions_in_production() -> None:
    async with gated_api(environment="prod") as api:
        r = await api.execute("{ viewer { rolle } }")
        assert r.error_codes == ["GRAPHQL_VALIDATION_FAILED"]
        assert "Did you mean" not in r.errors[0]["message"]
        # input coercion at execution time is stripped too
        r = await api.execute("query($r: Role) { viewer { role } }", r="HQ_ADMN")
        assert r.errors
        assert all("Did you mean" not in e["message"] for e in r.errors)
    async with gated_api() as api:
        r = await api.execute("{ viewer { rolle } }")
        assert "Did you mean" in r.errors[0]["message"]


async def test_limits_are_settings() -> None:
    async with gated_api(max_query_depth=2, max_query_aliases=1) as api:
        assert (await api.execute("{ viewer { role } }")).errors == []
        r = await api.execute("{ viewer { customer { nickname } } }")
        assert r.error_codes == ["MAX_DEPTH_EXCEEDED"]
        r = await api.execute("{ a: viewer { role } b: viewer { role } }")
        assert r.error_codes == ["MAX_ALIASES_EXCEEDED"]


async def test_a_failure_inside_the_gate_is_masked_like_any_unexpected_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gql.gate.admission

    def boom(*_: object) -> int:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(gql.gate.admission, "operation_cost", boom)
    async with gated_api() as api:
        r = await api.with_header("x-request-id", "req-gate").execute("{ viewer { role } }")
        assert r.status == 200
        assert r.body == {
            "data": None,
            "errors": [
                {
                    "message": "Internal server error",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-gate"},
                }
            ],
        }


def _fragment_bomb(levels: int) -> str:
    """Issue 21: each fragment spreads the previous one ten times; nine levels are 10⁹ fields."""
    parts = ["fragment Q0 on Query { categories { name } }"]
    parts += [f"fragment Q{i} on Query {{ {' '.join([f'...Q{i - 1}'] * 10)} }}" for i in range(1, levels + 1)]
    return f"{{ ...Q{levels} }} " + " ".join(parts)


async def test_the_fragment_bomb_is_refused_before_validation_as_anonymous() -> None:
    """Linear checks run first (tests/unit/test_document_shape.py counts their work): graphql-core's
    validation never sees the bomb, and no resolver runs."""
    async with gated_api() as api:
        validations, executions = COUNTERS.validations, COUNTERS.executions
        for levels in (5, 6, 9):
            text = _fragment_bomb(levels)
            assert len(text.encode()) < 900
            r = await api.execute(text)
            assert r.data is None
            assert r.error_codes == ["DOCUMENT_TOO_LARGE"]
            assert r.errors[0]["extensions"]["maxExpandedFields"] == 10_000
        assert (COUNTERS.validations, COUNTERS.executions) == (validations, executions)


async def test_fields_and_fragments_merged_into_one_place_are_bounded_before_validation() -> None:
    """OverlappingFieldsCanBeMerged is quadratic in what merges into one response key; the shape
    pass refuses past its limits first (tests/unit/test_document_shape.py counts both sides)."""
    async with gated_api() as api:
        validations, executions = COUNTERS.validations, COUNTERS.executions
        attacks = merge_floods()
        for attack in attacks:
            r = await api.execute(attack.body["query"])
            assert r.data is None
            assert r.error_codes == [attack.code], attack.body["query"][:80]
        assert (COUNTERS.validations, COUNTERS.executions) == (validations, executions)
        r = await api.execute("{ " + "viewer { role } " * 490 + "}")
        assert r.errors[0]["extensions"] == {"code": "DOCUMENT_TOO_LARGE", "maxMergedFields": 32}
        spreads = " ".join(f"...F{i}" for i in range(33))
        fragments = " ".join(f"fragment F{i} on Viewer {{ role }}" for i in range(33))
        r = await api.execute(f"{{ viewer {{ {spreads} }} }} {fragments}")
        assert r.errors[0]["extensions"] == {"code": "DOCUMENT_TOO_LARGE", "maxMergedFragments": 32}
        r = await api.execute("{ viewer { " + "role " * 32 + "subject " * 32 + "} }")
        assert r.errors == []  # at the limit on two keys
        r = await api.execute(attacks[-2].body["query"])  # 32 on each of five keys
        assert r.errors[0]["extensions"] == {"code": "DOCUMENT_TOO_LARGE", "maxMergedPairs": 2_000}
