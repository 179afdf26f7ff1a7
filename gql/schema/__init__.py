"""The GraphQL schema: per-domain root types merged into one `Query`.

`gql.schema:schema` is what the server runs and what `strawberry export-schema` prints into
`schema.graphql` (a test keeps the two identical).
"""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.tools import merge_types

from gql import input_conversion
from gql.engine import LevelFirstExecutor
from gql.errors import ErrorCodes
from gql.gate.documents import PreparedDocument
from gql.http.observability import OperationMetrics
from gql.http.subscriptions import OrderSubscriptions
from gql.resolvers.after_sale_batches import AfterSaleBatchMutations
from gql.resolvers.after_sales import AfterSaleMutations, AfterSaleQueries
from gql.resolvers.analytics import AnalyticsQueries
from gql.resolvers.campaign_opt_ins import CampaignOptInMutations, CampaignOptInQueries
from gql.resolvers.campaigns import CampaignMutations, CampaignQueries
from gql.resolvers.catalog import CatalogQueries
from gql.resolvers.catalog_admin import CatalogAdminMutations
from gql.resolvers.claims import ClaimMutations, ClaimQueries
from gql.resolvers.coupon_issues import CouponIssueMutations, CouponIssueQueries
from gql.resolvers.coupon_ops import CouponOpsMutations, CouponOpsQueries
from gql.resolvers.coupons import CouponMutations, CouponQueries
from gql.resolvers.customers import CustomerQueries
from gql.resolvers.deliveries import DeliveryMutations, DeliveryQueries
from gql.resolvers.escalations import EscalationMutations, EscalationQueries
from gql.resolvers.exports import ExportMutations, ExportQueries
from gql.resolvers.group_buy import GroupBuyMutations, GroupBuyQueries
from gql.resolvers.metrics import MetricsQueries
from gql.resolvers.node import NodeQueries
from gql.resolvers.order_board import OrderBoardQueries
from gql.resolvers.order_search import OrderSearchQueries
from gql.resolvers.order_watches import OrderWatchMutations
from gql.resolvers.orders import OrderMutations, OrderQueries
from gql.resolvers.reviews import ReviewMutations, ReviewQueries
from gql.resolvers.sign_in import SignInMutations
from gql.resolvers.staff import StaffMutations, StaffQueries
from gql.resolvers.store_skus import StoreSkuMutations, StoreSkuQueries
from gql.resolvers.stores import StoreMutations, StoreQueries
from gql.resolvers.support_log import SupportLogQueries
from gql.resolvers.visits import VisitMutations
from gql.schema.after_sales import AfterSale
from gql.schema.campaigns import Campaign
from gql.schema.catalog import Category, Product, Sku, StoreSku
from gql.schema.claims import Claim
from gql.schema.common import CENTS_SCALAR, Cents
from gql.schema.customers import Customer
from gql.schema.escalations import AfterSaleEscalation
from gql.schema.order_lines import OrderLine
from gql.schema.order_records import Parcel
from gql.schema.order_search import OrderFilter
from gql.schema.orders import Order
from gql.schema.reviews import Review
from gql.schema.staff import ActionLog, StaffAccount
from gql.schema.stores import Store

Query = merge_types(
    "Query",
    (
        NodeQueries,
        StoreQueries,
        CatalogQueries,
        CustomerQueries,
        OrderSearchQueries,
        OrderQueries,
        DeliveryQueries,
        ClaimQueries,
        AfterSaleQueries,
        EscalationQueries,
        CampaignQueries,
        CampaignOptInQueries,
        CouponQueries,
        CouponIssueQueries,
        CouponOpsQueries,
        GroupBuyQueries,
        StoreSkuQueries,
        StaffQueries,
        ReviewQueries,
        MetricsQueries,
        AnalyticsQueries,
        ExportQueries,
        SupportLogQueries,
        OrderBoardQueries,
    ),
)

Mutation = merge_types(
    "Mutation",
    (
        OrderMutations,
        DeliveryMutations,
        ClaimMutations,
        OrderWatchMutations,
        AfterSaleMutations,
        AfterSaleBatchMutations,
        EscalationMutations,
        CampaignMutations,
        CampaignOptInMutations,
        CouponMutations,
        CouponIssueMutations,
        CouponOpsMutations,
        GroupBuyMutations,
        StoreMutations,
        StaffMutations,
        CatalogAdminMutations,
        StoreSkuMutations,
        ReviewMutations,
        VisitMutations,
        ExportMutations,
        SignInMutations,
    ),
)


class MallGraphSchema(strawberry.Schema):
    def process_errors(self, errors: object, execution_context: object = None) -> None:
        """Errors are coded, masked and logged by the ErrorCodes extension; no second log line here."""


class RememberingNameConverter(NameConverter):
    """strawberry's name converter, remembering each Python name's GraphQL name.

    strawberry converts input arguments to Python on every call, and names each input field by
    converting its Python name to camelCase again; the conversion depends on the name alone.
    """

    def __init__(self, auto_camel_case: bool = True) -> None:
        super().__init__(auto_camel_case)
        self._names: dict[tuple[str, bool], str] = {}

    def apply_naming_config(self, name: str) -> str:
        key = (name, self.auto_camel_case)
        found = self._names.get(key)
        if found is None:
            found = self._names[key] = super().apply_naming_config(name)
        return found


schema = MallGraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=OrderSubscriptions,
    types=[
        Store,
        Category,
        Product,
        Sku,
        Customer,
        Order,
        OrderLine,
        Parcel,
        AfterSale,
        AfterSaleEscalation,
        Claim,
        Campaign,
        StoreSku,
        StaffAccount,
        ActionLog,
        Review,
    ],
    extensions=[OperationMetrics, ErrorCodes, PreparedDocument],  # OperationMetrics first: it sees the codes
    config=StrawberryConfig(scalar_map={Cents: CENTS_SCALAR}, name_converter=RememberingNameConverter()),
    execution_context_class=LevelFirstExecutor,
)

# The admin list's filter (and the inputs it nests) is built by a plan made once (gql/input_conversion.py).
input_conversion.install(schema, [OrderFilter])
