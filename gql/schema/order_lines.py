"""The GraphQL type of an order line (a SKU in an order, with its snapshot) and its row fields."""

from __future__ import annotations

import strawberry
from strawberry import relay

from gql.engine import RowFields, computed
from gql.schema.catalog import PRODUCT, SKU, Product, Sku
from gql.schema.common import Money, money
from models.orders import rows


@strawberry.type(description="A SKU in an order, with the snapshot taken when the order was placed.")
class OrderLine(relay.Node):
    id: relay.NodeID[int]
    product_name: str = strawberry.field(
        description="Snapshot: renaming the product later does not change it."
    )
    spec: str
    image_url: str | None
    unit_price: Money
    original_price: Money
    quantity: int
    discount_share: Money = strawberry.field(description="This line's share of the order discount.")
    paid_amount: Money = strawberry.field(description="unitPrice × quantity − discountShare.")
    is_gift: bool
    shipped_quantity: int
    refunded_quantity: int
    refunded_amount: Money
    _sku_id: strawberry.Private[int]
    _product_id: strawberry.Private[int]

    sku: Sku = strawberry.field(resolver=SKU.resolve_by("_sku_id"))
    product: Product = strawberry.field(resolver=PRODUCT.resolve_by("_product_id"))

    @classmethod
    def from_row(cls, row: rows.OrderLine) -> OrderLine:
        return ORDER_LINE_FIELDS(row)


# `reads`: for the narrowed lines loader (gql/engine/narrowed.py).
ORDER_LINE_FIELDS = RowFields(
    OrderLine,
    {
        "unit_price": computed(money, "unit_price"),
        "original_price": computed(money, "original_price"),
        "discount_share": computed(money, "discount_share"),
        "paid_amount": computed(money, "paid_amount"),
        "refunded_amount": computed(money, "refunded_amount"),
        "_sku_id": "sku_id",
        "_product_id": "product_id",
    },
    reads={"_id": ("id",), "sku": ("sku_id",), "product": ("product_id",)},
    entity=rows.OrderLine,
)
