"""返券 tables: the coupon-issuing rules, one row per (rule, cause) handled, and 助力 assists.

`coupon_issues` is unique per (rule, cause id): whatever runs the rule (several sweepers, a
retried request) a cause is issued or skipped once. The issued coupon itself is an ordinary
`customer_coupons` row with an ISSUED ledger row naming the rule and the cause.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, JsonType, UtcDateTime, enum_type, id_pk
from models.coupons.issue_rules import (
    AssistStatus,
    InviteRole,
    IssueOutcome,
    IssueRuleKind,
    RuleShape,
    SkipReason,
    assist_status_at,
)


class CouponIssueRule(Base):
    """A 返券 rule: which template's coupon to issue on which cause, from when, with which scope."""

    __tablename__ = "coupon_issue_rules"
    __table_args__ = (
        CheckConstraint("min_paid IS NULL OR min_paid >= 0", name="min_paid_non_negative"),
        CheckConstraint("min_rating IS NULL OR min_rating BETWEEN 1 AND 5", name="min_rating_range"),
        CheckConstraint("helpers_needed IS NULL OR helpers_needed >= 1", name="helpers_positive"),
        CheckConstraint("assist_hours IS NULL OR assist_hours >= 1", name="assist_hours_positive"),
        Index("ix_coupon_issue_rules_kind", "kind"),
    )

    id: Mapped[int] = id_pk()
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[IssueRuleKind] = mapped_column(enum_type(IssueRuleKind))
    template_id: Mapped[int] = mapped_column(IdType, ForeignKey("coupon_templates.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    store_ids: Mapped[list[int] | None] = mapped_column(JsonType)
    channels: Mapped[list[str] | None] = mapped_column(JsonType)
    min_paid: Mapped[int | None] = mapped_column(Integer)
    """ON_ORDER_COMPLETED: cents paid (net of refunds) the order must reach."""
    min_rating: Mapped[int | None] = mapped_column(Integer)
    invite_role: Mapped[InviteRole | None] = mapped_column(enum_type(InviteRole))
    """ON_INVITE: whose granted reward counts (None: both)."""
    invite_campaign_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("campaigns.id"))
    """ON_INVITE: only this invite campaign's rewards (None: every invite campaign's)."""
    helpers_needed: Mapped[int | None] = mapped_column(Integer)
    assist_hours: Mapped[int | None] = mapped_column(Integer)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def shape(self) -> RuleShape:
        return RuleShape(
            kind=self.kind,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            store_ids=None if self.store_ids is None else frozenset(self.store_ids),
            channels=None if self.channels is None else frozenset(self.channels),
            min_paid=self.min_paid,
            min_rating=self.min_rating,
            invite_role=self.invite_role,
            invite_campaign_id=self.invite_campaign_id,
            helpers_needed=self.helpers_needed,
            assist_hours=self.assist_hours,
        )


class CouponIssue(Base):
    """One cause a rule handled: ISSUED (with the coupon) or SKIPPED (with the reason)."""

    __tablename__ = "coupon_issues"
    __table_args__ = (
        UniqueConstraint("rule_id", "cause_id"),
        CheckConstraint(
            "(outcome = 'ISSUED' AND coupon_id IS NOT NULL AND skip_reason IS NULL)"
            " OR (outcome = 'SKIPPED' AND coupon_id IS NULL AND skip_reason IS NOT NULL)",
            name="outcome_consistent",
        ),
    )

    id: Mapped[int] = id_pk()
    rule_id: Mapped[int] = mapped_column(IdType, ForeignKey("coupon_issue_rules.id"))
    cause_id: Mapped[int] = mapped_column(IdType)
    """The customer, invite reward, order or assist behind it (by the rule's kind)."""
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"), index=True)
    outcome: Mapped[IssueOutcome] = mapped_column(enum_type(IssueOutcome))
    skip_reason: Mapped[SkipReason | None] = mapped_column(enum_type(SkipReason))
    coupon_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("customer_coupons.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CouponAssist(Base):
    """助力: a starter's assist of an ASSIST rule; OPEN until its helpers joined or its time is up.

    `open_key` ("rule:starter") is set only while OPEN: unique, so a shopper has one open assist per
    rule. The CHECK keeps helpers from overflowing even if two joins raced past the service check.
    """

    __tablename__ = "coupon_assists"
    __table_args__ = (
        CheckConstraint("helper_count >= 0 AND helper_count <= helpers_needed", name="helpers_within_needed"),
        Index("ix_coupon_assists_status_expires", "status", "expires_at"),
        Index("ix_coupon_assists_starter_id", "starter_id"),
    )

    id: Mapped[int] = id_pk()
    rule_id: Mapped[int] = mapped_column(IdType, ForeignKey("coupon_issue_rules.id"), index=True)
    starter_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    status: Mapped[AssistStatus] = mapped_column(enum_type(AssistStatus), default=AssistStatus.OPEN)
    open_key: Mapped[str | None] = mapped_column(String(48), unique=True)
    helpers_needed: Mapped[int] = mapped_column(Integer)
    helper_count: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    def status_at(self, now: datetime) -> AssistStatus:
        return assist_status_at(self.status, self.expires_at, now)


class CouponAssistHelper(Base):
    __tablename__ = "coupon_assist_helpers"
    __table_args__ = (UniqueConstraint("assist_id", "helper_id"),)

    id: Mapped[int] = id_pk()
    assist_id: Mapped[int] = mapped_column(IdType, ForeignKey("coupon_assists.id"))
    helper_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
