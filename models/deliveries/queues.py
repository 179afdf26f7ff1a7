"""The store-delivery exception queues (SPEC: 催单, 配送异常) and when an order is in one. Pure.

OVERDUE (催单): a store-delivery order not yet at the door whose promised time has passed.
NO_RIDER (配送异常): a picked order still without a rider N minutes after it was picked or a rider
was asked for. An order leaves a queue by itself once the condition no longer holds; the sweeper
raises an alert (one event on the feed) the first time it enters each queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from models.deliveries.stages import DeliveryStage
from models.enums import ActorType
from models.orders.states import FINAL_STATUSES, OrderStatus


class FollowUp(StrEnum):
    """What the store did about a late or stuck delivery (催单处理)."""

    CONTACTED_RIDER = "CONTACTED_RIDER"  # 联系骑手
    CONTACTED_BUYER = "CONTACTED_BUYER"  # 联系顾客
    SENT_PROGRESS = "SENT_PROGRESS"  # 发送配送进度 (the buyer's feed carries the note)


class DeliveryQueue(StrEnum):
    OVERDUE = "OVERDUE"  # 催单: past the promised time
    NO_RIDER = "NO_RIDER"  # 配送异常: no rider after N minutes


NOT_AT_THE_DOOR: Final = (
    DeliveryStage.PICKING,
    DeliveryStage.PICKED,
    DeliveryStage.RIDER_ASSIGNED,
    DeliveryStage.DELIVERING,
)


FOLLOW_UP_ACTORS: Final = frozenset({ActorType.STAFF, ActorType.HQ})
"""Who follows a delivery up: the store or HQ."""


def may_follow_up(status: OrderStatus, stage: DeliveryStage | None) -> bool:
    """A delivery is followed up while the order is on its way to the door (not final)."""
    return status not in FINAL_STATUSES and stage in NOT_AT_THE_DOOR


def is_overdue(stage: DeliveryStage | None, promised_at: datetime | None, now: datetime) -> bool:
    return stage in NOT_AT_THE_DOOR and promised_at is not None and promised_at < now


def lacks_rider(
    stage: DeliveryStage | None, waiting_since: datetime | None, now: datetime, after: timedelta
) -> bool:
    return stage is DeliveryStage.PICKED and waiting_since is not None and waiting_since <= now - after
