"""Pending compensation claims (餐损赔付) on a few delivered store-delivery orders.

About one delivered store-delivery order in 40 gets a PENDING claim raised by its store ten minutes
after the last change of its status, with its CLAIM_RAISED timeline note. Which orders, the cause
and the amount follow from the order id alone (no random draw), so the rest of the data set is
what it would be without them. No money moves: a pending claim waits for HQ.
"""

from __future__ import annotations

from typing import Final

from bench.generator.common import MINUTE, Batch, Ids, dt, json_text, scramble
from bench.generator.sim import OrderSim
from models.claims.rules import ClaimCause, ClaimState
from models.enums import ActorType, Fulfillment
from models.orders.event_types import CLAIM_RAISED
from models.orders.states import OrderStatus

EVERY: Final = 40
_CAUSES: Final = tuple(ClaimCause)
_NOTES: Final = {
    ClaimCause.RIDER_LATE: "骑手超时送达, 顾客投诉",
    ClaimCause.DAMAGED: "餐品洒漏, 顾客拍照",
    ClaimCause.SYSTEM: "系统故障, 订单延误",
    ClaimCause.LOCATION: "定位错误, 骑手送错地址",
}
_DELIVERED: Final = frozenset({OrderStatus.SHIPPED.value, OrderStatus.COMPLETED.value})


def emit_claim(sim: OrderSim, ids: Ids, batch: Batch, now: float) -> None:
    if (
        sim.fulfillment != Fulfillment.STORE_DELIVERY.value
        or sim.delivered is None
        or sim.status.value not in _DELIVERED
        or sim.paid_amount <= 0
    ):
        return
    mixed = scramble(sim.id)
    if mixed % EVERY:
        return
    at = max(sim.delivered, sim.completed or sim.delivered) + 10 * MINUTE
    if at >= now:
        return
    cause = _CAUSES[mixed // EVERY % len(_CAUSES)]
    amount = min(300 + 100 * (mixed // (EVERY * 4) % 8), sim.paid_amount)
    claim_id = ids.next("compensation_claims")
    staff = ActorType.STAFF.value
    batch.add(
        "compensation_claims",
        (
            claim_id,
            sim.id,
            sim.store_id,
            cause.value,
            ClaimState.PENDING.value,
            amount,
            None,
            _NOTES[cause],
            json_text([]),
            staff,
            None,
            None,
            None,
            dt(at),
            None,
            None,
            1,
        ),
    )
    payload = {"event": CLAIM_RAISED, "claimId": claim_id, "cause": cause.value, "state": "PENDING"}
    status = sim.status.value
    batch.add(
        "order_events",
        (
            ids.next("order_events"),
            sim.id,
            sim.store_id,
            None,
            status,
            status,
            staff,
            None,
            json_text(payload),
            dt(at),
        ),
    )
