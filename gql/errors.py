"""How errors leave the API.

* `DomainError` raised by a query resolver becomes a GraphQL error with `extensions.code`
  (and `extensions.field` when it names an input, plus any extra `extensions` it carries).
* Anything unexpected is logged with the request id and replaced by a masked
  `INTERNAL_SERVER_ERROR` carrying that request id, so clients never see internals.
* Mutations do not raise: they return `userErrors` (see `gql/schema/common.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from models.errors import DomainError, ErrorCode

log = logging.getLogger("mallgraph.errors")


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
            "code", "GRAPHQL_VALIDATION_FAILED" if error.path is None else "BAD_USER_INPUT"
        )
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={**(nested or {}), "code": code},
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
            request_id = _request_id(self.execution_context.context)
            result.errors = [_with_code(e, request_id) for e in errors]
