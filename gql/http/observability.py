"""One log line and a few metrics per request, measured once per request — never per field.

* `RequestLogMiddleware` (outermost ASGI middleware) opens a `RequestRecord` and a SQL
  statement counter for each HTTP request and, when the response is done, writes one
  structured log line (request id, principal, operation, duration, cost, SQL statements,
  error codes, status) and observes the SQL-per-request histogram.
* `OperationMetrics` (a schema extension, `on_operation` only) times each GraphQL operation
  and notes its name and error codes (GraphQL errors and mutation `userErrors`) on the record.
* `metrics_endpoint` serves Prometheus text, summing every worker in multiprocess mode.

The gate (gql/gate/admission.py) notes refused requests (`note_refused`) and each admitted query's cost
(`note_cost`) on the same record.
"""

from __future__ import annotations

import contextvars
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from models.principals import Principal
from services.db import count_statements
from services.telemetry import ERRORS, REQUEST_DURATION, SQL_STATEMENTS, operation_label

access_log = logging.getLogger("mallgraph.request")

QUIET_PATHS = frozenset({"/livez", "/readyz", "/metrics"})
"""Probes and scrapes: counted nowhere and logged only at DEBUG, or they would drown the log."""


@dataclass(slots=True)
class RequestRecord:
    operations: list[str] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)
    cost: int | None = None


_record: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar("request_record", default=None)


def current_record() -> RequestRecord | None:
    return _record.get()


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord()
        token = _record.set(record)
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            with count_statements() as counter:
                await self.app(scope, receive, send_status)
        finally:
            _record.reset(token)
            duration = time.perf_counter() - started
            self._log(scope, record, status, duration, counter.count)

    @staticmethod
    def _log(scope: Scope, record: RequestRecord, status: int, duration: float, statements: int) -> None:
        path = scope.get("path", "")
        quiet = path in QUIET_PATHS
        if not quiet and record.operations:
            SQL_STATEMENTS.labels(operation_label(record.operations[0])).observe(statements)
        level = logging.DEBUG if quiet else logging.INFO
        if not access_log.isEnabledFor(level):
            return
        state = scope.get("state", {})
        principal: Principal | None = state.get("principal")
        access_log.log(
            level,
            "%s %s %s",
            scope.get("method", ""),
            path,
            status,
            extra={
                "request_id": state.get("request_id"),
                "principal": principal.key if principal is not None else None,
                "operation": ",".join(record.operations) or None,
                "duration_ms": round(duration * 1000, 2),
                "cost": record.cost,
                "sql_statements": statements,
                "error_codes": record.error_codes,
                "status": status,
                "path": path,
            },
        )


def _user_error_codes(data: Any) -> Iterator[str]:
    """Codes of mutation payloads' `userErrors` (top level of each root field only)."""
    if not isinstance(data, dict):
        return
    for payload in data.values():
        if isinstance(payload, dict):
            for error in payload.get("userErrors") or ():
                if isinstance(error, dict) and isinstance(error.get("code"), str):
                    yield error["code"]


class OperationMetrics(SchemaExtension):
    """Times each operation and counts its error codes; listed before ErrorCodes so it sees codes."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        try:
            kind = ctx.operation_type
        except RuntimeError:  # the document did not parse: no operation type
            kind = None
        if kind is OperationType.SUBSCRIPTION:
            return  # a stream, not a request: see mallgraph_active_subscriptions
        codes = _error_codes(getattr(ctx.result, "errors", None) or [])
        codes.extend(_user_error_codes(getattr(ctx.result, "data", None)))
        _note_operation(ctx.operation_name, kind.value if kind else "invalid", codes, started)


def _error_codes(errors: list[Any]) -> list[str]:
    return [str((getattr(e, "extensions", None) or {}).get("code", "UNKNOWN")) for e in errors]


def _note_operation(name: str | None, kind: str, codes: list[str], started: float) -> None:
    """Duration and error codes into the metrics, name and codes onto the request's log record."""
    REQUEST_DURATION.labels(operation_label(name), kind).observe(time.perf_counter() - started)
    for code in codes:
        ERRORS.labels(code).inc()
    record = _record.get()
    if record is not None:
        record.operations.append(name or "anonymous")
        record.error_codes.extend(codes)


def note_refused(operation_name: str | None, errors: list[Any], started: float) -> None:
    """A request the gate (gql/gate/admission.py) refused before strawberry ran it: counted and logged the
    same way."""
    _note_operation(operation_name, "refused", _error_codes(errors), started)


def note_cost(requested: int) -> None:
    """The admitted query's requested cost, for the request's log line."""
    record = _record.get()
    if record is not None:
        record.cost = requested


async def metrics_endpoint(_: Request) -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def forget_this_process() -> None:
    """At shutdown in multiprocess mode: drop this worker's live gauges (active subscriptions)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
