"""发券: pushing a template's coupons to a target of customers, as a job with counts.

The job row is the truth: who started it (role and scope), the template, the target (JSON), the
state and the counts. The recipients are written once, when a runner first resolves the target;
each recipient then gets exactly one outcome, in the same transaction as its coupon, so a job
resumed after a crash (or run by two processes) never issues twice to one customer.

States: QUEUED → RUNNING → SUCCEEDED, or FAILED (template stopped or ended, too many attempts).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, JsonType, UtcDateTime, enum_type, id_pk
from models.enums import Role


class PushState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class PushTargetKind(StrEnum):
    CUSTOMERS = "CUSTOMERS"
    """Explicit customer ids."""
    CRITERIA = "CRITERIA"
    """A customer criteria set (the customer list's filter, stores ordered at, an order period)."""
    RADIUS = "RADIUS"
    """Customers whose latest delivery address lies within a radius of a point or a store."""


class PushOutcome(StrEnum):
    ISSUED = "ISSUED"
    ALREADY_HAS = "ALREADY_HAS"
    """The customer holds an UNUSED coupon of the template: a push never stacks a second."""
    LIMIT = "LIMIT"
    """The customer reached the template's per-customer limit (whatever the coupons' states)."""
    STOCK = "STOCK"
    """The template's stock ran out."""


MAX_CUSTOMER_IDS: Final = 1000
MAX_RADIUS_M: Final = 50_000
MAX_TARGETED: Final = 100_000
"""A larger target is refused when the job resolves it (the job FAILS with the count)."""


def push_outcome(holds_unused: bool, held: int, reserved: int, limit: int, remaining: int) -> PushOutcome:
    """What one customer gets: `held` coupons of the template (any state), `reserved` in unpaid
    purchases, `remaining` units of stock. The order of the reasons is the order of the checks."""
    if holds_unused:
        return PushOutcome.ALREADY_HAS
    if held + reserved >= limit:
        return PushOutcome.LIMIT
    if remaining <= 0:
        return PushOutcome.STOCK
    return PushOutcome.ISSUED


class CouponPushJob(Base):
    __tablename__ = "coupon_push_jobs"
    __table_args__ = (
        Index("ix_coupon_push_jobs_state_heartbeat_at", "state", "heartbeat_at"),
        Index("ix_coupon_push_jobs_template_id", "template_id"),
    )

    id: Mapped[int] = id_pk()
    template_id: Mapped[int] = mapped_column(IdType, ForeignKey("coupon_templates.id"))
    owner_key: Mapped[str] = mapped_column(String(200))
    owner_role: Mapped[Role] = mapped_column(enum_type(Role))
    owner_store_ids: Mapped[list[int]] = mapped_column(JsonType, default=list)
    """Store staff push to the customers of these stores only."""
    target_kind: Mapped[PushTargetKind] = mapped_column(enum_type(PushTargetKind))
    target: Mapped[dict[str, Any]] = mapped_column(JsonType)
    state: Mapped[PushState] = mapped_column(enum_type(PushState), default=PushState.QUEUED)
    targeted: Mapped[int | None] = mapped_column(Integer)
    """Recipients, once the target is resolved (null before)."""
    issued: Mapped[int] = mapped_column(Integer, default=0)
    skipped_already_has: Mapped[int] = mapped_column(Integer, default=0)
    skipped_limit: Mapped[int] = mapped_column(Integer, default=0)
    skipped_stock: Mapped[int] = mapped_column(Integer, default=0)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def done(self) -> int:
        return self.issued + self.skipped_already_has + self.skipped_limit + self.skipped_stock


class CouponPushRecipient(Base):
    """One customer of a job; `outcome` is null until the runner handles them, then set once."""

    __tablename__ = "coupon_push_recipients"
    __table_args__ = (
        UniqueConstraint("job_id", "customer_id"),
        Index("ix_coupon_push_recipients_job_outcome", "job_id", "outcome"),
        CheckConstraint("outcome IS NOT NULL OR coupon_id IS NULL", name="coupon_after_outcome"),
    )

    id: Mapped[int] = id_pk()
    job_id: Mapped[int] = mapped_column(IdType, ForeignKey("coupon_push_jobs.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    outcome: Mapped[PushOutcome | None] = mapped_column(enum_type(PushOutcome))
    coupon_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("customer_coupons.id"), unique=True)
