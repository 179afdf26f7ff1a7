"""How errors leave the API.

* `DomainError` raised by a query resolver becomes a GraphQL error with `extensions.code`
  (and `extensions.field` when it names an input, plus any extra `extensions` it carries).
* A statement cancelled by the database's statement timeout is `QUERY_TIMEOUT` (not masked: the
  caller can narrow the request).
* Anything unexpected is logged with the request id and replaced by a masked
  `INTERNAL_SERVER_ERROR` carrying that request id, so clients never see internals.
* Mutations do not raise: they return `userErrors` (see `gql/schema/common.py`).
* Without field suggestions (production), "Did you mean …?" hints are cut from messages: they
  would let an anonymous caller map the schema even with introspection off.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from models.errors import DomainError, ErrorCode
from services.db import is_statement_timeout

log = logging.getLogger("mallgraph.errors")

SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class CodedError(GraphQLError):
    """A GraphQL error with a stable `extensions.code`, raised at the edge (auth, limits)."""

    def __init__(self, code: ErrorCode, message: str, **extra: Any) -> None:
        super().__init__(message, extensions={"code": code.value, **extra})


def _request_id(context: Any) -> str | None:
    return getattr(context, "request_id", None)


def _with_code(error: GraphQLError, request_id: str | None) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        extensions: dict[str, Any] = {**original.extensions, "code": original.code.value}
        if original.field:
            extensions["field"] = original.field
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )
    if original is None or isinstance(original, GraphQLError):
        # Validation and parse errors, or errors raised with a code on purpose: keep, add a code if missing.
        if error.extensions and "code" in error.extensions:
            return error
        nested = original.extensions if isinstance(original, GraphQLError) else None
        code = (nested or {}).get(
            "code", ErrorCode.GRAPHQL_VALIDATION_FAILED.value if error.path is None else "BAD_USER_INPUT"
        )
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={**(nested or {}), "code": code},
        )
    if is_statement_timeout(original):
        return GraphQLError(
            "the query ran longer than the statement timeout; narrow the filter or the page",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": ErrorCode.QUERY_TIMEOUT.value, "requestId": request_id},
        )
    log.error("unexpected error", exc_info=original, extra={"request_id": request_id, "path": error.path})
    return GraphQLError(
        "Internal server error",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    )


class ErrorCodes(SchemaExtension):
    """Gives every error a code and masks unexpected ones (after execution, once per operation)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            context = self.execution_context.context
            request_id = _request_id(context)
            coded = [_with_code(e, request_id) for e in errors]
            settings = getattr(context, "settings", None)
            if settings is not None and not settings.suggestions_enabled:
                coded = [_without_suggestions(e) for e in coded]
            result.errors = coded


def _without_suggestions(error: GraphQLError) -> GraphQLError:
    message = SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=error.extensions,
    )
