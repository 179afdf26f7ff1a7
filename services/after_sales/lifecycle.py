"""After-sale use cases (售后, SPEC §4): buyers ask, stores decide, money moves exactly once.

Every use case locks the order first (a row lock on PostgreSQL, an IMMEDIATE transaction on
SQLite), so concurrent refunds of one order are serialised and each sees the others' totals; the
database CHECKs and the one-open-after-sale-per-line index back that up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from models.after_sales.escalation_rules import EscalationState
from models.after_sales.refund_policy import (
    LineRefund,
    LineState,
    check_type,
    difference_refund,
    exchange_units,
    is_instant,
    line_refund,
    refund_entry,
)
from models.after_sales.rows import AfterSale, AfterSaleEscalation, AfterSaleLine
from models.after_sales.states import (
    AfterSaleAction,
    AfterSaleInitiator,
    AfterSaleStatus,
    AfterSaleType,
    approve_action,
    receipt_action,
)
from models.enums import ActorType
from models.errors import DomainError, ErrorCode, check_version
from models.orders.event_types import AFTER_SALE_REQUESTED
from models.orders.rows import Order, OrderLine
from models.principals import SYSTEM
from models.stores.rows import Store
from services.after_sales.refunds import after_sale_transition, open_after_sale, pay_out
from services.commands import Result, Work
from services.orders.transitions import lock_order, timeline_note

A = AfterSaleAction
MAX_EVIDENCE = 9
_LINE_RULES = {AfterSaleType.PRICE_DIFFERENCE: difference_refund, AfterSaleType.EXCHANGE: exchange_units}


def line_rule(kind: AfterSaleType) -> Callable[[LineState, int, int | None, str], LineRefund]:
    """How a type validates a line's units and amount (refunds: a refund of those units)."""
    return _LINE_RULES.get(kind, line_refund)


@dataclass(frozen=True, slots=True)
class LineAsk:
    line_id: int
    quantity: int
    amount: int | None = None
    """None: the default, the pro-rata paid amount of those units."""
    replacement_sku_id: int | None = None
    """换货 only: another SKU of the same product at the same price (None: the line's own)."""


def required_text(value: str, field: str, limit: int = 200) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, f"{field} is required (at most {limit} characters)", field
        )
    return value


async def _priced_items(
    work: Work, order: Order, asks: Sequence[LineAsk], kind: AfterSaleType
) -> list[tuple[OrderLine, LineRefund]]:
    if not asks:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "name at least one line", "lines")
    if len({a.line_id for a in asks}) != len(asks):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "each line once (add up the quantity)", "lines")
    lines = {
        line.id: line
        for line in (
            await work.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
        ).all()
    }
    open_lines = set(
        (
            await work.session.scalars(
                select(AfterSaleLine.order_line_id).where(
                    AfterSaleLine.order_line_id.in_(list(lines)), AfterSaleLine.is_open.is_(True)
                )
            )
        ).all()
    )
    items = []
    for i, ask in enumerate(asks):
        line = lines.get(ask.line_id)
        if line is None:
            raise DomainError(ErrorCode.NOT_FOUND, "line is not part of this order", f"lines.{i}.lineId")
        if line.id in open_lines:
            raise DomainError(
                ErrorCode.LINE_HAS_OPEN_AFTER_SALE,
                f"{line.product_name} already has an after-sale in progress",
                f"lines.{i}.lineId",
            )
        if ask.replacement_sku_id is not None and kind is not AfterSaleType.EXCHANGE:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT,
                "only an exchange names a replacement",
                f"lines.{i}.replacementSkuId",
            )
        state = LineState(line.quantity, line.paid_amount, line.refunded_quantity, line.refunded_amount)
        items.append(
            (line, _LINE_RULES.get(kind, line_refund)(state, ask.quantity, ask.amount, f"lines.{i}"))
        )
    return items


async def _open(
    work: Work,
    order: Order,
    action: AfterSaleAction,
    kind: AfterSaleType,
    reason: str,
    items: list[tuple[OrderLine, LineRefund]],
    evidence_urls: Sequence[str] = (),
) -> AfterSale:
    """Create under a savepoint: a request racing past the check still meets the unique index."""
    try:
        async with work.session.begin_nested():
            return await open_after_sale(
                work, order, action=action, kind=kind, reason=reason, items=items, evidence_urls=evidence_urls
            )
    except IntegrityError as exc:
        if "after_sale_lines" not in str(exc.orig) and "open_order_line" not in str(exc.orig):
            raise
        raise DomainError(
            ErrorCode.LINE_HAS_OPEN_AFTER_SALE, "a line already has an after-sale in progress", "lines"
        ) from None


