"""Apollo APQ exactly as clients speak it, trusted documents, and the parse/validate cache."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from gql.gate.limits import COUNTERS
from gql.gate.persisted_queries import ManifestError, load_manifest
from services.cache import MemoryCache, RedisCache
from tests.api.conftest import Api
from tests.api.gated_app import gated_api
from tests.conftest import REDIS_URL, unavailable

QUERY = "query Viewer { viewer { role } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()


def _apq(sha: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def _post(api: Api, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    r = await api.http.post("/graphql", json=body, headers=headers)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def _get(api: Api, params: dict[str, str], token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    r = await api.http.get("/graphql", params=params, headers={**headers, "accept": "application/json"})
    is_json = r.headers.get("content-type", "").startswith("application/json")
    return r.status_code, r.json() if is_json else {"text": r.text}


async def test_apq_miss_register_then_hit_by_get() -> None:
    async with gated_api() as api:
        miss = await _post(api, {"extensions": _apq(HASH)})
        assert miss == {
            "data": None,
            "errors": [
                {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
            ],
        }
        registered = await _post(api, {"query": QUERY, "extensions": _apq(HASH)})
        assert registered["data"] == {"viewer": {"role": None}}
        status, hit = await _get(api, {"extensions": orjson.dumps(_apq(HASH)).decode()})
        assert status == 200
        assert hit["data"] == {"viewer": {"role": None}}
        assert hit["extensions"]["cost"]["requestedQueryCost"] == 1
        # POST by hash alone works too, with variables and an operation name
        again = await _post(api, {"extensions": _apq(HASH), "operationName": "Viewer"})
        assert again["data"] == {"viewer": {"role": None}}


async def test_apq_hash_must_match_the_query() -> None:
    async with gated_api() as api:
        wrong = await _post(api, {"query": QUERY, "extensions": _apq("0" * 64)})
        assert wrong["errors"][0]["message"] == "provided sha does not match query"
        assert wrong["errors"][0]["extensions"]["code"] == "INVALID_PERSISTED_QUERY_HASH"
        bad = await _post(api, {"extensions": _apq("not-a-hash")})
        assert bad["errors"][0]["extensions"]["code"] == "INVALID_PERSISTED_QUERY_HASH"
        version = await _post(api, {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": HASH}}})
        assert version["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        # nothing was stored by the failed registration
        miss = await _post(api, {"extensions": _apq(HASH)})
        assert miss["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_invalid_documents_are_not_persisted() -> None:
    text = "{ viewer { nope } }"
    sha = hashlib.sha256(text.encode()).hexdigest()
    async with gated_api() as api:
        r = await _post(api, {"query": text, "extensions": _apq(sha)})
        assert r["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        miss = await _post(api, {"extensions": _apq(sha)})
        assert miss["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_get_never_runs_mutations_even_when_persisted() -> None:
    mutation = "mutation { trackEvents(events: []) { accepted } }"
    sha = hashlib.sha256(mutation.encode()).hexdigest()
    cache = MemoryCache()
    await cache.set(f"mallgraph:apq:{sha}", mutation.encode(), 60)
    async with gated_api(cache=cache) as api:
        executions = COUNTERS.executions
        status, _ = await _get(api, {"extensions": orjson.dumps(_apq(sha)).decode()})
        assert status in (400, 405)
        status, _ = await _get(api, {"query": mutation})
        assert status in (400, 405)
        assert COUNTERS.executions == executions


async def test_repeated_documents_skip_parse_and_validation() -> None:
    async with gated_api() as api:
        parses, validations, hits = COUNTERS.parses, COUNTERS.validations, COUNTERS.document_cache_hits
        for _ in range(20):
            r = await api.execute("{ viewer { role } again: viewer { role } }")
            assert r.data == {"viewer": {"role": None}, "again": {"role": None}}
        assert COUNTERS.parses - parses == 1
        assert COUNTERS.validations - validations == 1
        assert COUNTERS.document_cache_hits - hits == 19


def _manifest(tmp_path: Path, documents: list[str], apollo: bool = True) -> Path:
    path = tmp_path / "manifest.json"
    if apollo:
        operations = [
            {"id": hashlib.sha256(d.encode()).hexdigest(), "body": d, "name": f"Op{i}", "type": "query"}
            for i, d in enumerate(documents)
        ]
        path.write_bytes(
            orjson.dumps(
                {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
            )
        )
    else:
        path.write_bytes(orjson.dumps({hashlib.sha256(d.encode()).hexdigest(): d for d in documents}))
    return path


@pytest.mark.parametrize("apollo", [True, False])
async def test_trusted_documents_only_for_shoppers_and_anonymous(tmp_path: Path, apollo: bool) -> None:
    path = _manifest(tmp_path, [QUERY], apollo=apollo)
    async with gated_api(trusted_documents_path=path, trusted_documents_only=True) as api:
        # the manifest's documents run by hash alone, no registration round trip
        r = await _post(api, {"extensions": _apq(HASH)})
        assert r["data"] == {"viewer": {"role": None}}
        r = await _post(api, {"query": QUERY})
        assert r["data"] == {"viewer": {"role": None}}
        for token in (None, api.as_shopper(1).token):
            r = await _post(api, {"query": "{ viewer { role customer { nickname } } }"}, token)
            assert r["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
            other = "{ stores(first: 1) { totalCount } }"
            sha = hashlib.sha256(other.encode()).hexdigest()
            r = await _post(api, {"query": other, "extensions": _apq(sha)}, token)
            assert r["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        # the back office is not restricted
        r = await _post(api, {"query": "{ viewer { role } }"}, api.as_hq().token)
        assert r["data"] == {"viewer": {"role": "HQ_ADMIN"}}


def test_a_manifest_with_a_wrong_hash_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(orjson.dumps({"0" * 64: QUERY}))
    with pytest.raises(ManifestError, match="not the SHA-256"):
        load_manifest(path)
    path.write_bytes(b"[1, 2]")
    with pytest.raises(ManifestError):
        load_manifest(path)


async def test_apq_in_redis_is_shared_by_processes() -> None:
    cache = RedisCache(REDIS_URL)
    if not await cache.ping():
        await cache.close()
        unavailable("Redis", f"no server at {REDIS_URL} (set TEST_REDIS_URL)")
    text = f"query Shared{uuid.uuid4().hex} {{ viewer {{ role }} }}"  # a hash no earlier run stored
    sha = hashlib.sha256(text.encode()).hexdigest()
    try:
        async with gated_api(cache=cache) as one, gated_api(cache=cache) as two:
            assert (await _post(one, {"query": text, "extensions": _apq(sha)}))["data"] == {
                "viewer": {"role": None}
            }
            status, hit = await _get(two, {"extensions": orjson.dumps(_apq(sha)).decode()})
            assert status == 200
            assert hit["data"] == {"viewer": {"role": None}}
            assert 0 < await cache.client.ttl(f"mallgraph:apq:{sha}") <= one.settings.apq_ttl_seconds
    finally:
        await cache.delete(f"mallgraph:apq:{sha}")
        await cache.close()
