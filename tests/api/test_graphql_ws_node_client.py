"""The real `graphql-ws` npm client (what the admin SPA uses), under node, against a real server.

`make test` installs it (`npm ci --prefix tests/node`) when npm is there; without node or the
installed package this module skips with the reason (the Python client in test_subscriptions.py
covers the protocol either way).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from gql.gate.auth import mint_token
from gql.settings import load_settings
from models.enums import Role
from tests.api.live_server import LiveServer, live_server
from tests.api.order_flow import open_shop, place_and_pay
from tests.conftest import Database
from tests.factories import Seed

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
SCRIPT = NODE_DIR / "subscribe.mjs"
EVENTS = """subscription($types: [OrderEventType!]) {
  orderEvents(types: $types) { cursor type order { orderNo status } } }"""


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the graphql-ws npm client runs under node)")
    if not (NODE_DIR / "node_modules" / "graphql-ws").is_dir():
        pytest.skip("graphql-ws is not installed: run `npm ci --prefix tests/node` (make test does)")
    return node


@pytest.fixture
async def server(db: Database) -> AsyncIterator[LiveServer]:
    settings = load_settings(database_url=db.url, environment="test", subscription_ping_seconds=0.2)
    async with live_server(db, settings) as live:
        yield live


class NodeClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[dict[str, Any]] = []

    @classmethod
    async def start(
        cls, server: LiveServer, params: dict[str, Any], variables: dict[str, Any], wanted: int
    ) -> NodeClient:
        process = await asyncio.create_subprocess_exec(
            _node(),
            str(SCRIPT),
            server.ws_url,
            orjson.dumps(params).decode(),
            EVENTS,
            orjson.dumps(variables).decode(),
            str(wanted),
            stdout=asyncio.subprocess.PIPE,
            cwd=NODE_DIR,
        )
        return cls(process)

    async def until(self, event: str, within: float = 15.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(within):
            while True:
                raw = await self.process.stdout.readline()
                assert raw, f"node exited before {event!r}: {self.lines}"
                line: dict[str, Any] = orjson.loads(raw)
                self.lines.append(line)
                if line["event"] == event:
                    return line

    async def finish(self) -> None:
        async with asyncio.timeout(15):
            await self.process.wait()


async def test_the_npm_client_is_refused_with_4403_on_a_bad_token(server: LiveServer) -> None:
    client = await NodeClient.start(server, {"Authorization": "Bearer nope"}, {}, 1)
    closed = await client.until("closed")
    assert closed["code"] == 4403
    await client.finish()


async def test_the_npm_client_receives_new_orders_and_pings_both_ways(server: LiveServer, seed: Seed) -> None:
    shop = await open_shop(seed)
    token = mint_token(server.api.settings, Role.STORE_STAFF, "spa", store_ids=[shop.a.id])
    client = await NodeClient.start(
        server, {"Authorization": f"Bearer {token}"}, {"types": ["NEW_ORDER", "ACCEPTED"]}, 1
    )
    await client.until("connected")
    await asyncio.sleep(0.5)  # the subscription reaches the bus; pings go both ways meanwhile
    paid = await place_and_pay(server.api, shop)
    line = await client.until("next")
    assert line["result"]["data"]["orderEvents"]["type"] == "NEW_ORDER"
    assert line["result"]["data"]["orderEvents"]["order"] == {
        "orderNo": paid["orderNo"],
        "status": "PENDING_ACCEPTANCE",
    }
    closed = await client.until("closed")
    assert closed["code"] == 1000  # the client disposed of itself after one event
    await client.finish()
    seen = {(x["event"], x.get("fromServer")) for x in client.lines}
    assert ("pong", True) in seen  # the server answered the client's keep-alive pings
    assert ("ping", True) in seen  # the server's own heartbeat reached the client
