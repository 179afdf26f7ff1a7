"""The O2O delivery stages of a store-delivery order, as data (SPEC §8 "O2O fulfilment").

Under the tabs of SPEC §3 a STORE_DELIVERY order moves through PICKING → PICKED → RIDER_ASSIGNED
(all 待发货) → DELIVERING → DELIVERED (已发货), then 交易完成 as before. The order's status still
comes from `models.orders.states` alone; this table says which stage each action needs and makes,
so the two can never disagree: every stage lives under exactly one status (`STAGE_STATUS`).
Pure: no I/O, no ORM.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from models.enums import Fulfillment
from models.errors import DomainError, ErrorCode
from models.orders.states import OrderAction, OrderStatus


class DeliveryStage(StrEnum):
    PICKING = "PICKING"  # 拣货中
    PICKED = "PICKED"  # 待配送
    RIDER_ASSIGNED = "RIDER_ASSIGNED"  # 骑手已接单
    DELIVERING = "DELIVERING"  # 配送中
    DELIVERED = "DELIVERED"  # 已送达


class RiderSource(StrEnum):
    STORE = "STORE"  # 自配: the store's own rider
    PLATFORM = "PLATFORM"  # a courier platform's rider (behind services.deliveries.couriers)


G = DeliveryStage
A = OrderAction

STAGE_STATUS: Final[Mapping[DeliveryStage, OrderStatus]] = {
    G.PICKING: OrderStatus.PENDING_SHIPMENT,
    G.PICKED: OrderStatus.PENDING_SHIPMENT,
    G.RIDER_ASSIGNED: OrderStatus.PENDING_SHIPMENT,
    G.DELIVERING: OrderStatus.SHIPPED,
    G.DELIVERED: OrderStatus.SHIPPED,
}
"""The status each stage lives under while the order is not final (a final order keeps its last stage)."""

STAGE_STEPS: Final[Mapping[tuple[DeliveryStage, OrderAction], DeliveryStage]] = {
    (G.PICKING, A.FINISH_PICKING): G.PICKED,
    (G.PICKED, A.ASSIGN_RIDER): G.RIDER_ASSIGNED,
    (G.RIDER_ASSIGNED, A.ASSIGN_RIDER): G.RIDER_ASSIGNED,  # another rider takes over
    (G.RIDER_ASSIGNED, A.UNASSIGN_RIDER): G.PICKED,
    (G.RIDER_ASSIGNED, A.RIDER_PICKUP): G.DELIVERING,
    (G.DELIVERING, A.DELIVER): G.DELIVERED,
}
"""The delivery actions: each needs a stage and makes one."""

DELIVERY_ACTIONS: Final = frozenset(a for _, a in STAGE_STEPS)

_CARRIED: Final[Mapping[tuple[DeliveryStage, OrderAction], DeliveryStage]] = {
    # Seed 000's parcel shipping stays valid for store delivery: the goods leave with the parcels.
    **{(g, A.SHIP): G.DELIVERING for g in (G.PICKING, G.PICKED, G.RIDER_ASSIGNED)},
    # The buyer confirming receipt is proof of delivery.
    (G.DELIVERING, A.CONFIRM_RECEIPT): G.DELIVERED,
}

MAIN_LINE: Final = (G.PICKING, G.PICKED, G.RIDER_ASSIGNED, G.DELIVERING, G.DELIVERED)
_FORWARD: Final[Mapping[DeliveryStage, OrderAction]] = {
    G.PICKING: A.FINISH_PICKING,
    G.PICKED: A.ASSIGN_RIDER,
    G.RIDER_ASSIGNED: A.RIDER_PICKUP,
    G.DELIVERING: A.DELIVER,
}


class InvalidStage(DomainError):
    def __init__(self, stage: DeliveryStage | None, action: OrderAction) -> None:
        where = stage.value if stage is not None else "no delivery stage"
        super().__init__(ErrorCode.INVALID_TRANSITION, f"order at {where} does not allow {action.value}")
        self.stage = stage
        self.action = action


def next_stage(
    fulfillment: Fulfillment, stage: DeliveryStage | None, action: OrderAction
) -> DeliveryStage | None:
    """The stage after `action` (the status table has already allowed the action).

    A store-delivery order enters PICKING when accepted; delivery actions need the table's stage
    (INVALID_TRANSITION otherwise, and always for other fulfilments); every other action keeps
    the stage, except parcel shipping (→ DELIVERING) and the buyer's confirmation (→ DELIVERED).
    """
    if action in DELIVERY_ACTIONS:
        if stage is None or (stage, action) not in STAGE_STEPS:
            raise InvalidStage(stage, action)
        return STAGE_STEPS[(stage, action)]
    if stage is None:
        if action is A.ACCEPT_SHIP and fulfillment is Fulfillment.STORE_DELIVERY:
            return G.PICKING
        return None
    return _CARRIED.get((stage, action), stage)


PLATFORM_REQUEST_STAGE: Final = G.PICKED
"""A courier platform is asked for a rider only once the order is picked and has none (a rider
already on the order is replaced by 自配, `ASSIGN_RIDER` from RIDER_ASSIGNED)."""


def allows(
    fulfillment: Fulfillment,
    stage: DeliveryStage | None,
    action: OrderAction,
    *,
    platform_request: bool = False,
) -> bool:
    """Whether the stage table lets a delivery action happen on this order now (the status table
    is asked separately); `platform_request`: the ASSIGN_RIDER is a request to the courier platform."""
    if fulfillment is not Fulfillment.STORE_DELIVERY or stage is None or (stage, action) not in STAGE_STEPS:
        return False
    return not platform_request or stage is PLATFORM_REQUEST_STAGE


def path_to(stage: DeliveryStage, target: DeliveryStage) -> tuple[OrderAction, ...] | None:
    """The forward actions from `stage` to `target` along the main line: () when already there,
    None when `target` is behind (a late or repeated courier callback changes nothing)."""
    here, there = MAIN_LINE.index(stage), MAIN_LINE.index(target)
    if there < here:
        return None
    return tuple(_FORWARD[g] for g in MAIN_LINE[here:there])


DEFAULT_DELIVERY_MINUTES: Final = 45


def promised_delivery_at(
    paid_at: datetime, delivery_minutes: int, booked_at: datetime | None = None
) -> datetime:
    """When a store-delivery order is promised at the door (承诺送达时间).

    The store's own delivery time after payment; a booked slot (预订单) later than that is the promise.
    """
    earliest = paid_at + timedelta(minutes=delivery_minutes)
    if booked_at is not None and booked_at > earliest:
        return booked_at
    return earliest
