"""How the GraphQL view reads request bodies and answers requests that are not GraphQL requests.

`gql/gate/request_guard.py` refuses, before any parsing, POSTs without a JSON content type and bodies
that are not a JSON object. What is left for the view:

* JSON is read with orjson. Only a body orjson refuses is read again by the standard library,
  which accepts lone surrogates (`"\\ud800"`): inside `variables` they are kept, so that
  `gql/gate/input_checks.py` refuses them as BAD_USER_INPUT naming the variable; anywhere else (the
  query text, `operationName`, `extensions`, a key) the body is not JSON we can use. `NaN` and
  `Infinity` are refused like orjson does; invalid UTF-8 and nesting past the interpreter's
  recursion limit are a parse error, never an exception that escapes.
* Every HTTP error strawberry raises (malformed JSON, no query, a `query` that is not a string,
  `variables` that are not an object, bad GET parameters, a method other than GET and POST)
  becomes a GraphQL error body with code `BAD_REQUEST` and strawberry's status, instead of a
  plain-text answer.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.types.unset import UNSET

from gql.gate.limits import COUNTERS
from models.errors import ErrorCode


def decode_request_json(data: str | bytes) -> object:
    """The JSON value of `data`; raises json.JSONDecodeError for anything that is not usable JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # JSONDecodeError, invalid UTF-8, NaN / Infinity
        raise json.JSONDecodeError("not JSON", str(data[:0]), 0) from None
    if _unusable_surrogate(value):
        raise json.JSONDecodeError("a lone surrogate outside the variables' values", "", 0)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unusable_surrogate(body: object) -> bool:
    """Whether a lone surrogate is anywhere but in a value under the body's `variables`."""
    stack: list[tuple[object, bool]] = [(body, False)]
    while stack:
        item, in_variables = stack.pop()
        if isinstance(item, str):
            if not in_variables and _has_surrogate(item):
                return True
        elif isinstance(item, dict):
            for key, inner in item.items():
                if _has_surrogate(key):
                    return True
                stack.append((inner, in_variables or (item is body and key == "variables")))
        elif isinstance(item, list):
            stack.extend((inner, in_variables) for inner in item)
    return False


def _has_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def bad_request(status: int, message: str) -> Response:
    """A GraphQL-shaped refusal of a request that is not a GraphQL request."""
    COUNTERS.reject(ErrorCode.BAD_REQUEST)
    body = {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": ErrorCode.BAD_REQUEST.value}}],
    }
    headers = {"allow": "GET, POST"} if status == 405 else None
    return JSONResponse(body, status_code=status, headers=headers)


class GraphQLOverHTTP:
    """Mixed into strawberry's ASGI view, before it: its HTTP errors answered as GraphQL errors."""

    def decode_json(self, data: str | bytes) -> object:
        return decode_request_json(data)

    async def run(self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)  # type: ignore[misc]
        except HTTPException as error:
            if isinstance(request, WebSocket):
                raise
            return bad_request(error.status_code, error.reason)
