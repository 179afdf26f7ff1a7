"""Per-request DataLoaders: one per (entity, key), created lazily on first use.

A `Loaders` object lives exactly as long as one GraphQL request, so its caches never leak
data across principals; loaders that return scoped entities (orders, customers) apply the
request principal's visibility in SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from loaders.base import RowLoader, many_per_key, one_per_key
from loaders.customers import customer_trading
from loaders.reviews import product_ratings
from loaders.store_skus import listing_by_store_sku
from models.action_log import ActionLog
from models.after_sales.rows import (
    AfterSale,
    AfterSaleEscalation,
    AfterSaleEvent,
    AfterSaleLine,
    AfterSaleReplacement,
)
from models.base import utcnow
from models.campaigns.rows import (
    BuyGiftRule,
    Campaign,
    CampaignProduct,
    CampaignStore,
    GroupBuyRule,
    GroupBuySku,
    InviteReward,
    InviteRule,
    ItemPriceSku,
    OrderDiscountRule,
    OrderDiscountTier,
    ProductDiscountRule,
    SpendRewardRule,
    SpendRewardTier,
)
from models.campaigns.scope import CampaignOptIn
from models.catalog.rows import Category, Product, Sku, StoreSku
from models.coupons.rows import CouponTemplate, CustomerCoupon, OrderAdjustment
from models.customers.rows import Customer
from models.deliveries.rows import Delivery
from models.orders.rows import AllocationRecord, Order, OrderEvent, OrderLine, Parcel, ParcelLine, ParcelTrace
from models.payments import PaymentTransaction
from models.pricing.refunds import RefundLayers
from models.principals import Principal
from models.reviews import Review
from models.stores.rows import StaffAccount, StaffStore, Store
from services.action_log import log_visibility
from services.after_sales.refund_layers import layers_of
from services.campaigns.data import CampaignStats, list_stats
from services.coupons.templates import Figures, figures_of
from services.customers import TradingSummary
from services.db import SessionFactory
from services.reviews import RatingSummary, review_visibility
from services.scoping import after_sale_visibility, customer_visibility, order_visibility
from services.staff import staff_visibility

Scope = ColumnElement[bool]
Narrowable = Callable[[SessionFactory, frozenset[str] | None], RowLoader[Any, Any]]


def _many(entity: type[Any], key: InstrumentedAttribute[Any], *order_by: Any) -> Narrowable:
    return lambda sessions, keep: many_per_key(sessions, entity, key, *order_by, keep=keep)


_NARROWABLE: dict[str, Narrowable] = {
    "store": lambda sessions, keep: one_per_key(sessions, Store, Store.id, keep=keep),
    "customer": lambda sessions, keep: one_per_key(sessions, Customer, Customer.id, keep=keep),
    "lines_by_order": _many(OrderLine, OrderLine.order_id, OrderLine.id),
    "sku": lambda sessions, keep: one_per_key(sessions, Sku, Sku.id, keep=keep),
    "product": lambda sessions, keep: one_per_key(sessions, Product, Product.id, keep=keep),
    "parcels_by_order": _many(Parcel, Parcel.order_id, Parcel.shipped_at, Parcel.id),
    "events_by_order": _many(OrderEvent, OrderEvent.order_id, OrderEvent.id),
    "after_sales_by_order": _many(AfterSale, AfterSale.order_id, AfterSale.id),
}
"""The relation loaders that can read fewer columns, by name: given None they make the loader of
that name (every column); given columns, the same statement selecting only those (and the key)."""


class Loaders:
    def __init__(self, sessions: SessionFactory, principal: Principal) -> None:
        self._sessions = sessions
        self._principal = principal
        self._narrowed: dict[tuple[str, frozenset[str]], RowLoader[Any, Any]] = {}

    def narrowed(self, name: str, columns: frozenset[str] | None) -> RowLoader[Any, Any]:
        """The relation loader `name` reading only `columns` of its rows (all of them when None:
        then it is the loader itself). One per (loader, columns) per request, so every reader of
        the same narrowed rows shares their cache (gql/engine/narrowed.py says who may read them)."""
        if columns is None:
            loader: RowLoader[Any, Any] = getattr(self, name)
            return loader
        found = self._narrowed.get((name, columns))
        if found is None:
            found = self._narrowed[(name, columns)] = _NARROWABLE[name](self._sessions, columns)
        return found

    def _visible(
        self, entity: type[Any], key: InstrumentedAttribute[int], visibility: Callable[[Principal], Scope]
    ) -> RowLoader[int, Any]:
        """The rows `visibility(principal)`, a pure function of it, lets the principal see, by key."""
        principal = self._principal
        return one_per_key(self._sessions, entity, key, visibility(principal), scope=(visibility, principal))

    # Public catalogue and stores: visible to everyone who may browse.
    @cached_property
    def store(self) -> RowLoader[int, Store | None]:
        return _NARROWABLE["store"](self._sessions, None)

    @cached_property
    def category(self) -> RowLoader[int, Category | None]:
        return one_per_key(self._sessions, Category, Category.id)

    @cached_property
    def categories_by_parent(self) -> RowLoader[int, list[Category]]:
        return many_per_key(self._sessions, Category, Category.parent_id, Category.sort_order, Category.id)

    @cached_property
    def product(self) -> RowLoader[int, Product | None]:
        return _NARROWABLE["product"](self._sessions, None)

    @cached_property
    def sku(self) -> RowLoader[int, Sku | None]:
        return _NARROWABLE["sku"](self._sessions, None)

    @cached_property
    def skus_by_product(self) -> RowLoader[int, list[Sku]]:
        return many_per_key(self._sessions, Sku, Sku.product_id, Sku.id)

    # Scoped roots: reached by id (node lookups), so the principal's visibility applies.
    @cached_property
    def visible_order(self) -> RowLoader[int, Order | None]:
        return self._visible(Order, Order.id, order_visibility)

    @cached_property
    def visible_customer(self) -> RowLoader[int, Customer | None]:
        return self._visible(Customer, Customer.id, customer_visibility)

    # Relations below an already-visible order: the parent was scoped, so these are not.
    @cached_property
    def customer(self) -> RowLoader[int, Customer | None]:
        return _NARROWABLE["customer"](self._sessions, None)

    @cached_property
    def lines_by_order(self) -> RowLoader[int, list[OrderLine]]:
        return _NARROWABLE["lines_by_order"](self._sessions, None)

    @cached_property
    def line(self) -> RowLoader[int, OrderLine | None]:
        return one_per_key(self._sessions, OrderLine, OrderLine.id)

    @cached_property
    def parcels_by_order(self) -> RowLoader[int, list[Parcel]]:
        return _NARROWABLE["parcels_by_order"](self._sessions, None)

    @cached_property
    def payments_by_order(self) -> RowLoader[int, list[PaymentTransaction]]:
        return many_per_key(
            self._sessions,
            PaymentTransaction,
            PaymentTransaction.order_id,
            PaymentTransaction.created_at,
            PaymentTransaction.id,
        )

    @cached_property
    def delivery_by_order(self) -> RowLoader[int, Delivery | None]:
        return one_per_key(self._sessions, Delivery, Delivery.order_id)

    @cached_property
    def parcel(self) -> RowLoader[int, Parcel | None]:
        return one_per_key(self._sessions, Parcel, Parcel.id)

    @cached_property
    def parcel_lines_by_parcel(self) -> RowLoader[int, list[ParcelLine]]:
        return many_per_key(self._sessions, ParcelLine, ParcelLine.parcel_id, ParcelLine.order_line_id)

    @cached_property
    def traces_by_parcel(self) -> RowLoader[int, list[ParcelTrace]]:
        return many_per_key(
            self._sessions, ParcelTrace, ParcelTrace.parcel_id, ParcelTrace.occurred_at, ParcelTrace.id
        )

    @cached_property
    def events_by_order(self) -> RowLoader[int, list[OrderEvent]]:
        return _NARROWABLE["events_by_order"](self._sessions, None)

    @cached_property
    def allocations_by_order(self) -> RowLoader[int, list[AllocationRecord]]:
        return many_per_key(self._sessions, AllocationRecord, AllocationRecord.order_id, AllocationRecord.id)

    @cached_property
    def visible_after_sale(self) -> RowLoader[int, AfterSale | None]:
        return self._visible(AfterSale, AfterSale.id, after_sale_visibility)

    @cached_property
    def after_sales_by_order(self) -> RowLoader[int, list[AfterSale]]:
        return _NARROWABLE["after_sales_by_order"](self._sessions, None)

    @cached_property
    def after_sale_lines(self) -> RowLoader[int, list[AfterSaleLine]]:
        return many_per_key(
            self._sessions, AfterSaleLine, AfterSaleLine.after_sale_id, AfterSaleLine.order_line_id
        )

    @cached_property
    def after_sale_lines_by_line(self) -> RowLoader[int, list[AfterSaleLine]]:
        return many_per_key(
            self._sessions, AfterSaleLine, AfterSaleLine.order_line_id, AfterSaleLine.after_sale_id
        )

    @cached_property
    def after_sale_events(self) -> RowLoader[int, list[AfterSaleEvent]]:
        return many_per_key(self._sessions, AfterSaleEvent, AfterSaleEvent.after_sale_id, AfterSaleEvent.id)

    @cached_property
    def after_sale_replacements(self) -> RowLoader[int, list[AfterSaleReplacement]]:
        return many_per_key(
            self._sessions,
            AfterSaleReplacement,
            AfterSaleReplacement.after_sale_id,
            AfterSaleReplacement.order_line_id,
        )

    @cached_property
    def after_sale_escalation(self) -> RowLoader[int, AfterSaleEscalation | None]:
        """By after-sale id (at most one each); visible with its after-sale."""
        return one_per_key(self._sessions, AfterSaleEscalation, AfterSaleEscalation.after_sale_id)

    # Campaigns: settings by campaign, and the list view's figures for a page in one statement.
    @cached_property
    def campaign(self) -> RowLoader[int, Campaign | None]:
        return one_per_key(self._sessions, Campaign, Campaign.id)

    @cached_property
    def campaign_stores(self) -> RowLoader[int, list[CampaignStore]]:
        return many_per_key(self._sessions, CampaignStore, CampaignStore.campaign_id, CampaignStore.store_id)

    @cached_property
    def campaign_opt_ins(self) -> RowLoader[int, list[CampaignOptIn]]:
        return many_per_key(self._sessions, CampaignOptIn, CampaignOptIn.campaign_id, CampaignOptIn.store_id)

    @cached_property
    def campaign_products(self) -> RowLoader[int, list[CampaignProduct]]:
        return many_per_key(
            self._sessions, CampaignProduct, CampaignProduct.campaign_id, CampaignProduct.product_id
        )

    @cached_property
    def invite_rule(self) -> RowLoader[int, InviteRule | None]:
        return one_per_key(self._sessions, InviteRule, InviteRule.campaign_id)

    @cached_property
    def invite_rewards_by_record(self) -> RowLoader[int, list[InviteReward]]:
        """Rewards of an invite record (the inviter's and the invitee's), read by `viewer.invites`."""
        return many_per_key(self._sessions, InviteReward, InviteReward.invite_record_id, InviteReward.id)

    @cached_property
    def coupons_by_customer(self) -> RowLoader[int, list[CustomerCoupon]]:
        """A customer's coupons, newest first; read through a customer the caller may already see."""
        return many_per_key(
            self._sessions,
            CustomerCoupon,
            CustomerCoupon.customer_id,
            CustomerCoupon.issued_at.desc(),
            CustomerCoupon.id.desc(),
        )

    @cached_property
    def adjustments_by_order(self) -> RowLoader[int, list[OrderAdjustment]]:
        """An order's price explanation in pricing order (rows are written layer by layer)."""
        return many_per_key(self._sessions, OrderAdjustment, OrderAdjustment.order_id, OrderAdjustment.id)

    @cached_property
    def coupon_by_invite_reward(self) -> RowLoader[int, CustomerCoupon | None]:
        """The coupon a granted COUPON reward minted (unique per reward)."""
        return one_per_key(self._sessions, CustomerCoupon, CustomerCoupon.invite_reward_id)

    @cached_property
    def spend_rule(self) -> RowLoader[int, SpendRewardRule | None]:
        return one_per_key(self._sessions, SpendRewardRule, SpendRewardRule.campaign_id)

    @cached_property
    def spend_tiers(self) -> RowLoader[int, list[SpendRewardTier]]:
        return many_per_key(
            self._sessions, SpendRewardTier, SpendRewardTier.campaign_id, SpendRewardTier.threshold
        )

    @cached_property
    def group_rule(self) -> RowLoader[int, GroupBuyRule | None]:
        return one_per_key(self._sessions, GroupBuyRule, GroupBuyRule.campaign_id)

    @cached_property
    def group_skus(self) -> RowLoader[int, list[GroupBuySku]]:
        return many_per_key(self._sessions, GroupBuySku, GroupBuySku.campaign_id, GroupBuySku.sku_id)

    @cached_property
    def discount_rule(self) -> RowLoader[int, ProductDiscountRule | None]:
        return one_per_key(self._sessions, ProductDiscountRule, ProductDiscountRule.campaign_id)

    @cached_property
    def order_discount_rule(self) -> RowLoader[int, OrderDiscountRule | None]:
        return one_per_key(self._sessions, OrderDiscountRule, OrderDiscountRule.campaign_id)

    @cached_property
    def order_discount_tiers(self) -> RowLoader[int, list[OrderDiscountTier]]:
        return many_per_key(
            self._sessions, OrderDiscountTier, OrderDiscountTier.campaign_id, OrderDiscountTier.threshold
        )

    @cached_property
    def buy_gift_rule(self) -> RowLoader[int, BuyGiftRule | None]:
        return one_per_key(self._sessions, BuyGiftRule, BuyGiftRule.campaign_id)

    @cached_property
    def item_price_skus(self) -> RowLoader[int, list[ItemPriceSku]]:
        return many_per_key(self._sessions, ItemPriceSku, ItemPriceSku.campaign_id, ItemPriceSku.sku_id)

    @cached_property
    def campaign_stats(self) -> DataLoader[int, CampaignStats]:
        sessions = self._sessions

        async def batch(ids: Sequence[int]) -> list[CampaignStats]:
            async with sessions() as session:
                found = await list_stats(session, list(ids))
            return [found.get(i, CampaignStats()) for i in ids]

        return DataLoader(batch)

    @cached_property
    def coupon_template(self) -> RowLoader[int, CouponTemplate | None]:
        return one_per_key(self._sessions, CouponTemplate, CouponTemplate.id)

    @cached_property
    def coupon_template_figures(self) -> DataLoader[int, Figures]:
        sessions = self._sessions

        async def batch(ids: Sequence[int]) -> list[Figures]:
            async with sessions() as session:
                found = await figures_of(session, list(ids), utcnow())
            return [found.get(i, Figures()) for i in ids]

        return DataLoader(batch)

    @cached_property
    def refund_layers(self) -> DataLoader[int, RefundLayers | None]:
        """An after-sale's refund by pricing layer; read through an after-sale the caller sees."""
        sessions = self._sessions

        async def batch(ids: Sequence[int]) -> list[RefundLayers | None]:
            async with sessions() as session:
                found = await layers_of(session, list(ids))
            return [found.get(i) for i in ids]

        return DataLoader(batch)

    # Back office (issue 9): listings, staff accounts, reviews and the aggregates of lists.
    @cached_property
    def store_sku(self) -> RowLoader[int, StoreSku | None]:
        return one_per_key(self._sessions, StoreSku, StoreSku.id)

    @cached_property
    def listing(self) -> DataLoader[tuple[int, int], StoreSku | None]:
        return listing_by_store_sku(self._sessions)

    @cached_property
    def staff_account(self) -> RowLoader[int, StaffAccount | None]:
        return one_per_key(self._sessions, StaffAccount, StaffAccount.id)

    @cached_property
    def visible_staff_account(self) -> RowLoader[int, StaffAccount | None]:
        return self._visible(StaffAccount, StaffAccount.id, staff_visibility)

    @cached_property
    def staff_stores(self) -> RowLoader[int, list[StaffStore]]:
        return many_per_key(self._sessions, StaffStore, StaffStore.staff_id, StaffStore.store_id)

    @cached_property
    def visible_review(self) -> RowLoader[int, Review | None]:
        return self._visible(Review, Review.id, review_visibility)

    @cached_property
    def product_rating(self) -> DataLoader[int, RatingSummary]:
        return product_ratings(self._sessions)

    @cached_property
    def customer_trading(self) -> DataLoader[int, TradingSummary]:
        return customer_trading(self._sessions, self._principal)

    @cached_property
    def visible_action_log(self) -> RowLoader[int, ActionLog | None]:
        return self._visible(ActionLog, ActionLog.id, log_visibility)
