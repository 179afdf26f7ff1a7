"""A small, faithful graphql-transport-ws client (the protocol of the `graphql-ws` npm client).

It speaks the protocol as written in the graphql-ws PROTOCOL.md: the `graphql-transport-ws`
sub-protocol, `connection_init` with a payload, `connection_ack`, `subscribe`/`next`/`error`/
`complete` per operation id, and `ping`/`pong` both ways (it answers the server's pings as
the npm client does, and remembers how many it saw).
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROTOCOL = "graphql-transport-ws"


class Closed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass
class GraphQLWs:
    ws: ClientConnection
    pings_seen: int = 0
    pongs_seen: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _inbox: dict[str, asyncio.Queue[dict[str, Any]]] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None
    closed: Closed | None = None

    @classmethod
    async def open(
        cls, url: str, payload: dict[str, Any] | None = None, *, answer_pings: bool = True
    ) -> GraphQLWs:
        """Connect and initialise; raises Closed if the server refuses (e.g. 4403)."""
        ws = await connect(url, subprotocols=[PROTOCOL], open_timeout=5)  # type: ignore[list-item]
        assert ws.subprotocol == PROTOCOL
        client = cls(ws)
        await client._send({"type": "connection_init", "payload": payload or {}})
        try:
            ack = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        except ConnectionClosed as exc:
            raise Closed(exc.rcvd.code if exc.rcvd else None, exc.rcvd.reason if exc.rcvd else "") from None
        assert ack["type"] == "connection_ack", ack
        client._reader = asyncio.create_task(client._read(answer_pings))
        return client

    async def _send(self, message: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(message).decode())

    async def _read(self, answer_pings: bool) -> None:
        try:
            async for raw in self.ws:
                message = orjson.loads(raw)
                kind = message["type"]
                if kind == "ping":
                    self.pings_seen += 1
                    if answer_pings:
                        await self._send({"type": "pong"})
                elif kind == "pong":
                    self.pongs_seen += 1
                else:
                    self._inbox.setdefault(message["id"], asyncio.Queue()).put_nowait(message)
        except ConnectionClosed:
            pass
        rcvd = self.ws.close_code, self.ws.close_reason or ""
        self.closed = Closed(rcvd[0], rcvd[1])
        for queue in self._inbox.values():
            queue.put_nowait({"type": "closed"})

    async def ping(self) -> None:
        await self._send({"type": "ping"})

    async def subscribe(self, query: str, **variables: Any) -> str:
        op_id = str(next(self._ids))
        self._inbox.setdefault(op_id, asyncio.Queue())
        await self._send(
            {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
        return op_id

    async def complete(self, op_id: str) -> None:
        await self._send({"id": op_id, "type": "complete"})

    async def receive(self, op_id: str, within: float = 10.0) -> dict[str, Any]:
        """The next message of one operation (`next`, `error` or `complete`); Closed if the socket closed."""
        queue = self._inbox.setdefault(op_id, asyncio.Queue())
        if self.closed is not None and queue.empty():
            raise self.closed
        message = await asyncio.wait_for(queue.get(), within)
        if message["type"] == "closed":
            assert self.closed is not None
            raise self.closed
        return message

    async def payloads(self, op_id: str, count: int, within: float = 10.0) -> list[dict[str, Any]]:
        """The data of the next `count` events of a subscription (fails on errors)."""
        out = []
        for _ in range(count):
            message = await self.receive(op_id, within)
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message["payload"]
            out.append(message["payload"]["data"])
        return out

    async def nothing_within(self, op_id: str, seconds: float) -> bool:
        queue = self._inbox.setdefault(op_id, asyncio.Queue())
        await asyncio.sleep(seconds)
        return queue.empty()

    async def wait_closed(self, within: float = 10.0) -> Closed:
        if self._reader is not None:
            await asyncio.wait_for(asyncio.shield(self._reader), within)
        assert self.closed is not None
        return self.closed

    async def close(self) -> None:
        await self.ws.close()
        if self._reader is not None:
            await self._reader
