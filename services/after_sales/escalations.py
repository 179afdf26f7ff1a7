"""客服介入: the buyer or the store hands an after-sale to HQ; HQ's verdict; the escalation queue.

Escalating locks the order, then the after-sale (as every after-sale step does), checks who may
escalate now (`models.after_sales.escalation_rules`) and, for a rejected request or a refused return, that
its lines have no other after-sale in progress and that its units and money still fit the line
(other refunds may have happened meanwhile): the after-sale is open again (ESCALATED) and holds its lines. A
verdict takes the same locks, so of concurrent verdicts exactly one finds the escalation PENDING;
supporting the buyer moves the after-sale on as approved (a refused return as received) and pays
a refund through `pay_out`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select

from models.after_sales.escalation_rules import (
    VERDICT_STATES,
    EscalationState,
    EscalationVerdict,
    check_escalation,
    verdict_action,
)
from models.after_sales.refund_policy import LineState
from models.after_sales.rows import AfterSale, AfterSaleEscalation, AfterSaleLine
from models.after_sales.states import AfterSaleAction, AfterSaleStatus, AfterSaleType
from models.enums import ActorType
from models.errors import DomainError, ErrorCode, check_version
from models.orders.event_types import AFTER_SALE_ESCALATED, ESCALATION_DECIDED
from models.orders.rows import Order, OrderLine
from models.principals import Principal
from services.after_sales.lifecycle import line_rule, lock_after_sale, required_text
from services.after_sales.refunds import after_sale_transition, pay_out
from services.commands import Result, Work
from services.db import SessionFactory
from services.orders.transitions import timeline_note
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import visible_through_order
from services.tabs import tab_counts

MAX_EVIDENCE = 1000


def _result(escalation: AfterSaleEscalation) -> Result:
    return {
        "escalationId": escalation.id,
        "afterSaleId": escalation.after_sale_id,
        "orderId": escalation.order_id,
    }


def _note(
    work: Work, order: Order, after_sale: AfterSale, escalation: AfterSaleEscalation, event: str
) -> None:
    payload: dict[str, Any] = {
        "event": event,
        "afterSaleId": after_sale.id,
        "afterSaleNo": after_sale.after_sale_no,
        "escalationId": escalation.id,
        "state": escalation.state.value,
    }
    timeline_note(work, order, payload)


async def _check_lines_still_fit(work: Work, after_sale: AfterSale) -> None:
    """A rejected request (or a refused return) reopens: no other after-sale may hold its lines,
    and its units and amounts must still be within what each line holds now (the type's own rule)."""
    rows = (
        await work.session.scalars(select(AfterSaleLine).where(AfterSaleLine.after_sale_id == after_sale.id))
    ).all()
    ids = [row.order_line_id for row in rows]
    busy = await work.session.scalar(
        select(func.count()).where(AfterSaleLine.order_line_id.in_(ids), AfterSaleLine.is_open.is_(True))
    )
    if busy:
        raise DomainError(
            ErrorCode.LINE_HAS_OPEN_AFTER_SALE,
            "another after-sale of these lines is in progress",
            "afterSaleId",
        )
    lines = {
        line.id: line for line in (await work.session.scalars(select(OrderLine).where(OrderLine.id.in_(ids))))
    }
    rule = line_rule(after_sale.type)
    for i, row in enumerate(rows):
        line = lines[row.order_line_id]
        state = LineState(line.quantity, line.paid_amount, line.refunded_quantity, line.refunded_amount)
        amount = row.amount if after_sale.type is not AfterSaleType.EXCHANGE else None
        rule(state, row.quantity, amount, f"lines.{i}")


async def escalate(
    work: Work,
    after_sale_id: int,
    reason: str,
    evidence: str | None = None,
    *,
    expected_version: int | None = None,
) -> Result:
    """The buyer (a rejected request, one unanswered past the review SLA, a refused return) or the
    store (a request in review, a refused return) asks HQ to decide; the after-sale becomes
    ESCALATED and the queue gets a PENDING entry."""
    reason = required_text(reason, "reason")
    evidence = required_text(evidence, "evidence", MAX_EVIDENCE) if evidence and evidence.strip() else None
    after_sale, order = await lock_after_sale(work, after_sale_id)
    check_version("after-sale", after_sale.version, expected_version)
    check_escalation(
        after_sale.status,
        work.actor.type,
        created_at=after_sale.created_at,
        reviewed_at=after_sale.reviewed_at,
        closed_at=after_sale.closed_at,
        now=work.now,
        review_sla=work.deps.rules.after_sale_review_sla,
    )
    before = after_sale.status
    if before in (AfterSaleStatus.REJECTED, AfterSaleStatus.RECEIPT_REJECTED):
        await _check_lines_still_fit(work, after_sale)
    await after_sale_transition(work, after_sale, AfterSaleAction.ESCALATE, {"reason": reason})
    escalation = AfterSaleEscalation(
        after_sale_id=after_sale.id,
        order_id=order.id,
        store_id=order.store_id,
        state=EscalationState.PENDING,
        from_status=before,
        raised_by_type=work.actor.type,
        raised_by_id=work.actor.id,
        reason=reason,
        evidence=evidence,
        created_at=work.now,
    )
    work.session.add(escalation)
    await work.session.flush()
    _note(work, order, after_sale, escalation, AFTER_SALE_ESCALATED)
    return _result(escalation)


async def decide(
    work: Work,
    escalation_id: int,
    verdict: EscalationVerdict,
    note: str,
    *,
    expected_version: int | None = None,
) -> Result:
    """HQ's verdict: support the buyer (the after-sale proceeds as approved, a refused return as
    received; a refund is paid at once) or the store (CLOSED). Anyone but HQ: FORBIDDEN; decided
    already: INVALID_TRANSITION."""
    note = required_text(note, "note")
    if work.actor.type is not ActorType.HQ:
        raise DomainError(ErrorCode.FORBIDDEN, "only HQ customer service decides escalations")
    after_sale_id = await work.session.scalar(
        select(AfterSaleEscalation.after_sale_id).where(AfterSaleEscalation.id == escalation_id)
    )
    if after_sale_id is None:
        raise DomainError(ErrorCode.NOT_FOUND, "escalation not found", "escalationId")
    after_sale, order = await lock_after_sale(work, after_sale_id)
    escalation = await work.session.scalar(
        select(AfterSaleEscalation).where(AfterSaleEscalation.id == escalation_id).with_for_update()
    )
    assert escalation is not None
    check_version("escalation", escalation.version, expected_version)
    if escalation.state is not EscalationState.PENDING:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"the escalation is {escalation.state.value} already",
            "escalationId",
        )
    returned = escalation.from_status is AfterSaleStatus.RECEIPT_REJECTED
    action = verdict_action(verdict, after_sale.type, goods_returned=returned)
    await after_sale_transition(work, after_sale, action, {"verdict": verdict.value, "note": note})
    if after_sale.status is AfterSaleStatus.REFUNDED:
        await pay_out(work, order, after_sale)
    escalation.state = VERDICT_STATES[verdict]
    escalation.verdict_note, escalation.decided_at, escalation.decided_by_id = note, work.now, work.actor.id
    escalation.version += 1
    _note(work, order, after_sale, escalation, ESCALATION_DECIDED)
    return _result(escalation)


