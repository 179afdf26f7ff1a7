"""Who may use what, as data: root fields, restricted fields of other types, and row scope.

* `ROOT_FIELD_AUDIENCE`: the roles that may call each query and mutation (checked by `Allowed`
  before the resolver). A test walks the live schema and fails if a root field is missing, so new
  fields cannot ship unguarded.
* `FIELD_AUDIENCE`: fields of other types only some roles may select (a campaign's figures);
  refused at validation, before anything runs, so the check costs nothing per field.
* `NODE_SCOPE`: which rows of the private types each role reaches, applied in SQL by
  `services/scoping.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from graphql import ASTValidationRule, FieldNode, GraphQLError, ValidationRule
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
    "Query.orderBookingCounts": ORDER_READERS,
    "Query.supportLog": MERCHANTS,
    "Query.orderBoard": MERCHANTS,
    "Query.order": ORDER_READERS,
    # Order mutations: the state table further decides who may cause which transition.
    "Mutation.placeOrder": SHOPPERS,
    "Mutation.payOrder": SHOPPERS,
    "Mutation.cancelOrder": frozenset({Role.SHOPPER, Role.STORE_STAFF, Role.HQ_ADMIN}),
    "Mutation.confirmReceipt": SHOPPERS,
    "Mutation.acceptOrder": MERCHANTS,
    "Mutation.setMerchantOrderNo": MERCHANTS,
    "Mutation.rejectOrder": MERCHANTS,
    "Mutation.shipOrder": MERCHANTS,
    "Mutation.addParcelTrace": MERCHANTS,
    "Mutation.verifyPickup": MERCHANTS,
    "Mutation.reallocateOrder": HQ,
    "Mutation.cancelAllocatedOrder": HQ,
    # Store delivery (O2O): the store's steps; the courier platform calls the signed webhook instead.
    "Query.deliveryQueue": MERCHANTS,
    "Query.deliveryQueueCounts": MERCHANTS,
    "Query.claims": ORDER_READERS,
    "Mutation.raiseClaim": frozenset({Role.SHOPPER, Role.STORE_STAFF, Role.HQ_ADMIN}),
    "Mutation.approveClaim": MERCHANTS,
    "Mutation.rejectClaim": MERCHANTS,
    "Mutation.payClaim": MERCHANTS,
    "Mutation.finishPicking": MERCHANTS,
    "Mutation.followUpDelivery": MERCHANTS,
    "Mutation.batchDeliveryAction": MERCHANTS,
    "Mutation.assignOwnRider": MERCHANTS,
    "Mutation.requestPlatformRider": MERCHANTS,
    "Mutation.markOrderDelivering": MERCHANTS,
    "Mutation.markOrderDelivered": MERCHANTS,
    # Watch lists: each back-office user's own, of the orders they may see.
    "Mutation.watchOrder": MERCHANTS,
    "Mutation.unwatchOrder": MERCHANTS,
    # After-sales: buyers ask, withdraw and ship back; stores decide and refund.
    "Query.afterSales": ORDER_READERS,
    "Query.afterSaleStatusCounts": ORDER_READERS,
    "Query.afterSale": ORDER_READERS,
    "Mutation.requestAfterSale": SHOPPERS,
    "Mutation.withdrawAfterSale": SHOPPERS,
    "Mutation.submitReturnShipment": SHOPPERS,
    "Mutation.refundLines": MERCHANTS,
    "Mutation.approveAfterSale": MERCHANTS,
    "Mutation.batchApproveAfterSales": MERCHANTS,
    "Mutation.batchRejectAfterSales": MERCHANTS,
    "Mutation.batchRefundAfterSales": MERCHANTS,
    "Mutation.rejectAfterSale": MERCHANTS,
    "Mutation.confirmReturnReceived": MERCHANTS,
    "Mutation.refuseReturnReceipt": MERCHANTS,
    "Mutation.shipReplacement": MERCHANTS,
    "Mutation.confirmReplacementReceived": SHOPPERS,
    # 客服介入: the buyer or the store escalates; only HQ decides.
    "Query.afterSaleEscalations": ORDER_READERS,
    "Mutation.escalateAfterSale": frozenset({Role.SHOPPER, Role.STORE_STAFF}),
    "Mutation.decideEscalation": HQ,
    # Campaigns (营销): the back office manages; the mini-program shows pages and places team orders.
    "Query.campaigns": BACK_OFFICE,
    "Query.campaign": EVERYONE,  # the public campaign page; its figures check the role themselves
    "Query.groupBuyPage": EVERYONE,
    "Query.previewPricing": EVERYONE,
    # Coupons (优惠券): the back office manages templates; shoppers claim and spend.
    "Query.couponTemplates": BACK_OFFICE,
    "Query.couponTemplate": BACK_OFFICE,
    "Query.availableCoupons": EVERYONE,
    "Query.myCoupons": SHOPPERS,
    "Query.productPromotions": BACK_OFFICE,
    "Mutation.createCouponTemplate": MERCHANTS,
    "Mutation.updateCouponTemplate": MERCHANTS,
    "Mutation.stopCouponTemplate": MERCHANTS,
    "Mutation.deleteCouponTemplate": MERCHANTS,
    "Mutation.claimCoupon": SHOPPERS,
    "Mutation.voidCoupon": HQ,
    # 返券: the back office configures issuing rules; shoppers start and help 助力 assists.
    "Query.couponIssueRules": BACK_OFFICE,
    "Query.couponIssueRule": BACK_OFFICE,
    "Query.assistOffers": EVERYONE,
    "Query.myAssists": SHOPPERS,
    "Query.assist": EVERYONE,  # the share page: helpers' nicknames masked, the coupon only to its starter
    "Mutation.createCouponIssueRule": MERCHANTS,
    "Mutation.updateCouponIssueRule": MERCHANTS,
    "Mutation.stopCouponIssueRule": MERCHANTS,
    "Mutation.startAssist": SHOPPERS,
    "Mutation.joinAssist": SHOPPERS,
    # 卖券, 发券 and 扫码领券 (gql/resolvers/coupon_ops.py)
    "Query.couponPurchases": frozenset({Role.HQ_ADMIN, Role.SHOPPER}),
    "Query.couponPushJob": MERCHANTS,
    "Query.couponPushJobs": MERCHANTS,
    "Query.couponClaimLink": MERCHANTS,
    "Mutation.setCouponSalePrice": MERCHANTS,
    "Mutation.buyCoupon": SHOPPERS,
    "Mutation.payCouponPurchase": SHOPPERS,
    "Mutation.refundCouponPurchase": frozenset({Role.HQ_ADMIN, Role.SHOPPER}),
    "Mutation.startCouponPush": MERCHANTS,
    "Mutation.claimCouponByLink": SHOPPERS,
    "Mutation.createCampaign": MERCHANTS,
    "Mutation.updateCampaign": MERCHANTS,
    "Mutation.setSpendRewardTiers": MERCHANTS,
    "Mutation.stopCampaign": MERCHANTS,
    "Mutation.optInCampaign": MERCHANTS,
    "Mutation.optOutCampaign": MERCHANTS,
    "Query.campaignInvitations": MERCHANTS,
    "Mutation.openTeam": SHOPPERS,
    "Mutation.joinTeam": SHOPPERS,
    # 待成团: the member or HQ (not stores: the order is not theirs until the team forms).
    "Mutation.cancelAwaitingGroupOrder": frozenset({Role.SHOPPER, Role.HQ_ADMIN}),
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
    # Aggregates (issue 22): the order list's scope per role (staff: their stores); shoppers refused.
    "Query.orderAggregate": BACK_OFFICE,
    "Query.orderLineAggregate": BACK_OFFICE,
    "Query.afterSaleAggregate": BACK_OFFICE,
    "Query.visitAggregate": BACK_OFFICE,
    "Query.couponAggregate": BACK_OFFICE,
    "Mutation.trackEvents": frozenset({None, Role.SHOPPER}),
    # Live order events (issue 11): staff their stores (scope in the feed), shoppers their orders.
    "Subscription.orderEvents": MERCHANTS,
    "Subscription.myOrderUpdates": SHOPPERS,
    # Live coupon events (issue 26): staff the events at their stores, shoppers their own coupons.
    "Subscription.couponEvents": MERCHANTS,
    "Subscription.myCouponUpdates": SHOPPERS,
    # Bulk export (issue 22): the back office exports what its lists show; a job is its owner's (and HQ's).
    "Mutation.startExport": BACK_OFFICE,
    "Query.export": BACK_OFFICE,
    # Shopper sign-in (issue 23): visitors sign in; the refresh token itself is the proof for refreshing
    # and signing out (the access token may have expired); only a signed-in shopper binds a phone.
    "Mutation.signIn": frozenset({None, Role.SHOPPER}),
    "Mutation.refreshSession": frozenset({None, Role.SHOPPER}),
    "Mutation.signOut": frozenset({None, Role.SHOPPER}),
    "Mutation.bindPhone": SHOPPERS,
}

FIELD_AUDIENCE: Final[Mapping[str, Audience]] = {
    # Sales figures of a campaign are the back office's; its public page shows the campaign itself.
    "Campaign.stats": BACK_OFFICE,
    "Campaign.data": BACK_OFFICE,
    "Campaign.priceConflicts": BACK_OFFICE,
    "Campaign.optIns": MERCHANTS,
}
"""Fields below the root that only some roles may select (others get FORBIDDEN / UNAUTHENTICATED)."""


def refusal(role: Role | None, name: str) -> tuple[ErrorCode, str]:
    if role is None:
        return ErrorCode.UNAUTHENTICATED, f"sign in to use {name}"
    return ErrorCode.FORBIDDEN, f"role {role.value} may not use {name}"


def field_audience_rule(role: Role | None) -> type[ASTValidationRule]:
    """Refuses the `FIELD_AUDIENCE` fields the role may not select (one error per document)."""
    restricted = frozenset(key for key, audience in FIELD_AUDIENCE.items() if role not in audience)

    class FieldAudience(ValidationRule):
        reported = False

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = self.context.get_parent_type()
            if self.reported or parent is None:
                return
            key = f"{parent.name}.{node.name.value}"
            if key in restricted:
                self.reported = True
                code, message = refusal(role, key)
                self.report_error(GraphQLError(message, node, extensions={"code": code.value}))

    return FieldAudience


class Scope(StrEnum):
    """Which rows of a type a role reaches (by id, by node, in lists and through relations)."""

    ALL = "ALL"
    OWN_STORES = "OWN_STORES"
    """Rows of the stores in the staff token's `store_ids` (customers: who ordered there)."""
    OWN = "OWN"
    """The shopper's own rows (the token's `customer_id`)."""
    NONE = "NONE"