async def _refundable_order(work: Work, order_id: int, initiator: AfterSaleInitiator) -> Order:
    """The order (locked), if the refund policy lets this side start a refund on it now:
    `refund_entry`, the function `availableActions` and `refundableLines` answer with."""
    order = await lock_order(work, order_id)
    lines = (
        await work.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
        )
    ).all()
    open_ids = set(
        (
            await work.session.scalars(
                select(AfterSaleLine.order_line_id).where(
                    AfterSaleLine.order_line_id.in_([line.id for line in lines]),
                    AfterSaleLine.is_open.is_(True),
                )
            )
        ).all()
    )
    rules = work.deps.rules
    entry = refund_entry(
        order.status,
        order.completed_at,
        work.now,
        [
            LineState(line.quantity, line.paid_amount, line.refunded_quantity, line.refunded_amount)
            for line in lines
        ],
        [line.id in open_ids for line in lines],
        initiator=initiator,
        window_days=rules.refund_window.days,
        zone=rules.zone,
        by_hq=work.actor.type is ActorType.HQ,
    )
    if entry.reason is not None:
        raise entry.reason
    return order


def after_sale_result(after_sale: AfterSale) -> Result:

    return {"afterSaleId": after_sale.id, "orderId": after_sale.order_id}


async def request(
    work: Work,
    order_id: int,
    kind: AfterSaleType,
    asks: Sequence[LineAsk],
    reason: str,
    evidence_urls: Sequence[str] = (),
) -> Result:
    """The buyer asks for a refund (仅退款), a return (退款退货), a price difference (退差价) or an
    exchange (换货; `services.after_sales.exchanges.request_exchange` adds the chosen specs) of some units of
    some lines; at a store with 极速退款 an eligible refund-only is refunded at once."""
    reason = required_text(reason, "reason")
    if len(evidence_urls) > MAX_EVIDENCE:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_EVIDENCE} pictures", "evidenceUrls")
    order = await _refundable_order(work, order_id, AfterSaleInitiator.BUYER)
    check_type(kind, order.status)
    items = await _priced_items(work, order, asks, kind)
    after_sale = await _open(work, order, A.REQUEST, kind, reason, items, evidence_urls)
    # The order's status does not change, but its store must hear of the request at once
    # (退款申请 in the live order feed): a timeline row with no action records it.
    payload = {
        "event": AFTER_SALE_REQUESTED,
        "afterSaleId": after_sale.id,
        "afterSaleNo": after_sale.after_sale_no,
        "type": kind.value,
    }
    timeline_note(work, order, payload)
    await _instant_refund(work, order, after_sale, items)
    return after_sale_result(after_sale)


async def _instant_refund(
    work: Work, order: Order, after_sale: AfterSale, items: Sequence[tuple[OrderLine, LineRefund]]
) -> bool:
    """极速退款: the store's setting approves the request at once when `is_instant` says it may
    (the approval is the system's, on the after-sale's timeline); the money moves as on approval."""
    store = await work.session.get(Store, order.store_id) if order.store_id is not None else None
    asks = [
        (refund.quantity, line.quantity - line.shipped_quantity - line.refunded_quantity)
        for line, refund in items
    ]
    if store is None or not store.instant_refund or not is_instant(after_sale.type, order.status, asks):
        return False
    system = dataclasses.replace(work, actor=SYSTEM)
    await after_sale_transition(system, after_sale, A.APPROVE_REFUND_ONLY, {"instant": True})
    await pay_out(system, order, after_sale)
    return True


async def refund_lines(
    work: Work,
    order_id: int,
    asks: Sequence[LineAsk],
    reason: str,
    kind: AfterSaleType = AfterSaleType.REFUND_ONLY,
) -> Result:
    """The store refunds on its own (主动退款): money moves at once. Also the 待分配 partial refund.
    `kind` PRICE_DIFFERENCE (退差价) gives money back on units the buyer keeps."""
    if kind not in (AfterSaleType.REFUND_ONLY, AfterSaleType.PRICE_DIFFERENCE):
        raise DomainError(
            ErrorCode.BAD_USER_INPUT,
            "a store refunds units or a price difference, not a return or an exchange",
            "type",
        )
    reason = required_text(reason, "reason")
    order = await _refundable_order(work, order_id, AfterSaleInitiator.MERCHANT)
    items = await _priced_items(work, order, asks, kind)
    after_sale = await _open(work, order, A.MERCHANT_REFUND, kind, reason, items)
    await pay_out(work, order, after_sale)
    return after_sale_result(after_sale)


async def lock_after_sale(work: Work, after_sale_id: int) -> tuple[AfterSale, Order]:
    """The after-sale and its order (locked), if the caller may see the order; else NOT_FOUND."""
    order_id = await work.session.scalar(select(AfterSale.order_id).where(AfterSale.id == after_sale_id))
    if order_id is None:
        raise DomainError(ErrorCode.NOT_FOUND, "after-sale not found", "afterSaleId")
    try:
        order = await lock_order(work, order_id)
    except DomainError:
        raise DomainError(ErrorCode.NOT_FOUND, "after-sale not found", "afterSaleId") from None
    after_sale = await work.session.scalar(
        select(AfterSale).where(AfterSale.id == after_sale_id).with_for_update()
    )
    assert after_sale is not None
    return after_sale, order


