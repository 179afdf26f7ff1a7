"""Compensation claims (餐损赔付): raise, HQ verdict, pay-out, the list with counts, losses by cause.

Every step locks the order first and then the claim (FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
transaction serialises writers), so of two verdicts on one claim exactly one finds it PENDING.
Paying opens a merchant price difference (退差价) spread over the lines that have no after-sale in
progress and hands it to `services.after_sales.refunds.pay_out`: order totals, line totals and the refund row
move together and can never pass what was paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from models.after_sales.refund_policy import LineRefund, LineState, line_left
from models.after_sales.rows import AfterSaleLine
from models.after_sales.states import AfterSaleAction, AfterSaleType
from models.claims.rows import CompensationClaim
from models.claims.rules import (
    ClaimAction,
    ClaimCause,
    ClaimState,
    allocate,
    check_compensation,
    next_claim_state,
)
from models.enums import Fulfillment
from models.errors import DomainError, ErrorCode, check_version
from models.orders.event_types import CLAIM_DECIDED, CLAIM_RAISED
from models.orders.rows import Order, OrderLine
from models.orders.states import OrderStatus
from models.principals import Principal
from services.after_sales.refunds import open_after_sale, pay_out
from services.commands import Result, Work
from services.db import SessionFactory
from services.orders.transitions import lock_order, timeline_note
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import visible_through_order
from services.tabs import tab_counts

MAX_EVIDENCE = 9
CLAIMABLE = frozenset({OrderStatus.PENDING_SHIPMENT, OrderStatus.SHIPPED, OrderStatus.COMPLETED})
"""Paid store-delivery orders still holding money: being prepared or delivered, or delivered."""


def _text(value: str, field: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, f"{field} is required (at most {limit} characters)", field
        )
    return value


def _result(claim: CompensationClaim) -> Result:
    return {"claimId": claim.id, "orderId": claim.order_id}


def _note(work: Work, order: Order, claim: CompensationClaim, event: str) -> None:
    payload: dict[str, Any] = {
        "event": event,
        "claimId": claim.id,
        "cause": claim.cause.value,
        "state": claim.state.value,
    }
    if claim.compensation_amount is not None:
        payload["amount"] = claim.compensation_amount
    timeline_note(work, order, payload)


async def raise_claim(
    work: Work,
    order_id: int,
    cause: ClaimCause,
    asked_amount: int,
    note: str,
    evidence_urls: Sequence[str] = (),
) -> Result:
    """The store or the buyer asks for compensation on a store-delivery order they can see."""
    note = _text(note, "note", 500)
    if asked_amount <= 0:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "ask a positive number of cents", "amountCents")
    if len(evidence_urls) > MAX_EVIDENCE:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_EVIDENCE} pictures", "evidenceUrls")
    order = await lock_order(work, order_id)
    if order.fulfillment is not Fulfillment.STORE_DELIVERY:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "claims are for store-delivery orders", "orderId")
    if order.status not in CLAIMABLE:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"an order in {order.status.value} takes no claim", "orderId"
        )
    claim = CompensationClaim(
        order_id=order.id,
        store_id=order.store_id,
        cause=cause,
        state=next_claim_state(None, ClaimAction.RAISE, work.actor.type),
        asked_amount=asked_amount,
        note=note,
        evidence_urls=list(evidence_urls),
        raised_by_type=work.actor.type,
        raised_by_id=work.actor.id,
        created_at=work.now,
    )
    work.session.add(claim)
    await work.session.flush()
    _note(work, order, claim, CLAIM_RAISED)
    return _result(claim)


async def _lock(work: Work, claim_id: int, expected_version: int | None) -> tuple[CompensationClaim, Order]:
    """The claim and its order, both locked, if the caller may see the order; else NOT_FOUND."""
    order_id = await work.session.scalar(
        select(CompensationClaim.order_id).where(CompensationClaim.id == claim_id)
    )
    if order_id is None:
        raise DomainError(ErrorCode.NOT_FOUND, "claim not found", "claimId")
    try:
        order = await lock_order(work, order_id)
    except DomainError:
        raise DomainError(ErrorCode.NOT_FOUND, "claim not found", "claimId") from None
    claim = await work.session.scalar(
        select(CompensationClaim).where(CompensationClaim.id == claim_id).with_for_update()
    )
    assert claim is not None
    check_version("claim", claim.version, expected_version)
    return claim, order


async def _room(work: Work, order: Order) -> list[tuple[OrderLine, LineRefund]]:
    """Per line without an after-sale in progress, what it can still give back (its units left)."""
    lines = (
        await work.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
        )
    ).all()
    busy = set(
        (
            await work.session.scalars(
                select(AfterSaleLine.order_line_id).where(
                    AfterSaleLine.order_line_id.in_([line.id for line in lines]),
                    AfterSaleLine.is_open.is_(True),
                )
            )
        ).all()
    )
    room = []
    for line in lines:
        left = line_left(
            LineState(line.quantity, line.paid_amount, line.refunded_quantity, line.refunded_amount)
        )
        if left is not None and left.amount > 0 and line.id not in busy:
            room.append((line, left))
    return room


async def refundable(work: Work, order: Order) -> int:
    return sum(left.amount for _, left in await _room(work, order))


def _step(work: Work, claim: CompensationClaim, action: ClaimAction) -> None:
    claim.state = next_claim_state(claim.state, action, work.actor.type)
    claim.version += 1


async def approve_claim(
    work: Work, claim_id: int, amount: int, note: str | None = None, *, expected_version: int | None = None
) -> Result:
    """HQ approves with the compensation in cents (at most what the order can still give back)."""
    verdict = _text(note, "note", 200) if note else None
    claim, order = await _lock(work, claim_id, expected_version)
    next_claim_state(claim.state, ClaimAction.APPROVE, work.actor.type)
    check_compensation(amount, await refundable(work, order))
    _step(work, claim, ClaimAction.APPROVE)
    claim.compensation_amount, claim.verdict_note, claim.decided_at = amount, verdict, work.now
    _note(work, order, claim, CLAIM_DECIDED)
    return _result(claim)


async def reject_claim(
    work: Work, claim_id: int, note: str, *, expected_version: int | None = None
) -> Result:
    verdict = _text(note, "note", 200)
    claim, order = await _lock(work, claim_id, expected_version)
    _step(work, claim, ClaimAction.REJECT)
    claim.verdict_note, claim.decided_at = verdict, work.now
    _note(work, order, claim, CLAIM_DECIDED)
    return _result(claim)


async def pay_claim(work: Work, claim_id: int, *, expected_version: int | None = None) -> Result:
    """Pay an approved claim as a price difference; REFUND_EXCEEDS_PAID (and the claim stays
    APPROVED) when refunds since the verdict left the order less than the amount."""
    claim, order = await _lock(work, claim_id, expected_version)
    next_claim_state(claim.state, ClaimAction.PAY, work.actor.type)
    amount = claim.compensation_amount
    assert amount is not None, "approved claims carry their amount"
    if order.status not in CLAIMABLE:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"an order in {order.status.value} can no longer be paid", "claimId"
        )
    room = await _room(work, order)
    check_compensation(amount, sum(left.amount for _, left in room), "claimId")
    parts = allocate(amount, [left.amount for _, left in room])
    items = [
        (line, LineRefund(left.quantity, part))
        for (line, left), part in zip(room, parts, strict=True)
        if part
    ]
    after_sale = await open_after_sale(
        work,
        order,
        action=AfterSaleAction.MERCHANT_REFUND,
        kind=AfterSaleType.PRICE_DIFFERENCE,
        reason=f"餐损赔付 claim {claim.id} ({claim.cause.value})",
        items=items,
    )
    await pay_out(work, order, after_sale)
    _step(work, claim, ClaimAction.PAY)
    claim.after_sale_id, claim.paid_at = after_sale.id, work.now
    _note(work, order, claim, CLAIM_DECIDED)
    return _result(claim)


@dataclass(frozen=True, slots=True)
class ClaimCriteria:
    store_ids: tuple[int, ...] = ()
    causes: tuple[ClaimCause, ...] = ()
    states: tuple[ClaimState, ...] = ()


def _where(principal: Principal, criteria: ClaimCriteria, *, with_states: bool = True) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = [visible_through_order(CompensationClaim.order_id, principal)]
    if criteria.store_ids:
        clauses.append(CompensationClaim.store_id.in_(sorted(set(criteria.store_ids))))
    if criteria.causes:
        clauses.append(CompensationClaim.cause.in_(sorted(set(criteria.causes))))
    if with_states and criteria.states:
        clauses.append(CompensationClaim.state.in_(sorted(set(criteria.states))))
    return and_(*clauses)


CLAIMS_NEWEST_FIRST = Sort(
    "CLAIMS_NEWEST_FIRST",
    (SortKey(CompensationClaim.created_at, True, datetime), SortKey(CompensationClaim.id, True)),
    lambda c: (c.created_at, c.id),
)


async def list_claims(
    sessions: SessionFactory, principal: Principal, criteria: ClaimCriteria, page: PageRequest
) -> Page[CompensationClaim]:
    """One page of the claims that match in the caller's scope, newest first."""
    base = select(CompensationClaim).where(_where(principal, criteria))
    return await paginate(sessions, base, CLAIMS_NEWEST_FIRST, page)


