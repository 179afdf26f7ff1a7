"""The query cost table: what each kind of field costs (`gql/gate/cost.py` walks a document with it).

The model (like Shopify's, so client authors know it):

* a field returning an object costs 1 (a loader batch or a row), a scalar or enum costs 0;
* a connection (a field with `first`/`last`) costs 2, and its `edges`/`nodes` are multiplied by
  the page size (the argument's value, from variables too, or the default page size);
* any other list multiplies its items by `top` when it has one, else by the field's assumed
  length (`LIST_SIZES`, default `COST_DEFAULT_LIST_SIZE`);
* value types embedded in their parent (money, regions, connection wrappers) cost nothing;
* a field built from one cached object (`FLAT_COSTS`: the group-buy page) costs its flat points,
  whatever it selects below;
* a mutation's root field costs 10; some fields cost more (`FIELD_COSTS`: each metrics figure is
  an aggregate over many rows). Such a field computes its whole list at once: a ranking costs its
  own cost once plus `top` × what each row selects, not `top` × its own cost;
* an aggregate query (`AGGREGATES`) costs its own cost plus, per group it may return (`top`,
  default 100, at most 1,000: more is refused with TOO_MANY_GROUPS), 1 for the row and whatever
  each row expands (a store, a product).

This table is the single source of truth for costs; docs/security.md explains it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MUTATION_COST: Final = 10
CONNECTION_COST: Final = 2

FIELD_COSTS: Final[Mapping[str, int]] = {
    # Each metrics figure is one or more aggregates over orders, lines or visit events.
    "Metrics.tradeOverview": 50,
    "Metrics.funnel": 50,
    "Metrics.refunds": 50,
    "Metrics.products": 50,
    "Metrics.categoryRanking": 50,
    "Metrics.productRanking": 50,
    "Metrics.stores": 50,
    "Metrics.customers": 50,
    "Metrics.traffic": 50,
    "Metrics.sources": 50,
    # One GROUP BY over the paid claims of the range.
    "Metrics.serviceLosses": 20,
    "Campaign.data": 50,
    "Campaign.stats": 10,
    # The other item-level campaigns overlapping it, one or two reads each (at most 100 rows).
    "Campaign.priceConflicts": 20,
    # A template's figures: two GROUP BYs over its coupons and their adjustments.
    "CouponTemplate.figures": 10,
    # Counts per status tab: one GROUP BY over the caller's whole order scope.
    "Query.orderStatusCounts": 20,
    "Query.deliveryQueue": 10,
    "Query.deliveryQueueCounts": 10,
    # Counts per state tab: one GROUP BY over the caller's claim or escalation scope.
    "ClaimConnection.counts": 20,
    "AfterSaleEscalationConnection.counts": 20,
    # Up to 50 orders, one transaction each.
    "Mutation.batchDeliveryAction": 100,
    "Query.orderBookingCounts": 20,
    # Two bounded reads of the timelines of one customer's orders.
    "Query.supportLog": 20,
    # A handful of aggregates over the caller's order scope.
    "Query.orderBoard": 50,
    "Query.afterSaleStatusCounts": 20,
}
"""Own cost of a field (its children are added on top), by `Type.field`."""

FLAT_COSTS: Final[Mapping[str, int]] = {
    # One read of the cached page (a few statements when it is cold) plus the viewer's check.
    "Query.groupBuyPage": 10,
}
"""Whole cost of a field built from one cached object, whatever it selects below, by `Type.field`."""

AGGREGATES: Final[Mapping[str, int]] = {
    "Query.orderAggregate": 50,
    "Query.orderLineAggregate": 50,
    "Query.afterSaleAggregate": 50,
    "Query.visitAggregate": 50,
    "Query.couponAggregate": 50,
}
"""Own cost of the aggregate queries; their rows are counted per group they may return."""
DEFAULT_GROUPS: Final = 100
MAX_GROUPS: Final = 1_000
"""An aggregate's `top`: its default and ceiling (services/analytics/queries.py holds the same)."""

LIST_SIZES: Final[Mapping[str, int]] = {
    "Product.skus": 5,
    "Order.parcels": 3,
    "Query.myCoupons": 20,
    "Query.availableCoupons": 20,
    "ProductPromotions.campaigns": 10,
    "ProductPromotions.coupons": 10,
    "OrderAggregateRow.keys": 4,
    "OrderLineAggregateRow.keys": 4,
    "AfterSaleAggregateRow.keys": 4,
    "VisitAggregateRow.keys": 4,
    "CouponAggregateRow.keys": 4,
}
"""Assumed length of a list without `first`/`last`/`top`, where the default is wrong."""

FREE_TYPES: Final[frozenset[str]] = frozenset(
    {
        "Money",
        "Region",
        "Consignee",
        "PageInfo",
        "MetricsRange",
        "UserError",
        "ActionAvailability",
        "AfterSaleActionAvailability",
        "AggregateKey",
        "OrderAggregateValue",
        "OrderLineAggregateValue",
        "AfterSaleAggregateValue",
        "VisitAggregateValue",
        "PriceAdjustment",
    }
)
"""Values carried inside their parent's row: selecting them costs no query."""


def is_wrapper(name: str) -> bool:
    """A type whose selection reads no row of its own: connection and edge wrappers, `FREE_TYPES`."""
    return name.endswith(("Connection", "Edge")) or name in FREE_TYPES
