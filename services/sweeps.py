"""Background sweeps: payment timeout, auto-accept, acceptance timeout, auto-complete, refund retries,
pre-order reminders, exchanges' replacements received, coupons (expiry, 返券 rules, 助力 expiry).

Each order is moved in its own short transaction by `apply_system_action`, which skips rows
another process holds (SKIP LOCKED) and re-checks the state table, so any number of processes
may sweep at once without doing anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select

from models.base import utcnow
from models.errors import DomainError
from models.orders.rows import Order
from models.orders.states import OrderAction, OrderStatus, accept_action
from models.principals import SYSTEM, SYSTEM_PRINCIPAL
from models.stores.rows import Store
from services import idempotency
from services.after_sales.exchanges import auto_confirm_replacements
from services.after_sales.refunds import retry_pending_refunds
from services.commands import Deps, Work, run_command
from services.coupons import pushes
from services.coupons.assists import expire_assists
from services.coupons.issuing import issue_by_rules
from services.coupons.redemption import expire_coupons
from services.coupons.sales import expire_unpaid
from services.deliveries.courier_webhook import purge_nonces
from services.deliveries.queues import raise_alerts
from services.exports.jobs import ExportConfig
from services.exports.runner import expire_exports, kick
from services.group_buy.teams import expire_teams
from services.invites.rewards import grant_rewards, note_first_orders
from services.metrics.rollups import sweep_rollups
from services.orders.counts import merge_parts
from services.orders.day_counts import ensure_day_parts
from services.orders.lifecycle import apply_system_action
from services.pre_orders import send_reminders
from services.telemetry import SWEEP_BACKLOG, SWEEP_ITEMS, SWEEP_RUNS

log = logging.getLogger("mallgraph.sweeps")
BATCH = 200
_ROUTINE = frozenset({"rollup_partitions", "count_parts_merged", "day_count_parts", "webhook_nonces_purged"})
NONCE_MEMORY = timedelta(hours=2)
"""Longer than the largest webhook tolerance the settings allow (one hour)."""


@dataclass(frozen=True, slots=True)
class SweepReport:
    payment_timeouts: int = 0
    auto_accepted: int = 0
    acceptance_timeouts: int = 0
    auto_completed: int = 0
    refunds_retried: int = 0
    idempotency_purged: int = 0
    teams_failed: int = 0
    invite_first_orders: int = 0
    rewards_granted: int = 0
    rollup_partitions: int = 0
    """Metric rollup partitions refreshed (services/metrics/rollups.py)."""
    count_parts_merged: int = 0
    """Order count parts merged into their pair's sum (services/orders/counts.py)."""
    day_count_parts: int = 0
    """Day count parts merged away, or written by a rebuild for another zone (orders/day_counts.py)."""
    coupons_expired: int = 0
    """UNUSED coupons past their end written EXPIRED (services/coupons/redemption.py)."""
    coupons_issued_by_rules: int = 0
    """返券: coupons issued by rules for new causes (services/coupons/issuing.py)."""
    assists_expired: int = 0
    """助力 assists past their end without their helpers (services/coupons/assists.py)."""
    coupon_purchases_expired: int = 0
    """Unpaid coupon purchases (卖券) past their deadline (services/coupons/sales.py)."""
    webhook_nonces_purged: int = 0
    """Courier webhook nonces past any signature's tolerance (services/deliveries/courier_webhook.py)."""
    delivery_alerts: int = 0
    """Orders newly in the 催单 / 配送异常 queues (services/deliveries/queues.py)."""
    booking_accept_reminders: int = 0
    booking_pick_reminders: int = 0
    """预订单 reminders sent (services/pre_orders.py)."""
    replacements_confirmed: int = 0
    """换货 whose replacement parcel counts as received (services/after_sales/exchanges.py)."""


async def _ids(deps: Deps, stmt: Select[int], kind: str) -> Sequence[int]:
    async with deps.sessions() as session:
        ids = (await session.scalars(stmt.order_by(Order.id).limit(BATCH))).all()
    SWEEP_BACKLOG.labels(kind).set(len(ids))
    return ids


async def _move(deps: Deps, ids: Sequence[int], action: OrderAction | None, now: datetime) -> int:
    moved = 0
    for order_id in ids:

        async def apply(work: Work, order_id: int = order_id) -> dict[str, object]:
            chosen = action
            if chosen is None:  # auto-accept: the branch depends on the order's fulfilment
                order = await work.session.get(Order, order_id)
                if order is None:
                    return {"moved": False}
                chosen = accept_action(order.fulfillment)
            return {"moved": await apply_system_action(work, order_id, chosen)}

        try:
            result = await run_command(deps, SYSTEM_PRINCIPAL, "sweep", apply, actor=SYSTEM, now=now)
        except DomainError as exc:
            log.warning("sweep could not move order %s: %s", order_id, exc)
            continue
        moved += bool(result["moved"])
    return moved


