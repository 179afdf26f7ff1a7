"""Who may call each root field: one table, checked before the resolver runs.

Row-level scope (which stores, which customer) is applied in SQL by `services/scoping.py`;
this table only says which roles may ask at all. A test walks the live schema and fails if a
root field is missing here, so new fields cannot ship unguarded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from strawberry.permission import BasePermission

from gql.context import Info
from models.enums import Role
from models.errors import DomainError, ErrorCode

Audience = frozenset[Role | None]

EVERYONE: Final[Audience] = frozenset({None, *Role})
SIGNED_IN: Final[Audience] = frozenset(Role)
BACK_OFFICE: Final[Audience] = frozenset({Role.HQ_ADMIN, Role.STORE_STAFF, Role.ANALYST})
ORDER_READERS: Final[Audience] = frozenset({Role.HQ_ADMIN, Role.STORE_STAFF, Role.ANALYST, Role.SHOPPER})
SHOPPERS: Final[Audience] = frozenset({Role.SHOPPER})
MERCHANTS: Final[Audience] = frozenset({Role.HQ_ADMIN, Role.STORE_STAFF})
HQ: Final[Audience] = frozenset({Role.HQ_ADMIN})

ROOT_FIELD_AUDIENCE: Final[Mapping[str, Audience]] = {
    "Query.node": EVERYONE,  # each type's own visibility applies (orders are scoped, catalogue is public)
    "Query.nodes": EVERYONE,
    "Query.viewer": EVERYONE,
    "Query.stores": EVERYONE,
    "Query.store": EVERYONE,
    "Query.categories": EVERYONE,
    "Query.products": EVERYONE,
    "Query.product": EVERYONE,
    "Query.customers": BACK_OFFICE,
    "Query.customer": SIGNED_IN,
    "Query.orders": ORDER_READERS,
    "Query.orderStatusCounts": ORDER_READERS,
    "Query.order": ORDER_READERS,
    # Order mutations: the state table further decides who may cause which transition.
    "Mutation.placeOrder": SHOPPERS,
    "Mutation.payOrder": SHOPPERS,
    "Mutation.cancelOrder": frozenset({Role.SHOPPER, Role.STORE_STAFF, Role.HQ_ADMIN}),
    "Mutation.confirmReceipt": SHOPPERS,
    "Mutation.acceptOrder": MERCHANTS,
    "Mutation.rejectOrder": MERCHANTS,
    "Mutation.shipOrder": MERCHANTS,
    "Mutation.addParcelTrace": MERCHANTS,
    "Mutation.verifyPickup": MERCHANTS,
    "Mutation.reallocateOrder": HQ,
    "Mutation.cancelAllocatedOrder": HQ,
    # After-sales: buyers ask, withdraw and ship back; stores decide and refund.
    "Query.afterSales": ORDER_READERS,
    "Query.afterSaleStatusCounts": ORDER_READERS,
    "Query.afterSale": ORDER_READERS,
    "Mutation.requestAfterSale": SHOPPERS,
    "Mutation.withdrawAfterSale": SHOPPERS,
    "Mutation.submitReturnShipment": SHOPPERS,
    "Mutation.refundLines": MERCHANTS,
    "Mutation.approveAfterSale": MERCHANTS,
    "Mutation.rejectAfterSale": MERCHANTS,
    "Mutation.confirmReturnReceived": MERCHANTS,
    "Mutation.refuseReturnReceipt": MERCHANTS,
    # Campaigns (营销): the back office manages; the mini-program shows pages and places team orders.
    "Query.campaigns": BACK_OFFICE,
    "Query.campaign": EVERYONE,  # the public campaign page; its figures check the role themselves
    "Query.groupBuyPage": EVERYONE,
    "Query.previewPricing": EVERYONE,
    "Mutation.createCampaign": MERCHANTS,
    "Mutation.updateCampaign": MERCHANTS,
    "Mutation.setSpendRewardTiers": MERCHANTS,
    "Mutation.stopCampaign": MERCHANTS,
    "Mutation.openTeam": SHOPPERS,
    "Mutation.joinTeam": SHOPPERS,
    "Mutation.acceptInvite": SHOPPERS,
    # Back office (issue 9): stores, accounts, catalogue, listings, customers' detail, reviews.
    # Row scope (staff: their stores) is applied by the services, in SQL.
    "Mutation.createStore": HQ,
    "Mutation.updateStore": MERCHANTS,  # staff: their stores' day-to-day settings only
    "Query.staffAccounts": MERCHANTS,
    "Query.actionLogs": MERCHANTS,
    "Mutation.createStaffAccount": MERCHANTS,  # staff: a main account's own sub-accounts
    "Mutation.updateStaffAccount": MERCHANTS,
    "Mutation.createCategory": HQ,
    "Mutation.updateCategory": HQ,
    "Mutation.moveCategory": HQ,
    "Mutation.reorderCategories": HQ,
    "Mutation.deleteCategory": HQ,
    "Mutation.createProduct": HQ,
    "Mutation.updateProduct": HQ,
    "Mutation.createSku": HQ,
    "Mutation.updateSku": HQ,
    "Query.storeSkus": BACK_OFFICE,
    "Mutation.setStoreSku": MERCHANTS,
    "Mutation.setStoreSkusOnShelf": MERCHANTS,
    "Mutation.syncStoreSkus": MERCHANTS,
    "Query.reviews": EVERYONE,  # the public sees visible reviews; staff their stores'; HQ all
    "Mutation.createReview": SHOPPERS,
    "Mutation.replyToReview": MERCHANTS,
    "Mutation.setReviewHidden": HQ,
    # Metrics (issue 7): HQ and analysts see every store, staff theirs (scope applied in SQL);
    # visit events come from the mini-program, signed in or not.
    "Query.metrics": BACK_OFFICE,
    "Mutation.trackEvents": frozenset({None, Role.SHOPPER}),
    # Live order events (issue 11): staff their stores (scope in the feed), shoppers their orders.
    "Subscription.orderEvents": MERCHANTS,
    "Subscription.myOrderUpdates": SHOPPERS,
}


def check_audience(field: str, role: Role | None) -> None:
    audience = ROOT_FIELD_AUDIENCE[field]
    if role in audience:
        return
    if role is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, f"sign in to use {field.split('.')[-1]}")
    raise DomainError(ErrorCode.FORBIDDEN, f"role {role.value} may not use {field.split('.')[-1]}")


class Allowed(BasePermission):
    """Looks the field up in ROOT_FIELD_AUDIENCE; raises a coded error when the role is not in it."""

    message = "forbidden"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        check_audience(f"{info.path.typename}.{info.field_name}", info.context.principal.role)
        return True
