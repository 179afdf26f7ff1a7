"""The business rules' knobs, as the services see them (built from gql.settings at the edge)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class RulesConfig:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    refund_window: timedelta = timedelta(days=15)
    payment_timeout: timedelta = timedelta(minutes=30)
    acceptance_timeout: timedelta = timedelta(minutes=15)
    auto_complete_after: timedelta = timedelta(days=7)
    idempotency_ttl: timedelta = timedelta(hours=24)
    idempotency_lease: timedelta = timedelta(seconds=30)
    """How long an in-flight idempotency key is held before a retry may take it over."""
    after_sale_review_sla: timedelta = timedelta(hours=48)
    """客服介入: a request left in review this long may be escalated to HQ by the buyer."""
    no_rider_after: timedelta = timedelta(minutes=10)
    """配送异常: a picked store-delivery order still without a rider this long enters the queue."""
    group_buy_page_ttl: float = 60.0
    """Seconds a public group-buy page is served from the cache (0: built from the database every time)."""