async def run_sweeps(deps: Deps, now: datetime | None = None) -> SweepReport:
    now = now or utcnow()
    rules = deps.rules
    unpaid = select(Order.id).where(
        Order.status == OrderStatus.PENDING_PAYMENT, Order.payment_deadline <= now
    )
    auto = (
        select(Order.id)
        .join(Store, Store.id == Order.store_id)
        .where(Order.status == OrderStatus.PENDING_ACCEPTANCE, Store.auto_accept.is_(True))
    )
    waiting_since = func.coalesce(Order.allocated_at, Order.grouped_at, Order.paid_at)
    stale = (
        select(Order.id)
        .outerjoin(Store, Store.id == Order.store_id)
        .where(
            Order.status == OrderStatus.PENDING_ACCEPTANCE,
            func.coalesce(Store.auto_accept, False).is_(False),
            waiting_since <= now - rules.acceptance_timeout,
            # a pre-order placed while closed waits from its store's opening (models/pre_orders.py)
            or_(Order.accept_from.is_(None), Order.accept_from <= now - rules.acceptance_timeout),
        )
    )
    shipped = select(Order.id).where(
        Order.status == OrderStatus.SHIPPED, Order.shipped_at <= now - rules.auto_complete_after
    )
    booking_accept, booking_pick = await send_reminders(deps, now)
    return SweepReport(
        payment_timeouts=await _move(
            deps, await _ids(deps, unpaid, "payment_timeouts"), OrderAction.PAYMENT_TIMEOUT, now
        ),
        auto_accepted=await _move(deps, await _ids(deps, auto, "auto_accepted"), None, now),
        acceptance_timeouts=await _move(
            deps, await _ids(deps, stale, "acceptance_timeouts"), OrderAction.ACCEPTANCE_TIMEOUT, now
        ),
        auto_completed=await _move(
            deps, await _ids(deps, shipped, "auto_completed"), OrderAction.AUTO_COMPLETE, now
        ),
        refunds_retried=await retry_pending_refunds(deps.sessions, deps.gateway, now),
        idempotency_purged=await idempotency.purge_expired(deps.sessions, now),
        teams_failed=await expire_teams(deps, now),
        invite_first_orders=await note_first_orders(deps, now),
        rewards_granted=await grant_rewards(deps, now),
        rollup_partitions=await sweep_rollups(deps.sessions, deps.rules.zone, now),
        count_parts_merged=await merge_parts(deps.sessions),
        day_count_parts=await ensure_day_parts(deps.sessions, deps.rules.zone),
        coupons_expired=await expire_coupons(deps, now),
        coupons_issued_by_rules=await issue_by_rules(deps, now),
        assists_expired=await expire_assists(deps.sessions, now),
        coupon_purchases_expired=await expire_unpaid(deps, now),
        webhook_nonces_purged=await purge_nonces(deps.sessions, now - NONCE_MEMORY),
        delivery_alerts=await raise_alerts(deps, now),
        booking_accept_reminders=booking_accept,
        booking_pick_reminders=booking_pick,
        replacements_confirmed=await auto_confirm_replacements(deps, now),
    )


class SweepRunner:
    """Runs the sweeps every `interval` seconds inside the server process until stopped.

    Each run wakes this process's coupon push runner (services/coupons/pushes.py). With
    `exports`, each run also expires old export files and wakes this process's export
    worker, which claims queued jobs and those a dead process left (services/exports/runner.py).
    """

    def __init__(self, deps: Deps, interval: float, exports: ExportConfig | None = None) -> None:
        self.deps = deps
        self.interval = interval
        self.exports = exports
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="mallgraph-sweeps")

    async def _loop(self) -> None:
        while True:
            try:
                report = await run_sweeps(self.deps)
                SWEEP_RUNS.labels("ok").inc()
                for kind, count in dataclasses.asdict(report).items():
                    if count:
                        SWEEP_ITEMS.labels(kind).inc(count)
                done = dataclasses.asdict(report)
                # Rollups re-read recent partitions and count parts merge on every run: routine, not news.
                routine = not any(count for kind, count in done.items() if kind not in _ROUTINE)
                if any(done.values()):
                    log.log(logging.DEBUG if routine else logging.INFO, "sweep: %s", report)
                pushes.kick(self.deps)  # coupon push jobs queued, or left by a dead process
                if self.exports is not None:
                    expired = await expire_exports(self.deps.sessions, utcnow())
                    if expired:
                        log.info("sweep: %s export files expired", expired)
                    kick(self.deps.sessions, self.exports)

            except Exception:
                SWEEP_RUNS.labels("failed").inc()
                log.exception("sweep failed; next run in %ss", self.interval)
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
