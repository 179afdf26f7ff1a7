"""Bearer tokens → `Principal`, and the dev token minter.

Authentication happens once per HTTP request in `AuthMiddleware`, before GraphQL runs: a bad
token is a 401 with a GraphQL-shaped error body (code UNAUTHENTICATED), never a silent downgrade
to anonymous. No token at all means anonymous.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import jwt
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.settings import Settings
from models.enums import Role
from models.errors import ErrorCode
from models.principals import ANONYMOUS, Principal


class AuthError(Exception):
    pass


def mint_token(
    settings: Settings,
    role: Role,
    subject: str,
    *,
    store_ids: list[int] | None = None,
    customer_id: int | None = None,
    ttl_seconds: int = 24 * 3600,
    session_id: int | None = None,
) -> str:
    """A signed token. `session_id` (claim `sid`) names the sign-in session a shopper's access token
    belongs to (services/identity/sessions.py); tokens without it (the dev CLI's) are accepted alike.

    Claims hold whole seconds: `exp` is rounded up, so the token lives at least `ttl_seconds` (an
    expiry the caller computes as now + ttl is never later than the token's own)."""
    now = time.time()
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role.value,
        "iat": int(now),
        "exp": math.ceil(now) + ttl_seconds,
    }
    claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if store_ids is not None:
        claims["store_ids"] = store_ids
    if customer_id is not None:
        claims["customer_id"] = customer_id
    if session_id is not None:
        claims["sid"] = session_id
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)


_VERIFIED: dict[tuple[str, str, str, str, str | None], tuple[Principal, float]] = {}
"""Tokens whose signature and claims passed, by (token, secret, algorithm, issuer, audience): the
principal and the token's `exp`."""
_MAX_VERIFIED = 10_000


def principal_from_token(settings: Settings, token: str) -> Principal:
    """The principal of a valid token; AuthError for anything else.

    A client sends the same token with every request until it expires. A token that passed is
    remembered with its expiry under the exact settings that checked it, and accepted again only before that
    expiry: the other time-bound claims (`nbf`, `iat`) can only have become valid since, and an
    expired token is checked again, so it fails as before. Failures are not remembered.
    """
    key = (token, settings.jwt_secret, settings.jwt_algorithm, settings.jwt_issuer, settings.jwt_audience)
    found = _VERIFIED.get(key)
    if found is not None:
        if time.time() < found[1]:
            return found[0]
        _VERIFIED.pop(key, None)
    principal, expires = _checked(settings, token)
    if len(_VERIFIED) >= _MAX_VERIFIED:
        _VERIFIED.pop(next(iter(_VERIFIED)), None)  # the oldest
    _VERIFIED[key] = (principal, expires)
    return principal


def _checked(settings: Settings, token: str) -> tuple[Principal, float]:
    """Verify the token's signature and claims: its principal and `exp`."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[settings.jwt_algorithm],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            options={
                "require": ["exp", "sub", "role", "iss"],
                "verify_aud": settings.jwt_audience is not None,
            },
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("token expired") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(f"invalid token: {exc}") from None
    try:
        role = Role(claims["role"])
    except ValueError:
        raise AuthError(f"invalid token: unknown role {claims['role']!r}") from None
    subject = str(claims["sub"])
    expires = float(int(claims["exp"]))  # as PyJWT reads it
    if role is Role.STORE_STAFF:
        store_ids = claims.get("store_ids")
        if not isinstance(store_ids, list) or not store_ids or not all(isinstance(s, int) for s in store_ids):
            raise AuthError("invalid token: STORE_STAFF needs a non-empty integer list store_ids")
        return Principal(role, subject, store_ids=frozenset(store_ids)), expires
    if role is Role.SHOPPER:
        customer_id = claims.get("customer_id")
        if not isinstance(customer_id, int):
            raise AuthError("invalid token: SHOPPER needs an integer customer_id")
        return Principal(role, subject, customer_id=customer_id), expires
    return Principal(role, subject), expires


def principal_from_header(settings: Settings, authorization: str | None) -> Principal:
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization header must be 'Bearer <token>'")
    return principal_from_token(settings, token.strip())


class AuthMiddleware:
    """Pure ASGI middleware: sets `state.principal` and `state.request_id` on HTTP requests."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        try:
            state["principal"] = principal_from_header(self.settings, headers.get("authorization"))
        except AuthError as exc:
            await _unauthenticated(send, str(exc), request_id)
            return

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_request_id)


async def _unauthenticated(send: Send, message: str, request_id: str) -> None:
    body = orjson.dumps(
        {
            "data": None,
            "errors": [{"message": message, "extensions": {"code": ErrorCode.UNAUTHENTICATED.value}}],
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"www-authenticate", b'Bearer error="invalid_token"'),
                (b"x-request-id", request_id.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
