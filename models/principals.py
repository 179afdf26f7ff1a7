"""Who is calling: role plus scope (stores for staff, customer for shoppers). Pure data."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import ActorType, Role


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role | None
    """None: anonymous (public group-buy pages, product browse, event tracking only)."""
    subject: str | None = None
    store_ids: frozenset[int] = frozenset()
    customer_id: int | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.role is None

    @property
    def key(self) -> str:
        """Stable identity for idempotency keys and rate limits."""
        return f"{self.role.value}:{self.subject}" if self.role else "anonymous"

    @property
    def actor_type(self) -> ActorType | None:
        """How the order tables see this caller (None: may not act on orders)."""
        return (
            {
                Role.HQ_ADMIN: ActorType.HQ,
                Role.STORE_STAFF: ActorType.STAFF,
                Role.SHOPPER: ActorType.CUSTOMER,
            }.get(self.role)
            if self.role
            else None
        )

    def sees_all_stores(self) -> bool:
        return self.role in (Role.HQ_ADMIN, Role.ANALYST)


ANONYMOUS = Principal(role=None)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who an event is attributed to (written on every order event)."""

    type: ActorType
    id: str | None = None


SYSTEM = Actor(ActorType.SYSTEM, "system")
SYSTEM_PRINCIPAL = Principal(Role.HQ_ADMIN, "system")
"""Sweeps and gateway callbacks act with the system's principal, which sees every order."""

PAYMENT_GATEWAY = Actor(ActorType.PAYMENT, "gateway")
