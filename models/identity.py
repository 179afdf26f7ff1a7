"""Shopper sign-in (登录): who a customer is at an identity provider, and their refresh-token sessions.

* `CustomerIdentity`: one row per (provider, subject) — the WeChat openid — unique, so however many
  first sign-ins race, one customer is created (the losers retry and find it).
* `ShopperSession`: one signed-in device (a refresh-token family); revoking it (sign-out, or the reuse
  of a rotated token) ends every refresh token in it at once.
* `RefreshToken`: only the SHA-256 of the token is stored. Each token is used once: refreshing marks it
  used and issues its successor in the same session; presenting a used token again is reuse.

Pure rules (`refresh_verdict`, `hash_refresh_token`) decide; services do the I/O.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime, enum_type, id_pk
from models.enums import SourceChannel

REFRESH_TOKEN_BYTES: Final = 32
"""256 bits of randomness: guessing is hopeless, so refresh needs no rate limit of its own."""
DEFAULT_NICKNAME: Final = "微信用户"
"""What WeChat itself shows for a user who shared no profile."""


class IdentityProvider(StrEnum):
    WECHAT_MINIPROGRAM = "WECHAT_MINIPROGRAM"


class SessionEnd(StrEnum):
    """Why a session was revoked."""

    SIGNED_OUT = "SIGNED_OUT"
    REUSE_DETECTED = "REUSE_DETECTED"
    """A rotated refresh token came back: someone holds a copy, so the whole family ends."""


class RefreshVerdict(StrEnum):
    VALID = "VALID"
    UNKNOWN = "UNKNOWN"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    REUSED = "REUSED"


class CustomerIdentity(Base):
    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = id_pk()
    provider: Mapped[IdentityProvider] = mapped_column(enum_type(IdentityProvider))
    subject: Mapped[str] = mapped_column(String(128))
    """The provider's stable user id for this app (WeChat: openid)."""
    union_id: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"), index=True)
    source: Mapped[SourceChannel | None] = mapped_column(enum_type(SourceChannel))
    """The channel of the visit that made the customer (渠道来源), as the mini-program reported it."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_sign_in_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ShopperSession(Base):
    __tablename__ = "shopper_sessions"

    id: Mapped[int] = id_pk()
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"), index=True)
    identity_id: Mapped[int] = mapped_column(IdType, ForeignKey("customer_identities.id"))
    device_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_reason: Mapped[SessionEnd | None] = mapped_column(enum_type(SessionEnd))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[int] = id_pk()
    session_id: Mapped[int] = mapped_column(IdType, ForeignKey("shopper_sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 (hex) of the token; the token itself is never stored."""
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """Set when it was exchanged for its successor; a used token presented again is reuse."""


def new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def refresh_verdict(
    *, found: bool, session_revoked: bool, used: bool, expires_at: datetime | None, now: datetime
) -> RefreshVerdict:
    """What presenting a refresh token means. Reuse outranks expiry and revocation: a used token
    coming back is reported (and ends its family) even when it would be refused anyway."""
    if not found:
        return RefreshVerdict.UNKNOWN
    if used:
        return RefreshVerdict.REUSED
    if session_revoked:
        return RefreshVerdict.REVOKED
    if expires_at is None or expires_at <= now:
        return RefreshVerdict.EXPIRED
    return RefreshVerdict.VALID


def new_invite_code() -> str:
    """A customer's own invite code (邀请码): 8 characters without look-alikes (0/O, 1/I)."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "W" + "".join(secrets.choice(alphabet) for _ in range(7))
