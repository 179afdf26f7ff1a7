"""The real app served by uvicorn in the test's event loop, on a loopback port (HTTP + WebSocket)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn

from gql.app import Resources, create_app
from gql.settings import Settings
from services.cache import MemoryCache
from services.event_bus import EventBus, MemoryBus
from services.payments import DevPaymentGateway
from tests.api.conftest import Api
from tests.conftest import Database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LiveServer:
    api: Api
    resources: Resources
    port: int

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"


@asynccontextmanager
async def live_server(
    db: Database, settings: Settings, bus: EventBus | None = None
) -> AsyncIterator[LiveServer]:
    gateway = DevPaymentGateway()
    resources = Resources(settings, db.engine, db.sessions, MemoryCache(), gateway, bus=bus or MemoryBus())
    port = free_port()
    config = uvicorn.Config(
        create_app(resources=resources), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
        if task.done():
            task.result()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            yield LiveServer(Api(http, settings, gateway), resources, port)
    finally:
        server.should_exit = True
        await task
