"""HTTP-level guards in front of GraphQL: CORS, the request body size limit, and no batching.

A body over `MAX_REQUEST_BYTES` is refused with 413 as soon as its declared length (or the bytes
read so far) passes the limit, so a client cannot make the process buffer megabytes of JSON.
A JSON array body (a batch of operations) is refused with `BATCHING_NOT_SUPPORTED`: one request is
one operation, so the cost budget and the rate limit see every operation. A POST must say
`Content-Type: application/json` (400 without one, 415 with another: GraphQL over HTTP) and its
body must be a JSON object; anything else (`null`, `42`, `"x"`, nothing) is `BAD_REQUEST` (400),
decided from the header and the body's first byte, before any JSON is parsed. Every answer is
GraphQL-shaped (`{"data": null, "errors": [{"message", "extensions": {"code"}}]}`) so clients
handle them like any other error.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.gate.limits import COUNTERS
from gql.settings import Settings
from models.errors import ErrorCode

GRAPHQL_PATH = "/graphql"


def security_middleware(settings: Settings) -> Sequence[Middleware]:
    """The outer middleware of the app, outermost first (CORS answers preflights before anything)."""
    stack: list[Middleware] = []
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-request-id"],
                expose_headers=["x-request-id", "retry-after"],
                max_age=600,
            )
        )
    stack.append(Middleware(RequestGuard, max_bytes=settings.max_request_bytes))
    return stack


class RequestGuard:
    """Pure ASGI middleware: reads a /graphql POST body within the limit, then replays it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != GRAPHQL_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        wrong_type = _media_type_problem(headers.get(b"content-type"))
        if wrong_type is not None:
            await self._refuse(send, *wrong_type)
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, 413, ErrorCode.REQUEST_TOO_LARGE, self._too_large())
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send, 413, ErrorCode.REQUEST_TOO_LARGE, self._too_large())
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        first = body.lstrip()[:1]
        if first == b"[":
            await self._refuse(
                send,
                400,
                ErrorCode.BATCHING_NOT_SUPPORTED,
                "batched operations (a JSON array) are not accepted; send one operation per request",
            )
            return
        if first != b"{":
            await self._refuse(
                send,
                400,
                ErrorCode.BAD_REQUEST,
                'the body must be a JSON object: {"query": …, "variables": {…}, "operationName": …}',
            )
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes"

    @staticmethod
    async def _refuse(send: Send, status: int, code: ErrorCode, message: str) -> None:
        COUNTERS.reject(code)
        body = orjson.dumps(
            {"data": None, "errors": [{"message": message, "extensions": {"code": code.value}}]}
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _media_type_problem(header: bytes | None) -> tuple[int, ErrorCode, str] | None:
    """Why a POST's Content-Type is not JSON (None: it is; parameters such as charset are ignored)."""
    if header is None or not header.strip():
        return 400, ErrorCode.BAD_REQUEST, "a POST needs the header Content-Type: application/json"
    media_type = header.split(b";", 1)[0].strip().lower()
    if media_type != b"application/json":
        shown = media_type[:80].decode("latin-1")
        return 415, ErrorCode.BAD_REQUEST, f"{shown!r} is not accepted; send Content-Type: application/json"
    return None
