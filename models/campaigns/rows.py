"""Campaigns (营销): 邀请有礼, 满减赠, 拼团, the item-level price promotions (单品直降, 限时抢, 商品折扣),
the order-level discounts (满额/满件折扣, 多买多折, X元Y件) and 单品买赠.

A campaign's status is derived from the clock and `stopped_at` (see `campaign_status`), never
stored, so it cannot disagree with its dates. Type-specific settings live in 1:1 rule tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, UtcDateTime, created_at_column, enum_type, id_pk
from models.enums import (
    CampaignStatus,
    CampaignType,
    GroupBuyKind,
    InviteTrigger,
    ProductScope,
    RewardKind,
    RewardRole,
    RewardStatus,
    TeamStatus,
    ThresholdKind,
)


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_campaigns_type_starts", "type", "starts_at"),
    )

    id: Mapped[int] = id_pk()
    type: Mapped[CampaignType] = mapped_column(enum_type(CampaignType))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    all_stores: Mapped[bool] = mapped_column(Boolean, default=True)
    """False: only the stores in campaign_stores take part."""
    opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    """报名制: applies only at the stores in scope that opted in (`models.campaigns.scope`)."""
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Order-level promotions: the highest priority applies, the best for the buyer among equals."""
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()

    def status_at(self, now: datetime) -> CampaignStatus:
        return campaign_status(self.starts_at, self.ends_at, self.stopped_at, now)


def campaign_status(
    starts_at: datetime, ends_at: datetime, stopped_at: datetime | None, now: datetime
) -> CampaignStatus:
    """Stopped wins over the calendar, but a campaign that ended before it was stopped has ENDED."""
    if stopped_at is not None and stopped_at < ends_at and stopped_at <= now:
        return CampaignStatus.STOPPED
    if now < starts_at:
        return CampaignStatus.NOT_STARTED
    if now < ends_at:
        return CampaignStatus.ONGOING
    return CampaignStatus.ENDED


class CampaignStore(Base):
    __tablename__ = "campaign_stores"

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    store_id: Mapped[int] = mapped_column(IdType, ForeignKey("stores.id"), primary_key=True, index=True)


class CampaignProduct(Base):
    """Products taking part in a SPEND_REWARD campaign whose scope is LISTED, a PRODUCT_DISCOUNT, an
    order discount limited to some products, a MULTI_BUY_DISCOUNT, a BUNDLE_PRICE or a BUY_GIFT."""

    __tablename__ = "campaign_products"

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(IdType, ForeignKey("products.id"), primary_key=True, index=True)


class InviteRule(Base):
    __tablename__ = "invite_rules"
    __table_args__ = (
        CheckConstraint(
            "inviter_reward_value >= 0 AND invitee_reward_value >= 0", name="rewards_non_negative"
        ),
        CheckConstraint("cap_per_inviter IS NULL OR cap_per_inviter > 0", name="cap_positive"),
    )

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    trigger: Mapped[InviteTrigger] = mapped_column(enum_type(InviteTrigger))
    inviter_reward_kind: Mapped[RewardKind] = mapped_column(enum_type(RewardKind, "inviter_reward_kind"))
    inviter_reward_value: Mapped[int] = mapped_column(Integer)
    """Cents for a coupon, points for points."""
    invitee_reward_kind: Mapped[RewardKind] = mapped_column(enum_type(RewardKind, "invitee_reward_kind"))
    invitee_reward_value: Mapped[int] = mapped_column(Integer)
    cap_per_inviter: Mapped[int | None] = mapped_column(Integer)


class SpendRewardRule(Base):
    __tablename__ = "spend_reward_rules"

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    threshold_kind: Mapped[ThresholdKind] = mapped_column(enum_type(ThresholdKind))
    product_scope: Mapped[ProductScope] = mapped_column(enum_type(ProductScope))


class SpendRewardTier(Base):
    """满 threshold (cents or units) 减 reduction and/or 赠 gift; the highest reached tier applies."""

    __tablename__ = "spend_reward_tiers"
    __table_args__ = (
        UniqueConstraint("campaign_id", "threshold"),
        CheckConstraint("threshold > 0", name="threshold_positive"),
        CheckConstraint("reduction_amount >= 0", name="reduction_non_negative"),
        CheckConstraint(
            "(gift_sku_id IS NULL AND gift_quantity = 0) OR (gift_sku_id IS NOT NULL AND gift_quantity > 0)",
            name="gift_consistent",
        ),
        CheckConstraint("reduction_amount > 0 OR gift_sku_id IS NOT NULL", name="gives_something"),
    )

    id: Mapped[int] = id_pk()
    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    threshold: Mapped[int] = mapped_column(Integer)
    reduction_amount: Mapped[int] = mapped_column(Integer, default=0)
    gift_sku_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("skus.id"))
    gift_quantity: Mapped[int] = mapped_column(Integer, default=0)


