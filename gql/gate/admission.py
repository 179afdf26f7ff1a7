"""The pre-execution gate of every HTTP GraphQL request: one pass over the document, before any resolver.

In order: persisted query (APQ) lookup → trusted-documents check → parse and validate (cached by
hash: size, tokens, the document's shape, aliases, page sizes, introspection and the spec's rules)
→ the operation to run (`select_operation`) → argument values (list ceilings, no NUL or lone
surrogate: `gql/gate/input_checks.py`, O(n) in the variables) → cost analysis against the role's
budget → rate limit (cost points) → run. Every step before the rate limit is O(n) in the document
(`gql/gate/documents.py`, `gql/gate/shape.py`, `gql/gate/cost.py`); the rate limit is one Redis script. Each
refusal is an HTTP 200 GraphQL error with a stable `extensions.code`, counted in
`gql.gate.limits.COUNTERS`; an admitted request's response carries `extensions.cost` (Shopify's shape),
except a public page's (gql/http/public_pages.py: its answer is shared, its bucket is not).

Every `GET /graphql` goes through `PublicPages.handle` first: a cached public page is answered
there, before strawberry and before this gate; a miss runs as usual, and the gate tells it (by the
request's `Pending`) whether the document is public and the versions of its tags.

The gate lives in the view (`GatedGraphQL.execute_single`) instead of a per-field hook, so its
work is per request and mostly a cache lookup; `PreparedDocument` then hands the parsed document
to strawberry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from cross_web import AsyncHTTPRequestAdapter
from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, OperationType
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult as StrawberryResult

from gql.context import Context
from gql.gate.admitted import Admitted
from gql.gate.cost import CostModel, operation_cost
from gql.gate.documents import DocumentCache
from gql.gate.input_checks import InputChecks
from gql.gate.limits import COUNTERS, coded, cost_budget
from gql.gate.persisted_queries import PersistedQueries, load_manifest
from gql.gate.rate_limit import Decision, RateLimiter, buckets_of
from gql.http.observability import note_cost, note_refused
from gql.http.public_pages import PublicPages, pending_of, public_tags
from gql.settings import Settings
from models.enums import Role
from models.errors import ErrorCode
from services.cache import Cache

log = logging.getLogger("mallgraph.gate")

PUBLIC_ROLES = frozenset({None, Role.SHOPPER})
"""Who trusted-documents mode restricts: the mini-program's callers."""


