"""客服介入 (escalation to HQ customer service): who may escalate when, and what a verdict does. Pure.

* The buyer escalates a request the store rejected, within `ESCALATION_WINDOW` of the rejection,
  or one the store has left in review past the review SLA (a setting); the store may hand a
  request in review to HQ at any time. A return the store refused to take back (拒绝收货) may be
  escalated by either side within `ESCALATION_WINDOW` of the refusal. Each after-sale is
  escalated at most once (the state table has no way back from a verdict).
* HQ supports the buyer (the after-sale proceeds as approved: a refund is paid, a return or an
  exchange waits for the goods; a refused return counts as received: a return is refunded, an
  exchange owes the replacement) or the store (the after-sale is CLOSED). Only HQ decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from models.after_sales.states import AfterSaleAction, AfterSaleStatus, AfterSaleType, support_buyer_action
from models.enums import ActorType
from models.errors import DomainError, ErrorCode

ESCALATION_WINDOW: Final = timedelta(days=7)
"""How long after a rejection (or a refused return) HQ may still be asked to step in."""


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
    closed_at: datetime | None,
    now: datetime,
    review_sla: timedelta,
) -> None:
    """Raise why `actor` may not escalate an after-sale in `status` now (nothing: it may)."""
    refused = status is AfterSaleStatus.RECEIPT_REJECTED and actor in (ActorType.CUSTOMER, ActorType.STAFF)
    if refused or (status is AfterSaleStatus.REJECTED and actor is ActorType.CUSTOMER):
        since = closed_at if refused else reviewed_at
        assert since is not None, "a rejected request was reviewed, a refused return closed"
        if now >= since + ESCALATION_WINDOW:
            raise DomainError(
                ErrorCode.ESCALATION_WINDOW_CLOSED,
                f"客服介入 is open for {ESCALATION_WINDOW.days} days after the store said no",
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
    if status in (AfterSaleStatus.PENDING_REVIEW, AfterSaleStatus.REJECTED, AfterSaleStatus.RECEIPT_REJECTED):
        raise DomainError(ErrorCode.FORBIDDEN, f"{actor.value} may not escalate this after-sale")
    raise DomainError(
        ErrorCode.INVALID_TRANSITION,
        f"an after-sale in {status.value} cannot be escalated (only rejected or unanswered requests"
        " and refused returns)",
        "afterSaleId",
    )


def verdict_action(
    verdict: EscalationVerdict, kind: AfterSaleType, *, goods_returned: bool = False
) -> AfterSaleAction:
    """The after-sale action a verdict takes (`goods_returned`: escalated from a refused return)."""
    if verdict is EscalationVerdict.SUPPORT_BUYER:
        return support_buyer_action(kind, goods_returned=goods_returned)
    return AfterSaleAction.SUPPORT_STORE