async def count_claims(
    sessions: SessionFactory, principal: Principal, criteria: ClaimCriteria
) -> dict[ClaimState, int]:
    """Claims per state (the list's tabs), under every filter but the state."""
    where = _where(principal, criteria, with_states=False)
    return await tab_counts(sessions, CompensationClaim.state, where, ClaimState)


async def visible_claim(
    sessions: SessionFactory, principal: Principal, claim_id: int
) -> CompensationClaim | None:
    """The claim when the caller may see its order; else None."""
    seen = visible_through_order(CompensationClaim.order_id, principal)
    async with sessions() as session:
        return await session.scalar(select(CompensationClaim).where(CompensationClaim.id == claim_id, seen))


async def losses_by_cause(
    sessions: SessionFactory, stores: frozenset[int] | None, span: tuple[datetime, datetime]
) -> dict[ClaimCause, tuple[int, int]]:
    """Revenue lost to service problems: per cause, (compensation paid in cents, claims paid) in
    [start, until) by the time of payment, within `stores` (None: every store)."""
    start, until = span
    where = and_(
        CompensationClaim.state == ClaimState.PAID,
        CompensationClaim.paid_at >= start,
        CompensationClaim.paid_at < until,
    )
    if stores is not None:
        where = and_(where, CompensationClaim.store_id.in_(sorted(stores)))
    stmt = (
        select(CompensationClaim.cause, func.sum(CompensationClaim.compensation_amount), func.count())
        .where(where)
        .group_by(CompensationClaim.cause)
    )
    async with sessions() as session:
        rows = (await session.execute(stmt)).all()
    out = dict.fromkeys(ClaimCause, (0, 0))
    out.update({ClaimCause(cause): (int(total or 0), int(n)) for cause, total, n in rows})
    return out