class GroupBuyRule(Base):
    __tablename__ = "group_buy_rules"
    __table_args__ = (
        CheckConstraint("team_size >= 2", name="team_size_at_least_two"),
        CheckConstraint("validity_hours > 0", name="validity_positive"),
        CheckConstraint("per_customer_limit IS NULL OR per_customer_limit > 0", name="limit_positive"),
    )

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[GroupBuyKind] = mapped_column(enum_type(GroupBuyKind))
    team_size: Mapped[int] = mapped_column(Integer)
    validity_hours: Mapped[int] = mapped_column(Integer)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)


class GroupBuySku(Base):
    __tablename__ = "group_buy_skus"
    __table_args__ = (CheckConstraint("group_price > 0", name="group_price_positive"),)

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    sku_id: Mapped[int] = mapped_column(IdType, ForeignKey("skus.id"), primary_key=True)
    group_price: Mapped[int] = mapped_column(Integer)


class ItemPriceSku(Base):
    """The unit price of one SKU while a PRICE_CUT (单品直降) or FLASH_SALE (限时抢) campaign runs (the
    store price if lower). A flash sale has its own `stock`: `sold` only grows by conditional updates
    within it (the CHECK backs them) and shrinks when an order holding units is cancelled."""

    __tablename__ = "item_price_skus"
    __table_args__ = (
        CheckConstraint("price > 0", name="item_price_positive"),
        CheckConstraint("sold >= 0 AND (stock IS NULL OR sold <= stock)", name="item_price_sold_within"),
        CheckConstraint("per_customer_limit IS NULL OR per_customer_limit > 0", name="item_price_limit"),
    )

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    sku_id: Mapped[int] = mapped_column(IdType, ForeignKey("skus.id"), primary_key=True, index=True)
    price: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int | None] = mapped_column(Integer)
    """FLASH_SALE: units on offer at this price; None (PRICE_CUT): unlimited."""
    sold: Mapped[int] = mapped_column(Integer, default=0)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)
    """FLASH_SALE: units one customer may hold at this price (orders not cancelled)."""


class ProductDiscountRule(Base):
    """商品折扣: `percent_off` % off every SKU of the campaign's products (campaign_products)."""

    __tablename__ = "product_discount_rules"
    __table_args__ = (CheckConstraint("percent_off > 0 AND percent_off < 100", name="percent_off_range"),)

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    percent_off: Mapped[int] = mapped_column(Integer)


class OrderDiscountRule(Base):
    """满额折扣 / 满件折扣 and 多买多折 (tiers in order_discount_tiers, at most `cap` cents off), or
    X元Y件 (`bundle_size` units for `bundle_price`). Products: campaign_products (none: every one)."""

    __tablename__ = "order_discount_rules"
    __table_args__ = (
        CheckConstraint("cap IS NULL OR cap > 0", name="cap_positive"),
        CheckConstraint(
            "(bundle_size IS NULL AND bundle_price IS NULL) OR (bundle_size >= 2 AND bundle_price > 0)",
            name="bundle_consistent",
        ),
    )

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    threshold_kind: Mapped[ThresholdKind] = mapped_column(enum_type(ThresholdKind))
    cap: Mapped[int | None] = mapped_column(Integer)
    bundle_size: Mapped[int | None] = mapped_column(Integer)
    bundle_price: Mapped[int | None] = mapped_column(Integer)


class OrderDiscountTier(Base):
    """满 threshold (cents or units) → `percent_off` % off the goods in scope; the highest reached."""

    __tablename__ = "order_discount_tiers"
    __table_args__ = (
        UniqueConstraint("campaign_id", "threshold"),
        CheckConstraint("threshold > 0", name="discount_threshold_positive"),
        CheckConstraint("percent_off > 0 AND percent_off < 100", name="tier_percent_range"),
    )

    id: Mapped[int] = id_pk()
    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    threshold: Mapped[int] = mapped_column(Integer)
    percent_off: Mapped[int] = mapped_column(Integer)


