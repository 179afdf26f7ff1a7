"""Refresh-token sessions: open one at sign-in, rotate it on refresh, revoke it on sign-out or reuse.

Invariants:
* only `hash_refresh_token(token)` is stored; the token is in the answer, never in the database;
* a refresh token is exchanged at most once: refreshing locks the session row, marks the token used
  and issues its successor in the same transaction, so two refreshes of one token cannot both win;
* a used token presented again (a stolen copy, or a client that lost the answer) revokes the whole
  session — that revocation commits, and only then is the caller told SESSION_REVOKED;
* revoked sessions stay revoked; the access tokens already issued expire on their own (short TTL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from models.enums import ActorType
from models.errors import DomainError, ErrorCode
from models.identity import (
    RefreshToken,
    RefreshVerdict,
    SessionEnd,
    ShopperSession,
    hash_refresh_token,
    new_refresh_token,
    refresh_verdict,
)
from models.principals import Actor, Principal
from services.commands import Deps, Result, Work, run_command

MAX_TOKEN_CHARS = 200


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    refresh_ttl: timedelta


@dataclass(frozen=True, slots=True)
class IssuedSession:
    customer_id: int
    session_id: int
    refresh_token: str
    refresh_expires_at: datetime


def session_actor(customer_id: int | None = None) -> Actor:
    return Actor(ActorType.CUSTOMER, f"customer:{customer_id}" if customer_id is not None else None)


async def open_session(
    work: Work, customer_id: int, identity_id: int, device_id: str | None, policy: SessionPolicy
) -> IssuedSession:
    """A new session and its first refresh token, inside the caller's transaction."""
    row = ShopperSession(
        customer_id=customer_id, identity_id=identity_id, device_id=device_id, created_at=work.now
    )
    work.session.add(row)
    await work.session.flush()
    return await _issue(work, row, policy)


async def _issue(work: Work, session_row: ShopperSession, policy: SessionPolicy) -> IssuedSession:
    token = new_refresh_token()
    expires = work.now + policy.refresh_ttl
    work.session.add(
        RefreshToken(
            session_id=session_row.id,
            token_hash=hash_refresh_token(token),
            issued_at=work.now,
            expires_at=expires,
        )
    )
    await work.session.flush()
    return IssuedSession(session_row.customer_id, session_row.id, token, expires)


def _refused(verdict: RefreshVerdict) -> DomainError:
    why = {
        RefreshVerdict.UNKNOWN: "unknown refresh token",
        RefreshVerdict.EXPIRED: "the refresh token expired",
        RefreshVerdict.REVOKED: "the session was signed out",
        RefreshVerdict.REUSED: "this refresh token was already used; the session is revoked",
    }[verdict]
    return DomainError(ErrorCode.SESSION_REVOKED, f"{why}: sign in again", "refreshToken")


async def _locked(work: Work, token: str) -> tuple[ShopperSession | None, RefreshToken | None]:
    """The token's session, locked (refreshes of one family run one at a time), then the token as
    it is now (read after the lock, so a concurrent rotation is seen)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None, None
    digest = hash_refresh_token(token)
    session_id = await work.session.scalar(
        select(RefreshToken.session_id).where(RefreshToken.token_hash == digest)
    )
    if session_id is None:
        return None, None
    row = await work.session.scalar(
        select(ShopperSession).where(ShopperSession.id == session_id).with_for_update()
    )
    found = await work.session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == digest)
        .execution_options(populate_existing=True)
    )
    return row, found


async def refresh(
    deps: Deps, principal: Principal, token: str, policy: SessionPolicy, now: datetime | None = None
) -> IssuedSession:
    """Exchange a refresh token for its successor (SESSION_REVOKED when it is not good for that)."""

    async def use_case(work: Work) -> Result:
        row, found = await _locked(work, token)
        verdict = refresh_verdict(
            found=row is not None and found is not None,
            session_revoked=row is not None and row.revoked_at is not None,
            used=found is not None and found.used_at is not None,
            expires_at=found.expires_at if found is not None else None,
            now=work.now,
        )
        if verdict is RefreshVerdict.REUSED and row is not None:
            _revoke(work, row, SessionEnd.REUSE_DETECTED)
        if verdict is not RefreshVerdict.VALID or row is None or found is None:
            return {"verdict": verdict.value}  # commits the revocation, if any
        found.used_at = work.now
        issued = await _issue(work, row, policy)
        return {
            "verdict": verdict.value,
            "customerId": issued.customer_id,
            "sessionId": issued.session_id,
            "refreshToken": issued.refresh_token,
            "expiresAt": issued.refresh_expires_at.isoformat(),
        }

    result = await run_command(deps, principal, "refreshSession", use_case, actor=session_actor(), now=now)
    verdict = RefreshVerdict(result["verdict"])
    if verdict is not RefreshVerdict.VALID:
        raise _refused(verdict)
    return IssuedSession(
        int(result["customerId"]),
        int(result["sessionId"]),
        str(result["refreshToken"]),
        datetime.fromisoformat(result["expiresAt"]),
    )


async def sign_out(deps: Deps, principal: Principal, token: str, now: datetime | None = None) -> None:
    """Revoke the session of a refresh token (used or not; an already revoked one stays revoked)."""

    async def use_case(work: Work) -> Result:
        row, _ = await _locked(work, token)
        if row is None:
            return {"found": False}
        _revoke(work, row, SessionEnd.SIGNED_OUT)
        return {"found": True}

    result = await run_command(deps, principal, "signOut", use_case, actor=session_actor(), now=now)
    if not result["found"]:
        raise _refused(RefreshVerdict.UNKNOWN)


def _revoke(work: Work, row: ShopperSession, reason: SessionEnd) -> None:
    if row.revoked_at is None:
        row.revoked_at = work.now
        row.revoked_reason = reason
