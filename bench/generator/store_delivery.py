"""Store-delivery stages of generated orders (PICKING → PICKED → RIDER_ASSIGNED → DELIVERING → DELIVERED).

The planner decides when a store-delivery order leaves the store (its SHIP step) and when the buyer
confirms; this fills in the stages between, at fixed fractions of those gaps, so it draws nothing
from the random stream: data sets keep every other row they had. An order whose next step lies
after `now` rests part-way, so recent orders sit in every stage. Half the riders are the store's
own (自配), half a courier platform's ("fake", the dev adapter), alternating by order id.
"""

from __future__ import annotations

from typing import Final

from bench.generator.common import MINUTE
from bench.generator.sim import OrderSim, apply
from models.deliveries.stages import DeliveryStage, RiderSource
from models.enums import ActorType
from models.orders.states import OrderAction, OrderStatus

A, G = OrderAction, DeliveryStage

_PICKED_AT: Final = 0.35
_ASSIGNED_AT: Final = 0.7
"""Fractions of the time from acceptance to pickup at which picking ends and a rider takes the order."""
DELIVERY_TRIP: Final = 28 * MINUTE
"""From the rider's pickup to the door, unless the buyer confirms sooner."""
_REST: Final = (G.PICKING, G.PICKED, G.RIDER_ASSIGNED)
_RIDERS: Final = ("王师傅", "李师傅", "赵骑手", "陈骑手", "刘师傅")


class StoreDelivery:
    def __init__(self) -> None:
        self._rested = 0

    def before_pickup(self, sim: OrderSim, pickup_at: float) -> None:
        """The steps an order takes before its rider's pickup at `pickup_at`."""
        self._advance(sim, pickup_at, pickup_at)

    def rest(self, sim: OrderSim, now: float, stage: DeliveryStage | None = None) -> None:
        """The order's next step lies after now: resting orders take turns at the stages before
        the pickup (so every stage has orders), reached before now; `stage`: this one (DELIVERED:
        a shipped order reaches the door)."""
        if sim.stage is G.PICKING and sim.status is OrderStatus.PENDING_SHIPMENT:
            start = sim.accepted if sim.accepted is not None else sim.t
            if stage is None:
                self._rested += 1
                stage = _REST[self._rested % len(_REST)]
            self._advance(sim, now, now, stop=stage, start=start)
        elif sim.stage is G.DELIVERING and sim.shipped is not None and (sim.id % 2 or stage is G.DELIVERED):
            at = min(sim.shipped + DELIVERY_TRIP, (sim.t + now) / 2)
            if at < now:
                self._deliver_at(sim, at)

    def deliver(self, sim: OrderSim, confirmed_at: float) -> None:
        """The rider reaches the door before the buyer confirms (or the order auto-completes)."""
        assert sim.shipped is not None
        self._deliver_at(sim, min(sim.shipped + DELIVERY_TRIP, (sim.t + confirmed_at) / 2))

    def pickup_payload(self, sim: OrderSim) -> dict[str, object]:
        return {"platform": sim.rider[1]} if sim.rider is not None and sim.rider[1] else {}

    def _advance(
        self,
        sim: OrderSim,
        pickup_at: float,
        limit: float,
        *,
        stop: DeliveryStage = G.RIDER_ASSIGNED,
        start: float | None = None,
    ) -> None:
        if start is None:
            start = sim.accepted if sim.accepted is not None else sim.t
        gap = max(pickup_at - start, 2.0)
        if sim.stage is G.PICKING and stop is not G.PICKING:
            at = max(sim.t, start + gap * _PICKED_AT)
            if at >= limit:
                return
            apply(sim, A.FINISH_PICKING, at, ActorType.STAFF, _staff(sim))
        if sim.stage is G.PICKED and stop is G.RIDER_ASSIGNED:
            at = max(sim.t, start + gap * _ASSIGNED_AT)
            if at >= limit:
                return
            platform = sim.id % 2 == 0
            actor = ActorType.SYSTEM if platform else ActorType.STAFF
            who = "courier:fake" if platform else _staff(sim)
            sim.rider = (
                (RiderSource.PLATFORM if platform else RiderSource.STORE).value,
                "fake" if platform else None,
                f"{sim.order_no}-g{sim.id % 10_000:04d}" if platform else None,
                _RIDERS[sim.id % len(_RIDERS)],
                f"1370000{sim.id % 10_000:04d}",
                at,
            )
            apply(sim, A.ASSIGN_RIDER, at, actor, who, {"source": sim.rider[0]})

    def _deliver_at(self, sim: OrderSim, at: float) -> None:
        at = max(at, sim.t)
        platform = sim.rider is not None and sim.rider[1] is not None
        actor = ActorType.SYSTEM if platform else ActorType.STAFF
        apply(sim, A.DELIVER, at, actor, "courier:fake" if platform else _staff(sim))


def _staff(sim: OrderSim) -> str | None:
    """The store's first staff member (no draw from the random stream)."""
    return sim.store.staff[0] if sim.store is not None and sim.store.staff else None
