"""A small, cheap HTTP/1.1 load generator: N keep-alive connections posting one request each in a loop.

Raw asyncio streams with pre-encoded request bytes, so the client costs little CPU next to the
server on the same 2-core machine (httpx would cost more per request than a cached GraphQL answer).
Bounded in time and in requests; every response is checked (status 200, no GraphQL `errors`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import orjson


@dataclass(frozen=True, slots=True)
class Request:
    path: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self, host: str) -> bytes:
        head = [
            f"POST {self.path} HTTP/1.1",
            f"Host: {host}",
            "Content-Type: application/json",
            f"Content-Length: {len(self.body)}",
            *(f"{k}: {v}" for k, v in self.headers),
        ]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + self.body


def graphql(query: str, variables: dict[str, object] | None = None, token: str | None = None) -> Request:
    headers = (("Authorization", f"Bearer {token}"),) if token else ()
    return Request("/graphql", orjson.dumps({"query": query, "variables": variables or {}}), headers)


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    seconds: float
    latencies: tuple[float, ...]
    errors: int
    first_error: str | None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        lowered = name.strip().lower()
        if lowered == "content-length":
            length = int(value.strip())
        elif lowered == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, body
            body += await reader.readexactly(size + 2)
            body = body[:-2]
    return status, await reader.readexactly(length or 0)


async def run_load(
    host: str,
    port: int,
    requests: Sequence[Request],
    *,
    concurrency: int = 8,
    seconds: float = 10.0,
    max_requests: int = 1_000_000,
) -> LoadResult:
    """Drive the server for `seconds` (or `max_requests`) with `concurrency` connections."""
    payloads = [r.encode(f"{host}:{port}") for r in requests]
    latencies: list[float] = []
    errors = 0
    first_error: str | None = None
    deadline = time.perf_counter() + seconds
    sent = 0

    async def connection(offset: int) -> None:
        nonlocal errors, first_error, sent
        reader, writer = await asyncio.open_connection(host, port)
        i = offset
        try:
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                payload = payloads[i % len(payloads)]
                i += 1
                started = time.perf_counter()
                writer.write(payload)
                status, body = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                if status != 200 or b'"errors"' in body:
                    errors += 1
                    first_error = first_error or f"{status}: {body[:300]!r}"
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection(k) for k in range(concurrency)))
    return LoadResult(len(latencies), time.perf_counter() - began, tuple(latencies), errors, first_error)
