"""The GraphQL schema: per-domain root types merged into one `Query`.

`gql.schema:schema` is what the server runs and what `strawberry export-schema` prints into
`schema.graphql` (a test keeps the two identical).
"""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from gql.errors import ErrorCodes
from gql.resolvers.after_sales import AfterSaleMutations, AfterSaleQueries
from gql.resolvers.catalog import CatalogQueries
from gql.resolvers.customers import CustomerQueries
from gql.resolvers.node import NodeQueries
from gql.resolvers.order_search import OrderSearchQueries
from gql.resolvers.orders import OrderMutations, OrderQueries
from gql.resolvers.stores import StoreQueries
from gql.schema.after_sales import AfterSale
from gql.schema.catalog import Category, Product, Sku
from gql.schema.customers import Customer
from gql.schema.orders import Order, OrderLine, Parcel
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
        AfterSaleQueries,
    ),
)

Mutation = merge_types("Mutation", (OrderMutations, AfterSaleMutations))


class MallGraphSchema(strawberry.Schema):
    def process_errors(self, errors: object, execution_context: object = None) -> None:
        """Errors are coded, masked and logged by the ErrorCodes extension; no second log line here."""


schema = MallGraphSchema(
    query=Query,
    mutation=Mutation,
    types=[Store, Category, Product, Sku, Customer, Order, OrderLine, Parcel, AfterSale],
    extensions=[ErrorCodes],
)