@dataclass(frozen=True, slots=True)
class EscalationCriteria:
    store_ids: tuple[int, ...] = ()
    states: tuple[EscalationState, ...] = ()
    raised_by: tuple[ActorType, ...] = ()
    types: tuple[AfterSaleType, ...] = ()


def _where(
    principal: Principal, criteria: EscalationCriteria, *, with_states: bool = True
) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = [visible_through_order(AfterSaleEscalation.order_id, principal)]
    if criteria.store_ids:
        clauses.append(AfterSaleEscalation.store_id.in_(sorted(set(criteria.store_ids))))
    if criteria.raised_by:
        clauses.append(AfterSaleEscalation.raised_by_type.in_(sorted(set(criteria.raised_by))))
    if criteria.types:
        of_type = select(AfterSale.id).where(
            AfterSale.id == AfterSaleEscalation.after_sale_id, AfterSale.type.in_(sorted(set(criteria.types)))
        )
        clauses.append(exists(of_type))
    if with_states and criteria.states:
        clauses.append(AfterSaleEscalation.state.in_(sorted(set(criteria.states))))
    return and_(*clauses)


ESCALATION_QUEUE = Sort(
    "ESCALATION_QUEUE",
    (SortKey(AfterSaleEscalation.created_at, False, datetime), SortKey(AfterSaleEscalation.id, False)),
    lambda e: (e.created_at, e.id),
)
"""Oldest first: a queue is worked from its oldest entry."""


async def list_escalations(
    sessions: SessionFactory, principal: Principal, criteria: EscalationCriteria, page: PageRequest
) -> Page[AfterSaleEscalation]:
    """One page of the escalations that match in the caller's scope (`ESCALATION_QUEUE`)."""
    base = select(AfterSaleEscalation).where(_where(principal, criteria))
    return await paginate(sessions, base, ESCALATION_QUEUE, page)


async def count_escalations(
    sessions: SessionFactory, principal: Principal, criteria: EscalationCriteria
) -> dict[EscalationState, int]:
    """Escalations per state (the queue's tabs), under every filter but the state."""
    where = _where(principal, criteria, with_states=False)
    return await tab_counts(sessions, AfterSaleEscalation.state, where, EscalationState)


async def visible_escalation(
    sessions: SessionFactory, principal: Principal, escalation_id: int
) -> AfterSaleEscalation | None:
    """The escalation when the caller may see its order; else None."""
    seen = visible_through_order(AfterSaleEscalation.order_id, principal)
    async with sessions() as session:
        return await session.scalar(
            select(AfterSaleEscalation).where(AfterSaleEscalation.id == escalation_id, seen)
        )
