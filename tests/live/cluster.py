"""Real server processes for the multi-process tests: `mallgraph serve` twice, a private Redis.

The Redis is our own `redis-server` on a free port (no persistence), so a test may stop and
restart it without touching anyone else's. Servers are started once per module: each costs a
Python start-up, and the machine is small.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis.asyncio as aioredis

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class PrivateRedis:
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _spawn(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server", "not on PATH (the multi-process tests start a private one)")
            return
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        self._spawn()
        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        try:
            for _ in range(100):
                try:
                    if await client.ping():
                        return
                except OSError:
                    pass
                except Exception:  # redis' own ConnectionError while it boots
                    pass
                await asyncio.sleep(0.05)
            raise RuntimeError(f"private redis-server on {self.port} did not start; see {self.log}")
        finally:
            await client.aclose()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@dataclass
class Server:
    name: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    http: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=20)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self, env: dict[str, str], workers: int = 1) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "serve", "--port", str(self.port), "--workers", str(workers)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, within: float = 60.0) -> dict[str, object]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")
            try:
                r = await self.http.get("/readyz")
                body: dict[str, object] = r.json()
                if r.status_code == 200 and body["status"] == "ok":
                    return body
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {within}s; see {self.log}")

    def terminate(self) -> int | None:
        """SIGTERM (what an orchestrator sends), then wait for the graceful exit."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(10)
        self.process = None
        return code


def server_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS_", "DATABASE_", "REDIS_"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ENVIRONMENT="test",
        SWEEP_INTERVAL_SECONDS="0.5",
        # Long on purpose: after a Redis outage events must come back by the reconnect resync.
        SUBSCRIPTION_CATCHUP_SECONDS="120",
        SUBSCRIPTION_PING_SECONDS="5",
        LOG_LEVEL="WARNING",
        LOG_FORMAT="json",
        SHUTDOWN_GRACE_SECONDS="5",
        PYTHONUNBUFFERED="1",
    )
    return env
