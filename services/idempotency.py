"""Idempotency keys for state-changing mutations.

A key is claimed in its own short transaction (a unique row per principal and key), so of many
concurrent requests with one key exactly one proceeds. The claim is completed inside the same
transaction as the mutation's effect: either both commit or neither does, so a crash can never
leave an effect without its stored result. A claim whose holder died is taken over after a lease.
A mutation that fails releases its claim: nothing happened, so the client may simply retry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import IdempotencyStatus
from models.errors import DomainError, ErrorCode
from models.idempotency import IdempotencyRecord
from services.config import RulesConfig
from services.db import SessionFactory, unit_of_work

MAX_KEY_LENGTH = 128


def request_hash(operation: str, payload: Any) -> str:
    """Canonical hash of what was asked (sorted keys), so the same input always hashes the same."""
    body = orjson.dumps({"op": operation, "input": payload}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class Claim:
    record_id: int


@dataclass(frozen=True, slots=True)
class Replay:
    response: dict[str, Any]


async def claim(
    sessions: SessionFactory,
    principal: str,
    key: str,
    operation: str,
    digest: str,
    now: datetime,
    rules: RulesConfig,
) -> Claim | Replay:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT,
            f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters",
            "idempotencyKey",
        )
    try:
        async with unit_of_work(sessions) as session:
            record = IdempotencyRecord(
                principal=principal,
                key=key,
                operation=operation,
                request_hash=digest,
                status=IdempotencyStatus.IN_PROGRESS,
                created_at=now,
                expires_at=now + rules.idempotency_lease,
            )
            session.add(record)
            await session.flush()
            return Claim(record.id)
    except IntegrityError:
        pass
    return await _existing(sessions, principal, key, operation, digest, now, rules)


async def _existing(
    sessions: SessionFactory,
    principal: str,
    key: str,
    operation: str,
    digest: str,
    now: datetime,
    rules: RulesConfig,
) -> Claim | Replay:
    async with sessions() as session:
        record = await session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
            )
        )
    if record is None:  # released between our insert and this read: the next attempt will claim it
        raise DomainError(
            ErrorCode.IDEMPOTENCY_IN_PROGRESS,
            "a request with this idempotencyKey just finished; retry",
            "idempotencyKey",
        )
    if record.operation != operation or record.request_hash != digest:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            f"idempotencyKey was already used for a different {record.operation} request",
            "idempotencyKey",
        )
    if record.status is IdempotencyStatus.COMPLETED and record.response is not None:
        return Replay(record.response)
    if record.expires_at > now:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_IN_PROGRESS,
            "a request with this idempotencyKey is in progress",
            "idempotencyKey",
        )
    # The holder died mid-flight (its effect never committed): take the claim over, once.
    async with unit_of_work(sessions) as session:
        taken = await session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == record.id,
                IdempotencyRecord.status == IdempotencyStatus.IN_PROGRESS,
                IdempotencyRecord.expires_at == record.expires_at,
            )
            .values(expires_at=now + rules.idempotency_lease)
        )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError(
            ErrorCode.IDEMPOTENCY_IN_PROGRESS,
            "a request with this idempotencyKey is in progress",
            "idempotencyKey",
        )
    return Claim(record.id)


async def complete(
    session: AsyncSession, claim_: Claim, response: dict[str, Any], now: datetime, rules: RulesConfig
) -> None:
    """Store the result in the caller's transaction (the one that holds the effect)."""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == claim_.record_id)
        .values(status=IdempotencyStatus.COMPLETED, response=response, expires_at=now + rules.idempotency_ttl)
    )


async def release(sessions: SessionFactory, claim_: Claim) -> None:
    async with unit_of_work(sessions) as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id == claim_.record_id,
                IdempotencyRecord.status == IdempotencyStatus.IN_PROGRESS,
            )
        )


async def purge_expired(sessions: SessionFactory, now: datetime) -> int:
    """Forget completed keys past their time to live (run by the sweeper)."""
    async with unit_of_work(sessions) as session:
        result = await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.status == IdempotencyStatus.COMPLETED, IdempotencyRecord.expires_at < now
            )
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
