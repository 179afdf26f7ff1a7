"""Root fields of shopper sign-in: `signIn`, `refreshSession`, `signOut`, `bindPhone`.

The identity provider comes from the settings (fake in dev and tests, WeChat when configured); one
instance per process and configuration, so the WeChat adapter's access token is shared. `signIn` is
rate limited per client address and per device before the provider is asked (THROTTLED); the device
is the signed visitor id of `X-Visitor-Id` when one is sent (the rate limiter's notion of a device),
else the client-chosen `deviceId`. None of
these take an idempotency key: a replayed answer would have to store the tokens, which are never
stored in clear; a retried sign-in or refresh is safe anyway (a new session, or SESSION_REVOKED).
"""

from __future__ import annotations

import functools
import weakref
from datetime import timedelta

import strawberry
from sqlalchemy import select

from gql.context import Info
from gql.gate.auth import mint_token
from gql.gate.permissions import Allowed
from gql.gate.rate_limit import RateLimiter, client_host, request_visitor
from gql.mutations import user_error
from gql.schema.customers import Customer
from gql.schema.sign_in import (
    BindPhoneInput,
    BindPhonePayload,
    RefreshSessionInput,
    RefreshSessionPayload,
    ShopperSession,
    SignInInput,
    SignInPayload,
    SignOutInput,
    SignOutPayload,
)
from gql.settings import Settings
from models.base import utcnow
from models.customers.rows import Customer as CustomerRow
from models.enums import Role
from models.errors import DomainError, ErrorCode
from services.cache import Cache
from services.identity import sessions
from services.identity.fake import FakeProvider
from services.identity.port import IdentityPort
from services.identity.sessions import IssuedSession, SessionPolicy
from services.identity.sign_in import SignInRequest, bind_phone, sign_in
from services.identity.wechat import WeChatMiniProgram

_LIMITERS: weakref.WeakKeyDictionary[Cache, RateLimiter] = weakref.WeakKeyDictionary()


@functools.cache
def _provider(
    kind: str | None, app_id: str | None, secret: str | None, base_url: str, timeout: float
) -> IdentityPort | None:
    if kind == "fake":
        return FakeProvider()
    if kind == "wechat" and app_id and secret:
        return WeChatMiniProgram(app_id, secret, base_url=base_url, timeout=timeout)
    return None


def identity_port(settings: Settings) -> IdentityPort:
    """The provider of these settings; PROVIDER_UNAVAILABLE when sign-in is not configured."""
    secret = settings.wechat_app_secret.get_secret_value() if settings.wechat_app_secret else None
    port = _provider(
        settings.identity_provider,
        settings.wechat_app_id,
        secret,
        settings.wechat_api_base_url,
        settings.wechat_timeout_seconds,
    )
    if port is None:
        raise DomainError(ErrorCode.PROVIDER_UNAVAILABLE, "sign-in is not configured on this server")
    return port


def _policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(refresh_ttl=timedelta(days=settings.refresh_token_days))


async def _admit_sign_in(info: Info, device_id: str | None) -> None:
    """One point per call from the client's address and from its device: its verified visitor id
    when it sends one, else `device_id` (THROTTLED when either is spent)."""
    ctx = info.context
    limiter = _LIMITERS.get(ctx.cache)
    if limiter is None:
        limiter = _LIMITERS[ctx.cache] = RateLimiter.for_cache(
            ctx.cache, enabled=ctx.settings.rate_limit_enabled
        )
    per_minute = ctx.settings.sign_in_attempts_per_minute
    keys = [f"sign-in:ip:{client_host(ctx.request)}"]
    visitor = request_visitor(ctx.settings, ctx.request)
    if visitor is not None:
        keys.append(f"sign-in:visitor:{visitor}")
    elif device_id:
        keys.append(f"sign-in:device:{device_id[:128]}")
    for key in keys:
        decision = await limiter.take(key, 1, per_minute, per_minute / 60)
        if not decision.allowed:
            raise DomainError(
                ErrorCode.THROTTLED,
                f"too many sign-in attempts; retry in {decision.retry_after_seconds:.0f} s",
                extensions={"retryAfterSeconds": decision.retry_after_seconds},
            )


def _session(settings: Settings, issued: IssuedSession) -> ShopperSession:
    ttl = settings.access_token_seconds
    access = mint_token(
        settings,
        Role.SHOPPER,
        f"customer:{issued.customer_id}",
        customer_id=issued.customer_id,
        ttl_seconds=ttl,
        session_id=issued.session_id,
    )
    return ShopperSession(
        access_token=access,
        access_token_expires_at=utcnow() + timedelta(seconds=ttl),
        refresh_token=issued.refresh_token,
        refresh_token_expires_at=issued.refresh_expires_at,
    )


async def _customer(info: Info, customer_id: int) -> Customer | None:
    async with info.context.sessions() as session:
        row = await session.scalar(select(CustomerRow).where(CustomerRow.id == customer_id))
    return Customer.from_row(row) if row is not None else None


@strawberry.type
class SignInMutations:
    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Sign a mini-program user in with a login code: the first sign-in creates the "
        "customer (新客), later ones find it. Answers an access token and a refresh token.",
    )
    async def sign_in(self, info: Info, input: SignInInput) -> SignInPayload:
        ctx = info.context
        request = SignInRequest(input.code, input.device_id, input.invite_code, input.source)
        try:
            await _admit_sign_in(info, input.device_id)
            signed = await sign_in(
                ctx.deps, ctx.principal, identity_port(ctx.settings), request, _policy(ctx.settings)
            )
        except DomainError as error:
            return SignInPayload(
                session=None,
                customer=None,
                is_new_customer=False,
                invite_accepted=False,
                user_errors=[user_error(error)],
            )
        return SignInPayload(
            session=_session(ctx.settings, signed.session),
            customer=await _customer(info, signed.session.customer_id),
            is_new_customer=signed.is_new_customer,
            invite_accepted=signed.invite_accepted,
            user_errors=[],
        )

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Exchange a refresh token for a new access and refresh token; the old one is spent. "
        "Presenting a spent refresh token again revokes the whole session (SESSION_REVOKED).",
    )
    async def refresh_session(self, info: Info, input: RefreshSessionInput) -> RefreshSessionPayload:
        ctx = info.context
        try:
            issued = await sessions.refresh(
                ctx.deps, ctx.principal, input.refresh_token, _policy(ctx.settings)
            )
        except DomainError as error:
            return RefreshSessionPayload(session=None, user_errors=[user_error(error)])
        return RefreshSessionPayload(session=_session(ctx.settings, issued), user_errors=[])

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="End the session of a refresh token: none of its refresh tokens work any more "
        "(access tokens already issued expire on their own, within ACCESS_TOKEN_SECONDS).",
    )
    async def sign_out(self, info: Info, input: SignOutInput) -> SignOutPayload:
        ctx = info.context
        try:
            await sessions.sign_out(ctx.deps, ctx.principal, input.refresh_token)
        except DomainError as error:
            return SignOutPayload(signed_out=False, user_errors=[user_error(error)])
        return SignOutPayload(signed_out=True, user_errors=[])

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Bind the phone number the provider verified (the phone-number button's code) to "
        "the signed-in shopper.",
    )
    async def bind_phone(self, info: Info, input: BindPhoneInput) -> BindPhonePayload:
        ctx = info.context
        try:
            customer_id = await bind_phone(ctx.deps, ctx.principal, identity_port(ctx.settings), input.code)
        except DomainError as error:
            return BindPhonePayload(customer=None, user_errors=[user_error(error)])
        return BindPhonePayload(customer=await _customer(info, customer_id), user_errors=[])
