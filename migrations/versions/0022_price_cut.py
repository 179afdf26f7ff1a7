"""Item-level price promotions: 单品直降 (PRICE_CUT), 限时抢 (FLASH_SALE), 商品折扣 (PRODUCT_DISCOUNT)

`campaigns.type` takes PRICE_CUT, FLASH_SALE and PRODUCT_DISCOUNT (its CHECK constraint is replaced;
the column widens to fit them). `product_discount_rules`: a 商品折扣's percentage (its
products are in `campaign_products`). New tables: `item_price_skus` (the unit price of each SKU while the
campaign runs, with a flash sale's stock, units sold and per-customer limit) and
`flash_sale_takes` (the flash-sale units each order holds, released on cancellation).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = models.base.UtcDateTime(timezone=True)
_TYPES_BEFORE = ("INVITE_REWARD", "SPEND_REWARD", "GROUP_BUY")
_TYPE_CHECK = "ck_campaigns_campaign_type"


def _replace_type_check(values: Sequence[str], length: int) -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_constraint(op.f(_TYPE_CHECK), type_="check")
        batch.alter_column("type", existing_type=sa.String(), type_=sa.String(length), existing_nullable=False)
        batch.create_check_constraint(op.f(_TYPE_CHECK), sa.column("type").in_(values))


def upgrade() -> None:
    _replace_type_check((*_TYPES_BEFORE, "PRICE_CUT", "FLASH_SALE", "PRODUCT_DISCOUNT"), 24)
    op.create_table(
        "product_discount_rules",
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("percent_off", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "percent_off > 0 AND percent_off < 100", name=op.f("ck_product_discount_rules_percent_off_range")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_product_discount_rules_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_product_discount_rules")),
    )
    op.create_table(
        "item_price_skus",
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("sku_id", _ID, nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.CheckConstraint("price > 0", name=op.f("ck_item_price_skus_item_price_positive")),
        sa.CheckConstraint(
            "sold >= 0 AND (stock IS NULL OR sold <= stock)",
            name=op.f("ck_item_price_skus_item_price_sold_within"),
        ),
        sa.CheckConstraint(
            "per_customer_limit IS NULL OR per_customer_limit > 0",
            name=op.f("ck_item_price_skus_item_price_limit"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_item_price_skus_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_item_price_skus_sku_id_skus")),
        sa.PrimaryKeyConstraint("campaign_id", "sku_id", name=op.f("pk_item_price_skus")),
    )
    op.create_index(op.f("ix_item_price_skus_sku_id"), "item_price_skus", ["sku_id"])
    op.create_table(
        "flash_sale_takes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("sku_id", _ID, nullable=False),
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("released_at", _AT, nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_flash_sale_takes_take_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_flash_sale_takes_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_flash_sale_takes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_flash_sale_takes_order_id_orders")),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_flash_sale_takes_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flash_sale_takes")),
    )
    op.create_index(
        "ix_flash_sale_takes_holder", "flash_sale_takes", ["campaign_id", "sku_id", "customer_id"]
    )
    op.create_index(op.f("ix_flash_sale_takes_order_id"), "flash_sale_takes", ["order_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_flash_sale_takes_order_id"), table_name="flash_sale_takes")
    op.drop_index("ix_flash_sale_takes_holder", table_name="flash_sale_takes")
    op.drop_table("flash_sale_takes")
    op.drop_index(op.f("ix_item_price_skus_sku_id"), table_name="item_price_skus")
    op.drop_table("item_price_skus")
    op.drop_table("product_discount_rules")
    ours = "SELECT id FROM campaigns WHERE type IN ('PRICE_CUT', 'FLASH_SALE', 'PRODUCT_DISCOUNT')"
    for table in ("campaign_products", "campaign_stores"):
        op.execute(f"DELETE FROM {table} WHERE campaign_id IN ({ours})")  # noqa: S608 (constant SQL)
    op.execute("DELETE FROM campaigns WHERE type IN ('PRICE_CUT', 'FLASH_SALE', 'PRODUCT_DISCOUNT')")
    _replace_type_check(_TYPES_BEFORE, 21)