PRIVATE_ROWS: Final[Mapping[Role | None, Scope]] = {
    Role.HQ_ADMIN: Scope.ALL,
    Role.ANALYST: Scope.ALL,  # read-only, personal data masked (models/pii.py)
    Role.STORE_STAFF: Scope.OWN_STORES,
    Role.SHOPPER: Scope.OWN,
    None: Scope.NONE,
}

NODE_SCOPE: Final[Mapping[str, Mapping[Role | None, Scope]]] = {
    "Order": PRIVATE_ROWS,
    "OrderLine": PRIVATE_ROWS,
    "Parcel": PRIVATE_ROWS,
    "AfterSale": PRIVATE_ROWS,
    "Customer": PRIVATE_ROWS,
}
"""Row scope of the private types. Enforced in SQL by `services/scoping.py` (outside it a row is
"not found", exactly like a missing one); `tests/api/test_scope_and_masking.py` checks every
cell against real rows. Every other Node type is public catalogue or back-office data whose
root fields' audiences above (and the services' store checks) decide."""


def check_audience(field: str, role: Role | None) -> None:
    if role in ROOT_FIELD_AUDIENCE[field]:
        return
    code, message = refusal(role, field.split(".")[-1])
    raise DomainError(code, message)


class Allowed(BasePermission):
    """Looks the field up in ROOT_FIELD_AUDIENCE; raises a coded error when the role is not in it."""

    message = "forbidden"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        check_audience(f"{info.path.typename}.{info.field_name}", info.context.principal.role)
        return True