class Gate:
    """Everything the gate keeps between requests; built once per process from settings and cache."""

    def __init__(self, schema: GraphQLSchema, settings: Settings, cache: Cache) -> None:
        self.schema = schema
        self.settings = settings
        self.documents = DocumentCache(schema, settings)
        manifest = load_manifest(settings.trusted_documents_path) if settings.trusted_documents_path else {}
        self.persisted = PersistedQueries(cache, settings.apq_ttl_seconds, manifest)
        self.limiter = RateLimiter.for_cache(cache, enabled=settings.rate_limit_enabled)
        self.cost_model = CostModel(settings.cost_default_list_size, settings.max_page_size)
        self.inputs = InputChecks(schema)
        self.public = PublicPages(cache, settings)

    async def admit(
        self, data: GraphQLRequestData, method: str, context: Context
    ) -> Admitted | StrawberryResult | None:
        """Admitted: run it; a result: refused (return it as is); None: not ours (strawberry answers)."""
        try:
            return await self._admit(data, method, context)
        except GraphQLError as error:
            return refuse(error)
        except Exception:
            # a bug here must look like any other unexpected error: masked, with the request id, logged
            log.exception("the request gate failed", extra={"request_id": context.request_id})
            return refuse(
                coded(ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error", requestId=context.request_id)
            )

    async def _admit(
        self, data: GraphQLRequestData, method: str, context: Context
    ) -> Admitted | StrawberryResult | None:
        resolved = await self.persisted.resolve(data.query, data.extensions)
        if resolved is None:
            return None
        role = context.principal.role
        restricted = self.settings.trusted_documents_only and role in PUBLIC_ROLES
        if restricted and not self.persisted.is_trusted(resolved.sha256):
            raise coded(
                ErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
                "only trusted documents may run for this caller; this one is not in the manifest",
            )
        checked = self.documents.check(resolved.query, role=role, sha256=resolved.sha256)
        if checked.errors:
            return refuse(*checked.errors)
        assert checked.document is not None
        operation = select_operation(checked.document, data.operation_name)
        if method == "GET" and operation.operation is OperationType.MUTATION:
            # strawberry answers this with its HTTP 400
            return Admitted(resolved.query, checked.document, None)
        bad_input = self.inputs.check(checked.document, data.variables)
        if bad_input is not None:
            raise bad_input
        requested = operation_cost(self.schema, checked.document, operation, data.variables, self.cost_model)
        budget = cost_budget(self.settings, role)
        if requested > budget:
            raise coded(
                ErrorCode.MAX_COST_EXCEEDED,
                f"the query costs {requested} points; this caller may spend at most {budget} in one query",
                cost={"requestedQueryCost": requested, "maximumAvailable": budget},
            )
        buckets = buckets_of(self.settings, context.principal, context.request)
        decision = await self.limiter.take_all(buckets, requested)
        cost = _cost_extension(requested, decision)
        if not decision.allowed:
            retry_after = decision.retry_after_seconds
            if context.response is not None:
                context.response.headers["Retry-After"] = str(max(1, round(retry_after + 0.5)))
            result = refuse(
                coded(
                    ErrorCode.THROTTLED,
                    f"rate limit: retry in {retry_after:.1f} s",
                    retryAfterSeconds=retry_after,
                )
            )
            result.extensions = {"cost": cost}
            return result
        await self.persisted.register(resolved)
        pending = pending_of(context.request.scope) if context.request is not None else None
        if pending is not None and role is None and data.query is None:
            tags = public_tags(checked.document, operation, data.variables)
            if tags is not None:
                await self.public.note_public(pending, tags)
        return Admitted(resolved.query, checked.document, cost)


def select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    """The spec's GetOperation(document, operationName), refused with a coded error where it fails:
    several operations and no name, a name that is none of them; and a subscription, which runs
    over WebSocket only. O(d) in the document's definitions."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not name:
        if len(operations) != 1:  # validation refused a document without any
            names = ", ".join(o.name.value if o.name else "(anonymous)" for o in operations)
            raise coded(
                ErrorCode.GRAPHQL_VALIDATION_FAILED,
                f"operationName is required when the document has several operations ({names})",
            )
        operation = operations[0]
    else:
        found = [o for o in operations if o.name is not None and o.name.value == name]
        if not found:
            raise coded(ErrorCode.GRAPHQL_VALIDATION_FAILED, f"the document has no operation named {name!r}")
        operation = found[0]
    if operation.operation is OperationType.SUBSCRIPTION:
        raise coded(
            ErrorCode.GRAPHQL_VALIDATION_FAILED,
            "subscriptions run over WebSocket (graphql-transport-ws) at /graphql, not over HTTP",
        )
    return operation


def _cost_extension(requested: int, decision: Decision) -> dict[str, Any]:
    available = decision.available if decision.available is not None else float(decision.capacity)
    return {
        "requestedQueryCost": requested,
        "maximumAvailable": decision.capacity,
        "throttleStatus": {"currentlyAvailable": int(available), "restoreRate": decision.restore_rate},
    }


def refuse(*errors: GraphQLError) -> StrawberryResult:
    for error in errors[:1]:
        code = (error.extensions or {}).get("code")
        COUNTERS.rejections[str(code)] += 1
    return StrawberryResult(data=None, errors=list(errors))


class GatedGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with the gate in front of every HTTP operation.

    `gate` is asked for on each request: the app builds the gate with its resources in the
    lifespan, after the view exists.
    """

    def __init__(self, *args: Any, gate: Callable[[], Gate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "GET":
            await self.gate().public.handle(scope, receive, send, super().__call__)
            return
        await super().__call__(scope, receive, send)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> StrawberryResult:
        """Admit and run the request within its deadline (REQUEST_TIMEOUT_SECONDS).

        Past the deadline the request's task is cancelled at its next await (with the statements
        it is waiting on: asyncpg cancels them in the database) and it answers REQUEST_TIMEOUT.
        CPU-bound steps between awaits are bounded by their own work budgets (gql/gate/limits.py).
        """
        started = time.perf_counter()
        gate = self.gate()
        deadline = asyncio.timeout(gate.settings.request_timeout_seconds)
        try:
            async with deadline:
                return await self._execute_gated(
                    gate, started, request, request_adapter, sub_response, context, root_value, request_data
                )
        except TimeoutError:
            if not deadline.expired():
                raise
        seconds = gate.settings.request_timeout_seconds
        log.warning("request timed out after %g s", seconds, extra={"request_id": context.request_id})
        error = coded(
            ErrorCode.REQUEST_TIMEOUT, f"the request ran longer than {seconds:g} s", timeoutSeconds=seconds
        )
        note_refused(request_data.operation_name, [error], started)
        return StrawberryResult(data=None, errors=[error])

    async def _execute_gated(
        self,
        gate: Gate,
        started: float,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> StrawberryResult:
        outcome = await gate.admit(request_data, request_adapter.method, context)
        if isinstance(outcome, StrawberryResult):
            note_refused(request_data.operation_name, list(outcome.errors or ()), started)
            return outcome
        if outcome is not None:
            context.admitted = outcome
            request_data = replace(request_data, query=outcome.query)
            if outcome.cost is not None:
                note_cost(int(outcome.cost["requestedQueryCost"]))
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        pending = pending_of(request.scope)
        if pending is not None and pending.tags is not None:
            pending.ok = not result.errors  # shared: no caller's own bucket in it
        elif outcome is not None and outcome.cost is not None:
            result.extensions = {**(result.extensions or {}), "cost": outcome.cost}
        return result
