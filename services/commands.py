"""How every state-changing use case runs: idempotency claim → one transaction → after-commit effects.

A use case is a function of a `Work` (the open transaction plus who acts and when). It writes,
queues its side effects (gateway calls; later cache invalidation and pub/sub) with
`work.after_commit`, and returns a small JSON-able result that is stored with the idempotency
key, so a replay returns the same answer without acting again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from models.base import utcnow
from models.errors import DomainError, ErrorCode
from models.principals import Actor, Principal
from services import idempotency
from services.cache import Cache, MemoryCache
from services.config import RulesConfig
from services.coupons.feed import take_coupon_notices
from services.db import SessionFactory, unit_of_work
from services.deliveries.couriers import CourierPlatform, FakeCourier
from services.event_bus import EventBus, MemoryBus
from services.orders.event_notices import take_notices
from services.payments import PaymentGateway

log = logging.getLogger("mallgraph.commands")

Result = dict[str, Any]
Effect = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Deps:
    """Long-lived collaborators of the use cases (built once per process)."""

    sessions: SessionFactory
    gateway: PaymentGateway
    rules: RulesConfig = field(default_factory=RulesConfig)
    cache: Cache = field(default_factory=MemoryCache)
    """For invalidating cached pages after commit (Redis in a fleet, in-process when embedded)."""
    bus: EventBus = field(default_factory=MemoryBus)
    """Where committed order and coupon events are announced to subscribers (Redis pub/sub in a fleet)."""
    courier: CourierPlatform = field(default_factory=FakeCourier)
    """The courier platform store-delivery orders ask riders of (a fake in dev and tests)."""


@dataclass(slots=True)
class Work:
    session: AsyncSession
    deps: Deps
    principal: Principal
    actor: Actor
    now: datetime
    effects: list[Effect] = field(default_factory=list)

    def after_commit(self, effect: Effect) -> None:
        """Run `effect` once the transaction has committed (never if it rolls back)."""
        self.effects.append(effect)


def actor_of(principal: Principal) -> Actor:
    actor_type = principal.actor_type
    if actor_type is None:
        raise DomainError(ErrorCode.FORBIDDEN, "this role may not change anything")
    return Actor(actor_type, principal.subject)


async def run_command(
    deps: Deps,
    principal: Principal,
    operation: str,
    use_case: Callable[[Work], Awaitable[Result]],
    *,
    idempotency_key: str | None = None,
    request: Any = None,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> Result:
    """Run one use case exactly once per idempotency key; DomainError leaves no trace."""
    now = now or utcnow()
    actor = actor or actor_of(principal)
    claim: idempotency.Claim | None = None
    if idempotency_key is not None:
        digest = idempotency.request_hash(operation, request)
        outcome = await idempotency.claim(
            deps.sessions, principal.key, idempotency_key, operation, digest, now, deps.rules
        )
        if isinstance(outcome, idempotency.Replay):
            return outcome.response
        claim = outcome
    work: Work | None = None
    try:
        async with unit_of_work(deps.sessions) as session:
            work = Work(session, deps, principal, actor, now)
            result = await use_case(work)
            if claim is not None:
                await idempotency.complete(session, claim, result, now, deps.rules)
    except StaleDataError:
        if claim is not None:
            await idempotency.release(deps.sessions, claim)
        raise DomainError(
            ErrorCode.VERSION_CONFLICT, "the order was changed by someone else; reload it"
        ) from None
    except BaseException:
        if claim is not None:
            await idempotency.release(deps.sessions, claim)
        raise
    notices = take_notices(work.session.sync_session) + take_coupon_notices(work.session.sync_session)
    if notices:
        # The table already holds the events; a failed publish only delays live subscribers.
        try:
            await deps.bus.publish(notices)
        except Exception:
            log.exception("publishing events of %s failed; subscribers will catch up", operation)
    for effect in work.effects:
        try:
            await effect()
        except Exception:  # an effect's own retry mechanism (outbox, sweep) takes over
            log.exception("after-commit effect of %s failed; its sweep will retry", operation)
    return result
