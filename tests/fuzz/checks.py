"""What every answer must be, however hostile the request: the invariants the fuzz suite asserts."""

from __future__ import annotations

import json
from typing import Any

import orjson

from models.errors import ErrorCode
from tests.api.conftest import Api

STABLE_CODES = frozenset(ErrorCode) - {ErrorCode.INTERNAL_SERVER_ERROR}
"""Every code a refusal may carry: the documented enum, never the masked internal error."""

NORMAL = "{ categories { name } }"
"""A public query any caller may send: after an attack it must still answer, with data."""


def codes(body: Any) -> list[str | None]:
    if not isinstance(body, dict):
        return []
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or [] if isinstance(e, dict)]


def problems(status: int, raw: bytes) -> list[str]:
    """Why an answer breaks the contract (empty: it keeps it).

    The contract: no 5xx; a JSON object body; every error carries a stable code, and never
    INTERNAL_SERVER_ERROR.
    """
    found: list[str] = []
    if status >= 500:
        found.append(f"HTTP {status}")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return [*found, f"not JSON: {raw[:200]!r}"]
    if not isinstance(body, dict):
        return [*found, f"not a JSON object: {raw[:200]!r}"]
    for code in codes(body):
        if code not in STABLE_CODES:
            found.append(f"error code {code!r}")
    return found


def headers(caller: Api) -> dict[str, str]:
    found = {"content-type": "application/json"}
    if caller.token:
        found["authorization"] = f"Bearer {caller.token}"
    return found


async def post(caller: Api, body: Any) -> tuple[int, bytes]:
    """POST one JSON body (bytes are sent as they are) as `caller`; (status, raw body)."""
    if isinstance(body, bytes):
        content = body
    else:
        try:
            content = orjson.dumps(body)
        except TypeError:  # an integer past 64 bits: valid JSON all the same
            content = json.dumps(body).encode()
    r = await caller.http.post("/graphql", content=content, headers=headers(caller))
    return r.status_code, r.content


async def still_answers(caller: Api) -> bool:
    """The normal query answers with data and no error."""
    status, raw = await post(caller, {"query": NORMAL})
    body = orjson.loads(raw)
    return status == 200 and not body.get("errors") and isinstance(body["data"]["categories"], list)
