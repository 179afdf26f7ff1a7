"""The refund policy of SPEC §4 and the seed (退款入口), as pure functions — the only place it lives.

* Which orders may be refunded at all: 待提货 / 待发货 / 已发货, and 交易完成 within the refund
  window; merchants may also refund part of a 待分配 order before reallocating it (部分商品退款).
* The window is counted in business days: an order completed on 11-01 (business time zone) can be
  refunded through the end of 11-16 with a 15-day window.
* Per line: at most the units not yet refunded; the amount defaults to the pro-rata paid amount of
  those units and may be lowered, never raised.
* A price difference (退差价) gives money back on units the buyer keeps: it names its amount, which
  is bounded like a refund of those units (their share, and never more than the line still holds),
  and consumes no unit — so the line's later refunds are bounded by what is left of its money.
* Return-and-refund (退款退货) and exchange (换货) only for goods that left the store. An exchange
  moves no money and consumes no unit: exchanged units stay bought, so they may still be refunded
  afterwards (same window, same pro-rata share) — never twice, since a refund consumes them.
* `refund_entry` is the whole question "may this side start a refund on this order now, and of
  what": the refund service raises its reason, `availableActions` shows it, `refundableLines`
  lists its lines — so a button is never offered that the mutation would refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from models.after_sales.states import AfterSaleInitiator, AfterSaleType
from models.errors import DomainError, ErrorCode
from models.orders.states import OrderStatus
from models.pricing import units_share

S = OrderStatus

BUYER_REFUNDABLE: Final = frozenset({S.PENDING_PICKUP, S.PENDING_SHIPMENT, S.SHIPPED, S.COMPLETED})
STORE_REFUNDABLE: Final = BUYER_REFUNDABLE
HQ_REFUNDABLE: Final = BUYER_REFUNDABLE | {S.PENDING_ALLOCATION}
"""待分配 orders belong to HQ (the store rejected them), so only HQ refunds part of one."""
GOODS_LEFT_STORE: Final = frozenset({S.SHIPPED, S.COMPLETED})


def refund_deadline(completed_at: datetime, window_days: int, zone: ZoneInfo) -> datetime:
    """The first instant at which a completed order can no longer be refunded."""
    completed_day = completed_at.astimezone(zone).date()
    last_day = completed_day + timedelta(days=window_days)
    return datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=zone)


def check_refundable(
    status: OrderStatus,
    completed_at: datetime | None,
    now: datetime,
    *,
    initiator: AfterSaleInitiator,
    window_days: int,
    zone: ZoneInfo,
    by_hq: bool = False,
) -> None:
    """Raise the reason when no refund may be started on an order in this state."""
    if initiator is AfterSaleInitiator.BUYER:
        allowed = BUYER_REFUNDABLE
    else:
        allowed = HQ_REFUNDABLE if by_hq else STORE_REFUNDABLE

    if status not in allowed:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"an order in {status.value} cannot be refunded", "orderId"
        )
    if status is S.COMPLETED:
        assert completed_at is not None, "completed orders have completed_at"
        if now >= refund_deadline(completed_at, window_days, zone):
            raise DomainError(
                ErrorCode.REFUND_WINDOW_CLOSED,
                f"refunds close {window_days} days after completion (交易完成{window_days}天后不再提供退款)",
                "orderId",
            )


def check_type(kind: AfterSaleType, status: OrderStatus) -> None:
    if kind in (AfterSaleType.RETURN_AND_REFUND, AfterSaleType.EXCHANGE) and status not in GOODS_LEFT_STORE:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT,
            "return-and-refund and exchange are only for goods that were shipped or collected",
            "type",
        )


@dataclass(frozen=True, slots=True)
class LineState:
    """What the policy needs to know of an order line."""

    quantity: int
    paid_amount: int
    refunded_quantity: int
    refunded_amount: int


@dataclass(frozen=True, slots=True)
class LineRefund:
    quantity: int
    amount: int


def max_refund(line: LineState, quantity: int) -> int:
    """The most that may be returned for `quantity` more units: their pro-rata share of what was paid
    (never more than is left, whatever earlier refunds were lowered to)."""
    share = units_share(line.paid_amount, line.quantity, line.refunded_quantity, quantity)
    return min(share, line.paid_amount - line.refunded_amount)


def line_refund(line: LineState, quantity: int, amount: int | None, field: str) -> LineRefund:
    """Validate one requested line refund; `amount` None means the default (the maximum)."""
    remaining = line.quantity - line.refunded_quantity
    if quantity <= 0:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "quantity must be positive", f"{field}.quantity")
    if quantity > remaining:
        raise DomainError(
            ErrorCode.REFUND_EXCEEDS_QUANTITY,
            f"{quantity} units asked, {remaining} not yet refunded",
            f"{field}.quantity",
        )
    ceiling = max_refund(line, quantity)
    if amount is None:
        return LineRefund(quantity, ceiling)
    if amount < 0:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "amount must not be negative", f"{field}.amount")
    if amount > ceiling:
        raise DomainError(
            ErrorCode.REFUND_EXCEEDS_PAID,
            f"at most {ceiling} cents for {quantity} unit(s) (what was paid for them)",
            f"{field}.amount",
        )
    return LineRefund(quantity, amount)


def difference_refund(line: LineState, quantity: int, amount: int | None, field: str) -> LineRefund:
    """Validate a price difference (退差价) on `quantity` units the buyer keeps: an explicit, positive
    amount within what a refund of those units could give back now (`max_refund`)."""
    if amount is None or amount <= 0:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "a price difference names a positive amount", f"{field}.amount"
        )
    return line_refund(line, quantity, amount, field)


def exchange_units(line: LineState, quantity: int, amount: int | None, field: str) -> LineRefund:
    """Validate an exchange (换货) of `quantity` units: units not yet refunded (every one of them has
    left the store, `check_type`), no money (`amount` absent or 0). The units stay bought."""
    if amount:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "an exchange moves no money", f"{field}.amountCents")
    if quantity <= 0:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "quantity must be positive", f"{field}.quantity")
    remaining = line.quantity - line.refunded_quantity
    if quantity > remaining:
        raise DomainError(
            ErrorCode.EXCHANGE_EXCEEDS_QUANTITY,
            f"{quantity} units asked, {remaining} may be exchanged",
            f"{field}.quantity",
        )
    return LineRefund(quantity, 0)


def apply_refund(line: LineState, refund: LineRefund, *, consumes_units: bool) -> LineState:
    """The line after a refund is paid out: units and money, or money only (a price difference)."""
    return LineState(
        line.quantity,
        line.paid_amount,
        line.refunded_quantity + (refund.quantity if consumes_units else 0),
        line.refunded_amount + refund.amount,
    )


INSTANT_STATUSES: Final = frozenset({S.PENDING_SHIPMENT, S.PENDING_PICKUP})


def is_instant(kind: AfterSaleType, status: OrderStatus, asks: Sequence[tuple[int, int]]) -> bool:
    """极速退款 at a store with the setting: a refund-only request on an order not yet shipped or
    handed over, every unit asked for still in the store. `asks`: (units asked, units of that line
    neither shipped nor refunded)."""
    return (
        kind is AfterSaleType.REFUND_ONLY
        and status in INSTANT_STATUSES
        and all(asked <= in_store for asked, in_store in asks)
    )


def line_left(line: LineState) -> LineRefund | None:
    """What one line may still give back (its unrefunded units and their most money); None: nothing."""
    remaining = line.quantity - line.refunded_quantity
    if remaining <= 0:
        return None
    return LineRefund(remaining, max_refund(line, remaining))


@dataclass(frozen=True, slots=True)
class RefundEntry:
    """Where a refund on an order stands for one side: why none may start (`reason`), and per line
    of the order what is left (`left`, None for a line with nothing left, all None when the order
    itself may not be refunded)."""

    reason: DomainError | None
    left: tuple[LineRefund | None, ...]


def refund_entry(
    status: OrderStatus,
    completed_at: datetime | None,
    now: datetime,
    lines: Sequence[LineState],
    open_lines: Sequence[bool],
    *,
    initiator: AfterSaleInitiator,
    window_days: int,
    zone: ZoneInfo,
    by_hq: bool = False,
) -> RefundEntry:
    """The order's state and window first (`check_refundable`), then whether any unit is left
    (REFUND_EXCEEDS_QUANTITY) and whether some line with units left has no after-sale in
    progress (LINE_HAS_OPEN_AFTER_SALE). `open_lines[i]` tells whether line i has an open one."""
    try:
        check_refundable(
            status, completed_at, now, initiator=initiator, window_days=window_days, zone=zone, by_hq=by_hq
        )
    except DomainError as no:
        return RefundEntry(no, (None,) * len(lines))
    left = tuple(line_left(line) for line in lines)
    reason = None
    if all(item is None for item in left):
        reason = DomainError(ErrorCode.REFUND_EXCEEDS_QUANTITY, "every unit is already refunded", "lines")
    elif all(item is None or busy for item, busy in zip(left, open_lines, strict=True)):
        reason = DomainError(
            ErrorCode.LINE_HAS_OPEN_AFTER_SALE, "every line left has an after-sale in progress", "lines"
        )
    return RefundEntry(reason, left)