class BuyGiftRule(Base):
    """单品买赠: every `buy_quantity` units of the campaign's products give `gift_quantity` units of
    the gift SKU, from the campaign's own gift `stock`; `given` grows only by conditional updates
    within it (the CHECK backs them) and shrinks when an order holding gifts is cancelled."""

    __tablename__ = "buy_gift_rules"
    __table_args__ = (
        CheckConstraint("buy_quantity > 0 AND gift_quantity > 0", name="buy_gift_positive"),
        CheckConstraint("given >= 0 AND given <= stock", name="gift_given_within"),
    )

    campaign_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    buy_quantity: Mapped[int] = mapped_column(Integer)
    gift_sku_id: Mapped[int] = mapped_column(IdType, ForeignKey("skus.id"))
    gift_quantity: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    given: Mapped[int] = mapped_column(Integer, default=0)


class FlashSaleTake(Base):
    """Units of a campaign's own stock held by one order — 限时抢 units or 单品买赠 gift units (the
    gift SKU); released (once) when the order is cancelled or times out unpaid."""

    __tablename__ = "flash_sale_takes"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="take_quantity_positive"),
        Index("ix_flash_sale_takes_holder", "campaign_id", "sku_id", "customer_id"),
    )

    id: Mapped[int] = id_pk()
    campaign_id: Mapped[int] = mapped_column(IdType, ForeignKey("campaigns.id"))
    sku_id: Mapped[int] = mapped_column(IdType, ForeignKey("skus.id"))
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class GroupBuyTeam(Base):
    """A team (团): FORMING until every slot is paid (SUCCEEDED) or it expires (FAILED).

    expires_at = min(campaign end, opened_at + validity). The CHECK keeps slots from overflowing
    even if two joins race past the service check.
    """

    __tablename__ = "group_buy_teams"
    __table_args__ = (
        CheckConstraint("member_count >= 0 AND member_count <= team_size", name="members_within_size"),
        CheckConstraint("paid_count >= 0 AND paid_count <= member_count", name="paid_within_members"),
        Index("ix_group_buy_teams_campaign_status", "campaign_id", "status"),
        Index("ix_group_buy_teams_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = id_pk()
    campaign_id: Mapped[int] = mapped_column(IdType, ForeignKey("campaigns.id"))
    leader_customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    status: Mapped[TeamStatus] = mapped_column(enum_type(TeamStatus), default=TeamStatus.FORMING)
    team_size: Mapped[int] = mapped_column(Integer)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    paid_count: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    succeeded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class GroupBuyTeamMember(Base):
    __tablename__ = "group_buy_team_members"
    __table_args__ = (UniqueConstraint("team_id", "customer_id"),)

    id: Mapped[int] = id_pk()
    team_id: Mapped[int] = mapped_column(IdType, ForeignKey("group_buy_teams.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"), index=True)
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id"), unique=True)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class InviteRecord(Base):
    """An invitee attributed to an inviter: once per invitee, ever."""

    __tablename__ = "invite_records"
    __table_args__ = (Index("ix_invite_records_campaign_inviter", "campaign_id", "inviter_id"),)

    id: Mapped[int] = id_pk()
    campaign_id: Mapped[int] = mapped_column(IdType, ForeignKey("campaigns.id"))
    inviter_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"))
    invitee_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"), unique=True)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_order_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("orders.id"))


class InviteReward(Base):
    """A reward owed to the inviter or the invitee; unique per (record, role) so it is granted once."""

    __tablename__ = "invite_rewards"
    __table_args__ = (
        UniqueConstraint("invite_record_id", "role"),
        CheckConstraint("value >= 0", name="value_non_negative"),
        Index("ix_invite_rewards_status_grant_after", "status", "grant_after"),
    )

    id: Mapped[int] = id_pk()
    campaign_id: Mapped[int] = mapped_column(IdType, ForeignKey("campaigns.id"))
    invite_record_id: Mapped[int] = mapped_column(IdType, ForeignKey("invite_records.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(IdType, ForeignKey("customers.id"), index=True)
    role: Mapped[RewardRole] = mapped_column(enum_type(RewardRole))
    kind: Mapped[RewardKind] = mapped_column(enum_type(RewardKind))
    value: Mapped[int] = mapped_column(Integer)
    status: Mapped[RewardStatus] = mapped_column(enum_type(RewardStatus), default=RewardStatus.PENDING)
    order_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("orders.id"))
    grant_after: Mapped[datetime] = mapped_column(UtcDateTime())
    """Not granted before this (the triggering order's refund window must pass first)."""
    granted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = created_at_column()
