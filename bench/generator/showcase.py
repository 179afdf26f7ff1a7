"""Showcase orders: one order per interesting status and path, placed at a fitting age.

Natural odds give every status at scale, but a 300-order demo would rarely contain an order
created in the last 30 minutes (still 待付款) or an after-sale waiting for its return parcel.
These ~45 scripted orders guarantee that every order status, every after-sale status and every
path (rejection, reallocation, split shipping, team success and failure, closing by refund,
exchanges, escalations to HQ, price differences) is present in any data set, each at an age at
which a real order would be in that state; so are the store-delivery stages before the rider's
pickup (`rests_at`), a picked one waiting for a rider.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

from bench.generator.common import HOUR
from models.after_sales.states import AfterSaleAction, AfterSaleType
from models.deliveries.stages import DeliveryStage
from models.enums import Fulfillment, OrderType
from models.orders.states import OrderAction, OrderStatus

A = OrderAction
AA = AfterSaleAction
S = OrderStatus
PICKUP = Fulfillment.SELF_PICKUP
DELIVERY = Fulfillment.STORE_DELIVERY
EXPRESS = Fulfillment.EXPRESS
REFUND_ONLY = AfterSaleType.REFUND_ONLY
RETURN = AfterSaleType.RETURN_AND_REFUND
EXCHANGE = AfterSaleType.EXCHANGE
DIFFERENCE = AfterSaleType.PRICE_DIFFERENCE
_EXCHANGE_WALK = (
    AA.REQUEST,
    AA.APPROVE_RETURN,
    AA.SUBMIT_RETURN,
    AA.CONFIRM_EXCHANGE_RETURN,
    AA.SHIP_REPLACEMENT,
    AA.CONFIRM_REPLACEMENT,
)


@dataclass(frozen=True, slots=True)
class AfterSaleScript:
    stage: OrderStatus
    """The order status in which the buyer asks."""
    type: AfterSaleType
    actions: tuple[AfterSaleAction, ...]
    full: bool = False


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    age_hours: tuple[float, float]
    actions: tuple[OrderAction, ...]
    fulfillment: Fulfillment | None = None
    order_type: OrderType = OrderType.NORMAL
    manual_store: bool = False
    """Needs a store that accepts by hand (rejections, timeouts, waiting for acceptance)."""
    multi_line: bool = False
    after_sale: AfterSaleScript | None = None
    team: str | None = None
    """Group buy: "forming" (nobody joins yet), "fail" (nobody joins), "fill" (the team fills)."""
    partial_refund: bool = False
    rests_at: DeliveryStage | None = None
    """Store delivery: the stage the order has reached once its script is done (before its pickup)."""


_PAID_PICKUP = (A.PAY, A.ACCEPT_PICKUP, A.VERIFY_PICKUP)
_DELIVERED = (A.PAY, A.ACCEPT_SHIP, A.SHIP, A.CONFIRM_RECEIPT)


def _completed_with(name: str, hours: tuple[float, float], script: AfterSaleScript) -> Scenario:
    return Scenario(name, hours, _DELIVERED, DELIVERY, after_sale=script)


SCENARIOS: Final[tuple[Scenario, ...]] = (
    Scenario("pending_payment", (0.05, 0.4), ()),
    Scenario("payment_timeout", (48, 600), (A.PAYMENT_TIMEOUT,)),
    Scenario("cancel_unpaid", (30, 700), (A.CANCEL,)),
    Scenario("awaiting_group", (0.5, 10), (A.PAY_GROUP_BUY,), order_type=OrderType.GROUP_BUY, team="forming"),
    Scenario(
        "team_failed",
        (120, 850),
        (A.PAY_GROUP_BUY, A.TEAM_FAILED),
        order_type=OrderType.GROUP_BUY,
        team="fail",
    ),
    Scenario(
        "team_succeeded",
        (72, 850),
        (A.PAY_GROUP_BUY, A.TEAM_SUCCEEDED, *_PAID_PICKUP[1:]),
        PICKUP,
        OrderType.GROUP_BUY,
        team="fill",
    ),
    Scenario("pending_acceptance", (0.1, 0.22), (A.PAY,), manual_store=True),
    Scenario("reallocated_waiting", (0.35, 0.5), (A.PAY, A.REJECT, A.REALLOCATE), manual_store=True),
    Scenario("pending_allocation", (0.3, 3), (A.PAY, A.REJECT), manual_store=True),
    Scenario("acceptance_timeout", (0.6, 3), (A.PAY, A.ACCEPTANCE_TIMEOUT), manual_store=True),
    Scenario("cancel_before_acceptance", (48, 900), (A.PAY, A.CANCEL), manual_store=True),
    Scenario("cancel_in_allocation", (48, 900), (A.PAY, A.REJECT, A.CANCEL), manual_store=True),
    Scenario("pending_shipment", (0.4, 0.8), (A.PAY, A.ACCEPT_SHIP), DELIVERY),
    Scenario("partly_shipped", (3, 30), (A.PAY, A.ACCEPT_SHIP, A.SHIP_PARTIAL), EXPRESS, multi_line=True),
    Scenario("pending_pickup", (1, 20), (A.PAY, A.ACCEPT_PICKUP), PICKUP),
    Scenario("shipped_express", (30, 60), (A.PAY, A.ACCEPT_SHIP, A.SHIP), EXPRESS),
    Scenario("shipped_delivery", (0.6, 1.2), (A.PAY, A.ACCEPT_SHIP, A.SHIP), DELIVERY),
    Scenario("completed_pickup", (72, 1500), _PAID_PICKUP, PICKUP),
    Scenario(
        "completed_split_auto",
        (400, 1500),
        (A.PAY, A.ACCEPT_SHIP, A.SHIP_PARTIAL, A.SHIP, A.AUTO_COMPLETE),
        EXPRESS,
        multi_line=True,
    ),
    Scenario("completed_delivery", (72, 1500), _DELIVERED, DELIVERY),
    Scenario(
        "completed_after_reallocation",
        (120, 1500),
        (A.PAY, A.REJECT, A.REALLOCATE, *_DELIVERED[1:]),
        DELIVERY,
        manual_store=True,
        multi_line=True,
        partial_refund=True,
    ),
    Scenario(
        "closed_before_shipping",
        (48, 1200),
        (A.PAY, A.ACCEPT_SHIP),
        DELIVERY,
        after_sale=AfterSaleScript(
            S.PENDING_SHIPMENT, REFUND_ONLY, (AA.REQUEST, AA.APPROVE_REFUND_ONLY), True
        ),
    ),
    Scenario(
        "closed_after_return",
        (300, 1500),
        (A.PAY, A.ACCEPT_SHIP, A.SHIP),
        EXPRESS,
        after_sale=AfterSaleScript(
            S.SHIPPED,
            RETURN,
            (AA.REQUEST, AA.APPROVE_RETURN, AA.SUBMIT_RETURN, AA.CONFIRM_RETURN_RECEIVED),
            True,
        ),
    ),
    Scenario(
        "after_sale_pending_review",
        (60, 200),
        _PAID_PICKUP,
        PICKUP,
        after_sale=AfterSaleScript(S.COMPLETED, REFUND_ONLY, (AA.REQUEST,)),
    ),
    _completed_with(
        "after_sale_awaiting_return",
        (80, 250),
        AfterSaleScript(S.COMPLETED, RETURN, (AA.REQUEST, AA.APPROVE_RETURN)),
    ),
    _completed_with(
        "after_sale_return_shipped",
        (100, 300),
        AfterSaleScript(S.COMPLETED, RETURN, (AA.REQUEST, AA.APPROVE_RETURN, AA.SUBMIT_RETURN)),
    ),
    _completed_with(
        "after_sale_refunded",
        (100, 1500),
        AfterSaleScript(S.COMPLETED, REFUND_ONLY, (AA.REQUEST, AA.APPROVE_REFUND_ONLY)),
    ),
    _completed_with(
        "after_sale_rejected", (100, 1500), AfterSaleScript(S.COMPLETED, REFUND_ONLY, (AA.REQUEST, AA.REJECT))
    ),
    _completed_with(
        "after_sale_withdrawn", (100, 1500), AfterSaleScript(S.COMPLETED, RETURN, (AA.REQUEST, AA.WITHDRAW))
    ),
    _completed_with(
        "after_sale_receipt_rejected",
        (200, 1500),
        AfterSaleScript(
            S.COMPLETED, RETURN, (AA.REQUEST, AA.APPROVE_RETURN, AA.SUBMIT_RETURN, AA.REFUSE_RETURN_RECEIPT)
        ),
    ),
    Scenario(
        "after_sale_while_shipped",
        (30, 60),
        (A.PAY, A.ACCEPT_SHIP, A.SHIP),
        EXPRESS,
        after_sale=AfterSaleScript(S.SHIPPED, REFUND_ONLY, (AA.REQUEST,)),
    ),
    # 换货 in each state (a replacement on its way younger than the auto-confirmation days)
    *(
        _completed_with(f"exchange_{n}", hours, AfterSaleScript(S.COMPLETED, EXCHANGE, _EXCHANGE_WALK[:n]))
        for n, hours in ((1, (60, 200)), (2, (80, 250)), (3, (100, 300)), (4, (100, 300)), (5, (30, 100)))
    ),
    _completed_with("exchange_done", (200, 1500), AfterSaleScript(S.COMPLETED, EXCHANGE, _EXCHANGE_WALK)),
    # 客服介入: waiting for HQ, and decided either way
    _completed_with(
        "escalation_pending",
        (60, 200),
        AfterSaleScript(S.COMPLETED, REFUND_ONLY, (AA.REQUEST, AA.REJECT, AA.ESCALATE)),
    ),
    _completed_with(
        "escalation_for_buyer",
        (100, 1500),
        AfterSaleScript(
            S.COMPLETED, REFUND_ONLY, (AA.REQUEST, AA.REJECT, AA.ESCALATE, AA.SUPPORT_BUYER_REFUND)
        ),
    ),
    _completed_with(
        "escalation_for_store",
        (100, 1500),
        AfterSaleScript(S.COMPLETED, EXCHANGE, (AA.REQUEST, AA.REJECT, AA.ESCALATE, AA.SUPPORT_STORE)),
    ),
    # 退差价: asked and paid, and one waiting for review
    _completed_with(
        "price_difference_refunded",
        (100, 1500),
        AfterSaleScript(S.COMPLETED, DIFFERENCE, (AA.REQUEST, AA.APPROVE_REFUND_ONLY)),
    ),
    _completed_with(
        "price_difference_in_review", (40, 150), AfterSaleScript(S.COMPLETED, DIFFERENCE, (AA.REQUEST,))
    ),
    # Picked well before now and still without a rider (配送异常), and one with its rider.
    Scenario("picked_no_rider", (0.6, 1.0), (A.PAY, A.ACCEPT_SHIP), DELIVERY, rests_at=DeliveryStage.PICKED),
    Scenario(
        "rider_assigned", (0.4, 0.8), (A.PAY, A.ACCEPT_SHIP), DELIVERY, rests_at=DeliveryStage.RIDER_ASSIGNED
    ),
    # At the door, the buyer not yet confirming (送达, still 已发货).
    Scenario(
        "delivered_unconfirmed",
        (1.5, 3.0),
        (A.PAY, A.ACCEPT_SHIP, A.SHIP),
        DELIVERY,
        rests_at=DeliveryStage.DELIVERED,
    ),
)


def showcase_slots(rng: random.Random, orders: int, now: float) -> list[tuple[float, Scenario]]:
    """Creation instants of the scenarios that fit: small data sets keep about a tenth showcase."""
    count = min(len(SCENARIOS), orders // 3)
    slots = []
    for scenario in SCENARIOS[:count]:
        low, high = scenario.age_hours
        slots.append((now - rng.uniform(low, high) * HOUR, scenario))
    slots.sort(key=lambda pair: pair[0])
    return slots
