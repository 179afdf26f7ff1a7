"""Requests that are not GraphQL requests (gql/gate/request_guard.py, gql/http/bodies.py): each is a 4xx
with a GraphQL error body coded BAD_REQUEST, never a 5xx or a plain-text answer, and the connection
stays usable (GraphQL over HTTP: a POST must be `application/json`, the body a JSON object)."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from gql.gate.limits import COUNTERS
from gql.settings import load_settings
from tests.api.conftest import Api
from tests.api.gated_app import gated_api
from tests.api.live_server import live_server
from tests.conftest import Database

JSON = {"content-type": "application/json"}
VIEWER = b'{"query": "{ viewer { role } }"}'


def _refusal(status: int, body: bytes) -> str:
    """The message of a BAD_REQUEST refusal (fails the test for anything else)."""
    parsed = orjson.loads(body)
    assert parsed["data"] is None
    [error] = parsed["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST", (status, parsed)
    message: str = error["message"]
    return message


async def _still_answers(api: Api) -> None:
    r = await api.http.post("/graphql", content=VIEWER, headers=JSON)
    assert r.status_code == 200
    assert r.json()["data"] == {"viewer": {"role": None}}


@pytest.mark.parametrize(
    "body",
    [b"null", b"42", b"true", b'"x"', b"", b"   ", b"\xff\xfe", b"\xef\xbb\xbf{}", b"nul"],
)
async def test_a_body_that_is_not_a_json_object_is_a_400(body: bytes) -> None:
    async with gated_api() as api:
        rejections = COUNTERS.rejections["BAD_REQUEST"]
        r = await api.http.post("/graphql", content=body, headers=JSON)
        assert r.status_code == 400
        assert r.headers["content-type"] == "application/json"
        _refusal(r.status_code, r.content)
        assert COUNTERS.rejections["BAD_REQUEST"] == rejections + 1
        await _still_answers(api)


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": ',
        b'{"query": "\xff"}',
        b'{"query": "{ viewer { role } }", "variables": {"n": NaN}}',
        b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b"{}",
        b'{"query": 1}',
        b'{"query": "{ viewer { role } }", "variables": [1]}',
        b'{"query": "{ viewer { role } }", "extensions": 42}',
    ],
)
async def test_a_json_object_that_is_not_a_graphql_request_is_a_400(body: bytes) -> None:
    async with gated_api() as api:
        r = await api.http.post("/graphql", content=body, headers=JSON)
        assert r.status_code == 400
        _refusal(r.status_code, r.content)
        await _still_answers(api)


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (None, 400),
        ("", 400),
        ("text/plain", 415),
        ("application/x-www-form-urlencoded", 415),
        ("multipart/form-data; boundary=x", 415),
        ("application/graphql", 415),
    ],
)
async def test_a_post_must_be_application_json(content_type: str | None, status: int) -> None:
    async with gated_api() as api:
        executions = COUNTERS.executions
        headers = {} if content_type is None else {"content-type": content_type}
        r = await api.http.post("/graphql", content=VIEWER, headers=headers)
        assert r.status_code == status
        assert "Content-Type" in _refusal(r.status_code, r.content)
        assert COUNTERS.executions == executions
        ok = await api.http.post(
            "/graphql", content=VIEWER, headers={"content-type": "application/json; charset=utf-8"}
        )
        assert ok.status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"query": "{ viewer { role } }", "variables": "{bad"},
        {"query": "{ viewer { role } }", "variables": "[1]"},
        {"query": "{ viewer { role } }", "extensions": "42"},
        {"query": "mutation { trackEvents(events: []) { accepted } }"},
        {"variables": "{}"},
    ],
)
async def test_bad_get_parameters_are_a_graphql_error_body(params: dict[str, str]) -> None:
    async with gated_api() as api:
        r = await api.http.get("/graphql", params=params, headers={"accept": "application/json"})
        assert 400 <= r.status_code < 500
        _refusal(r.status_code, r.content)


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes
) -> tuple[int, bytes]:
    """One request on an open HTTP/1.1 connection; (status, body)."""
    head = (
        "POST /graphql HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
        assert name.lower() != "connection" or value.strip().lower() != "close"
    return int(status_line.split()[1]), await reader.readexactly(length)


async def test_the_keep_alive_connection_survives_a_bad_body(db: Database) -> None:
    settings = load_settings(database_url=db.url, environment="test")
    async with live_server(db, settings) as live:
        reader, writer = await asyncio.open_connection("127.0.0.1", live.port)
        try:
            for bad in (b"null", b"42", b"true", b'"x"'):
                status, body = await _exchange(reader, writer, bad)
                assert status == 400
                _refusal(status, body)
                status, body = await _exchange(reader, writer, VIEWER)  # the same connection
                assert (status, orjson.loads(body)["data"]) == (200, {"viewer": {"role": None}})
        finally:
            writer.close()