async def _move(
    work: Work,
    after_sale_id: int,
    action: AfterSaleAction | Callable[[AfterSaleType], AfterSaleAction],
    expected_version: int | None,
    **payload: str,
) -> Result:
    """Take `action` (or the one it picks for the after-sale's type); pay out when it refunds."""
    after_sale, order = await lock_after_sale(work, after_sale_id)
    check_version("after-sale", after_sale.version, expected_version)
    chosen = action if isinstance(action, AfterSaleAction) else action(after_sale.type)
    await after_sale_transition(work, after_sale, chosen, dict(payload))
    if after_sale.status is AfterSaleStatus.REFUNDED:
        await pay_out(work, order, after_sale)
    return after_sale_result(after_sale)


async def approve(work: Work, after_sale_id: int, *, expected_version: int | None = None) -> Result:
    """Approve: a refund-only pays at once; a return or an exchange waits for the goods to come back."""
    return await _move(work, after_sale_id, approve_action, expected_version)


async def refund_now(work: Work, after_sale_id: int, *, expected_version: int | None = None) -> Result:
    """Refund whatever step of the after-sale pays: approving a refund-only or price difference in
    review, confirming a return that arrived; anything else is INVALID_TRANSITION (batch 退款)."""
    after_sale, _ = await lock_after_sale(work, after_sale_id)
    pays = {
        AfterSaleStatus.PENDING_REVIEW: approve_action(after_sale.type),
        AfterSaleStatus.RETURN_SHIPPED: A.CONFIRM_RETURN_RECEIVED,
    }.get(after_sale.status)
    if pays is None or pays is A.APPROVE_RETURN:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"after-sale in {after_sale.status.value} has nothing to refund now",
            "afterSaleId",
        )
    return await _move(work, after_sale_id, pays, expected_version)


async def reject(
    work: Work, after_sale_id: int, reason: str, *, expected_version: int | None = None
) -> Result:
    reason = required_text(reason, "reason")
    after_sale, _ = await lock_after_sale(work, after_sale_id)
    check_version("after-sale", after_sale.version, expected_version)
    await after_sale_transition(work, after_sale, A.REJECT, {"reason": reason})
    after_sale.reject_reason = reason
    return after_sale_result(after_sale)


async def withdraw(work: Work, after_sale_id: int, *, expected_version: int | None = None) -> Result:
    """The buyer withdraws; a pending escalation of it (客服介入) is withdrawn with it."""
    result = await _move(work, after_sale_id, A.WITHDRAW, expected_version)
    await work.session.execute(
        update(AfterSaleEscalation)
        .where(
            AfterSaleEscalation.after_sale_id == after_sale_id,
            AfterSaleEscalation.state == EscalationState.PENDING,
        )
        .values(state=EscalationState.WITHDRAWN, decided_at=work.now, version=AfterSaleEscalation.version + 1)
    )
    return result


async def submit_return(
    work: Work, after_sale_id: int, carrier: str, tracking_no: str, *, expected_version: int | None = None
) -> Result:
    """The buyer ships the goods back and says how."""
    carrier, tracking_no = required_text(carrier, "carrier", 32), required_text(tracking_no, "trackingNo", 40)
    after_sale, _ = await lock_after_sale(work, after_sale_id)
    check_version("after-sale", after_sale.version, expected_version)
    await after_sale_transition(
        work, after_sale, A.SUBMIT_RETURN, {"carrier": carrier, "trackingNo": tracking_no}
    )
    after_sale.return_carrier, after_sale.return_tracking_no = carrier, tracking_no
    return after_sale_result(after_sale)


async def confirm_return_received(
    work: Work, after_sale_id: int, *, expected_version: int | None = None
) -> Result:
    """The store has the goods back: the money goes to the buyer (an exchange owes the replacement)."""
    return await _move(work, after_sale_id, receipt_action, expected_version)


async def refuse_return_receipt(
    work: Work, after_sale_id: int, reason: str, *, expected_version: int | None = None
) -> Result:
    """The goods came back damaged or wrong (拒绝收货): no refund."""
    reason = required_text(reason, "reason")
    after_sale, _ = await lock_after_sale(work, after_sale_id)
    check_version("after-sale", after_sale.version, expected_version)
    await after_sale_transition(work, after_sale, A.REFUSE_RETURN_RECEIPT, {"reason": reason})
    after_sale.reject_reason = reason
    return after_sale_result(after_sale)
