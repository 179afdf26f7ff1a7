"""客服介入 (escalation to HQ customer service): who may escalate when, and what a verdict does. Pure.

* The buyer escalates a request the store rejected, within `ESCALATION_WINDOW` of the rejection,
  or one the store has left in review past the review SLA (a setting); the store may hand a
  request in review to HQ at any time. Each after-sale is escalated at most once (the state
  table has no way back to review or rejection from a verdict).
* HQ supports the buyer (the after-sale proceeds as approved: a refund is paid, a return or an
  exchange waits for the goods) or the store (the after-sale is CLOSED). Only HQ decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from models.after_sale_states import AfterSaleAction, AfterSaleStatus, AfterSaleType, support_buyer_action
from models.enums import ActorType
from models.errors import DomainError, ErrorCode

ESCALATION_WINDOW: Final = timedelta(days=7)
"""How long after a rejection the buyer may still ask HQ to step in."""


class EscalationState(StrEnum):
    PENDING = "PENDING"  # 待客服处理
    BUYER_SUPPORTED = "BUYER_SUPPORTED"  # 支持买家
    STORE_SUPPORTED = "STORE_SUPPORTED"  # 支持商家
    WITHDRAWN = "WITHDRAWN"  # the buyer withdrew the after-sale meanwhile


class EscalationVerdict(StrEnum):
    SUPPORT_BUYER = "SUPPORT_BUYER"
    SUPPORT_STORE = "SUPPORT_STORE"


VERDICT_STATES: Final[Mapping[EscalationVerdict, EscalationState]] = {
    EscalationVerdict.SUPPORT_BUYER: EscalationState.BUYER_SUPPORTED,
    EscalationVerdict.SUPPORT_STORE: EscalationState.STORE_SUPPORTED,
}


def check_escalation(
    status: AfterSaleStatus,
    actor: ActorType,
    *,
    created_at: datetime,
    reviewed_at: datetime | None,
    now: datetime,
    review_sla: timedelta,
) -> None:
    """Raise why `actor` may not escalate an after-sale in `status` now (nothing: it may)."""
    if status is AfterSaleStatus.REJECTED and actor is ActorType.CUSTOMER:
        assert reviewed_at is not None, "a rejected after-sale was reviewed"
        if now >= reviewed_at + ESCALATION_WINDOW:
            raise DomainError(
                ErrorCode.ESCALATION_WINDOW_CLOSED,
                f"客服介入 is open for {ESCALATION_WINDOW.days} days after the rejection",
                "afterSaleId",
            )
        return
    if status is AfterSaleStatus.PENDING_REVIEW and actor is ActorType.CUSTOMER:
        if now < created_at + review_sla:
            raise DomainError(
                ErrorCode.ESCALATION_NOT_DUE,
                f"the store has until {(created_at + review_sla).isoformat()} to review the request",
                "afterSaleId",
            )
        return
    if status is AfterSaleStatus.PENDING_REVIEW and actor is ActorType.STAFF:
        return
    if status in (AfterSaleStatus.PENDING_REVIEW, AfterSaleStatus.REJECTED):
        raise DomainError(ErrorCode.FORBIDDEN, f"{actor.value} may not escalate this after-sale")
    raise DomainError(
        ErrorCode.INVALID_TRANSITION,
        f"an after-sale in {status.value} cannot be escalated (only rejected or unanswered requests)",
        "afterSaleId",
    )


def verdict_action(verdict: EscalationVerdict, kind: AfterSaleType) -> AfterSaleAction:
    """The after-sale action a verdict takes."""
    if verdict is EscalationVerdict.SUPPORT_BUYER:
        return support_buyer_action(kind)
    return AfterSaleAction.SUPPORT_STORE
