"""The courier platform's signed callbacks: verify, refuse replays, apply.

A call carries `X-Courier-Timestamp` (unix seconds), `X-Courier-Nonce` (8–64 of [A-Za-z0-9_-])
and `X-Courier-Signature`: hex HMAC-SHA256, under the shared secret of the settings, of
`"<timestamp>.<nonce>." + body`. A call is refused when the signature is wrong (BAD_SIGNATURE),
its timestamp is further than the tolerance from now (STALE_TIMESTAMP) or its nonce was used
before (REPLAYED — the nonce's row is claimed in its own transaction, so two processes receiving
the same call cannot both apply it). Only then is the body read and applied as the SYSTEM actor.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import orjson
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from models.deliveries.rows import WebhookNonce
from models.principals import SYSTEM, SYSTEM_PRINCIPAL
from services.commands import Deps, Result, Work, run_command
from services.db import SessionFactory, unit_of_work
from services.deliveries.lifecycle import CallbackKind, CourierCallback, apply_callback
from services.signing import mac

_NONCE: Final = re.compile(r"[A-Za-z0-9_-]{8,64}")


class WebhookRefused(Exception):
    """The call is not applied; `code` says why, `status` is the HTTP status to answer."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """What a platform (and the fake, and tests) sends as `X-Courier-Signature`."""
    return mac(secret.encode(), f"{timestamp}.{nonce}.".encode() + body).hex()


def verify(
    secret: str,
    timestamp: str | None,
    nonce: str | None,
    sig: str | None,
    body: bytes,
    now: datetime,
    tolerance: timedelta,
) -> None:
    """Signature and timestamp; no I/O. Raises WebhookRefused."""
    if not timestamp or not nonce or not sig or not _NONCE.fullmatch(nonce):
        raise WebhookRefused("BAD_SIGNATURE", 401, "timestamp, nonce and signature headers are required")
    if not hmac.compare_digest(signature(secret, timestamp, nonce, body), sig.lower()):
        raise WebhookRefused("BAD_SIGNATURE", 401, "signature does not match")
    try:
        sent = int(timestamp)
    except ValueError:
        raise WebhookRefused("STALE_TIMESTAMP", 401, "timestamp is not unix seconds") from None
    if abs(now.timestamp() - sent) > tolerance.total_seconds():
        raise WebhookRefused("STALE_TIMESTAMP", 401, "timestamp is outside the accepted window")


async def claim_nonce(sessions: SessionFactory, source: str, nonce: str, now: datetime) -> None:
    try:
        async with unit_of_work(sessions) as session:
            session.add(WebhookNonce(source=source, nonce=nonce, received_at=now))
            await session.flush()
    except IntegrityError:
        raise WebhookRefused("REPLAYED", 409, "this nonce was used before") from None


async def purge_nonces(sessions: SessionFactory, before: datetime) -> int:
    """Forget nonces older than the tolerance (their calls are refused by timestamp anyway)."""
    async with unit_of_work(sessions) as session:
        result = await session.execute(delete(WebhookNonce).where(WebhookNonce.received_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def parse(platform: str, body: bytes) -> CourierCallback:
    try:
        data: Any = orjson.loads(body)
        rider = data.get("rider") or {}
        return CourierCallback(
            platform=platform,
            dispatch_id=str(data["dispatchId"]),
            kind=CallbackKind(data["event"]),
            occurred_at=_aware(datetime.fromisoformat(data["occurredAt"])),
            rider_name=rider.get("name"),
            rider_phone=rider.get("phone"),
            latitude=_float(data.get("latitude")),
            longitude=_float(data.get("longitude")),
        )
    except (orjson.JSONDecodeError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise WebhookRefused("BAD_REQUEST", 400, f"malformed callback: {exc}") from None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("occurredAt needs a time zone offset")
    return at


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class SignedCall:
    timestamp: str | None
    nonce: str | None
    signature: str | None
    body: bytes


async def receive(deps: Deps, secret: str, tolerance: timedelta, call: SignedCall, now: datetime) -> Result:
    """Verify, claim the nonce, apply. Raises WebhookRefused, or DomainError from the use case."""
    verify(secret, call.timestamp, call.nonce, call.signature, call.body, now, tolerance)
    platform = deps.courier.name
    assert call.nonce is not None
    await claim_nonce(deps.sessions, f"courier:{platform}", call.nonce, now)
    callback = parse(platform, call.body)

    async def use_case(work: Work) -> Result:
        return await apply_callback(work, callback)

    return await run_command(deps, SYSTEM_PRINCIPAL, "courierCallback", use_case, actor=SYSTEM, now=now)
