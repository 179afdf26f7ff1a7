"""客服介入 rules: who may escalate an after-sale in which status, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.after_sales.escalation_rules import (
    ESCALATION_WINDOW,
    EscalationVerdict,
    check_escalation,
    verdict_action,
)
from models.after_sales.states import AfterSaleAction, AfterSaleStatus, AfterSaleType
from models.enums import ActorType
from models.errors import DomainError, ErrorCode

S, C = AfterSaleStatus, ActorType
T0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
SLA = timedelta(hours=48)


def _refusal(status: AfterSaleStatus, actor: ActorType, now: datetime) -> ErrorCode | None:
    """Why `actor` may not escalate: created and reviewed at T0, closed an hour later."""
    try:
        check_escalation(
            status,
            actor,
            created_at=T0,
            reviewed_at=T0,
            closed_at=T0 + timedelta(hours=1),
            now=now,
            review_sla=SLA,
        )
    except DomainError as no:
        return no.code
    return None


@pytest.mark.parametrize("actor", [C.CUSTOMER, C.STAFF])
def test_a_refused_return_is_open_to_both_sides_for_the_window(actor: ActorType) -> None:
    closed = T0 + timedelta(hours=1)
    assert _refusal(S.RECEIPT_REJECTED, actor, closed) is None
    assert _refusal(S.RECEIPT_REJECTED, actor, closed + ESCALATION_WINDOW - timedelta(seconds=1)) is None
    late = _refusal(S.RECEIPT_REJECTED, actor, closed + ESCALATION_WINDOW)
    assert late is ErrorCode.ESCALATION_WINDOW_CLOSED


def test_who_may_escalate_what() -> None:
    soon, overdue = T0 + timedelta(hours=1), T0 + SLA
    assert _refusal(S.RECEIPT_REJECTED, C.HQ, soon) is ErrorCode.FORBIDDEN
    assert _refusal(S.REJECTED, C.CUSTOMER, soon) is None
    assert _refusal(S.REJECTED, C.STAFF, soon) is ErrorCode.FORBIDDEN
    assert _refusal(S.REJECTED, C.CUSTOMER, T0 + ESCALATION_WINDOW) is ErrorCode.ESCALATION_WINDOW_CLOSED
    assert _refusal(S.PENDING_REVIEW, C.CUSTOMER, soon) is ErrorCode.ESCALATION_NOT_DUE
    assert _refusal(S.PENDING_REVIEW, C.CUSTOMER, overdue) is None  # unanswered past the review SLA
    assert _refusal(S.PENDING_REVIEW, C.STAFF, soon) is None
    for status in (S.RETURN_SHIPPED, S.REFUNDED, S.ESCALATED, S.CLOSED):
        assert _refusal(status, C.CUSTOMER, soon) is ErrorCode.INVALID_TRANSITION


def test_verdicts_on_a_refused_return() -> None:
    buyer, store = EscalationVerdict.SUPPORT_BUYER, EscalationVerdict.SUPPORT_STORE
    ret, exchange = AfterSaleType.RETURN_AND_REFUND, AfterSaleType.EXCHANGE
    assert verdict_action(buyer, ret, goods_returned=True) is AfterSaleAction.SUPPORT_BUYER_RECEIVED
    assert verdict_action(buyer, exchange, goods_returned=True) is AfterSaleAction.SUPPORT_BUYER_RESHIP
    assert verdict_action(buyer, ret) is AfterSaleAction.SUPPORT_BUYER_RETURN
    assert verdict_action(store, exchange, goods_returned=True) is AfterSaleAction.SUPPORT_STORE
