"""Domain model: SQLAlchemy mapped classes and pure rules (no I/O).

Importing this package registers every table on `Base.metadata` (Alembic and tests rely on it).
"""

from models import action_log, exports, idempotency, identity, payments, reviews, visits
from models.after_sales import rows as after_sales_rows
from models.base import Base
from models.campaigns import rows as campaigns_rows
from models.campaigns import scope as campaign_scope
from models.catalog import rows as catalog_rows
from models.claims import rows as claims_rows
from models.coupons import issues as coupon_issues
from models.coupons import pushes as coupon_pushes
from models.coupons import rows as coupons_rows
from models.coupons import sales as coupon_sales
from models.customers import rows as customers_rows
from models.deliveries import rows as deliveries_rows
from models.metrics import channels as metrics_channels
from models.metrics import line_rollups as metrics_line_rollups
from models.metrics import rollups as metrics_rollups
from models.metrics import sets as metrics_sets
from models.orders import counts as order_counts
from models.orders import day_counts as order_day_counts
from models.orders import rows as orders_rows
from models.orders import watches as order_watches
from models.stores import rows as stores_rows

__all__ = [
    "Base",
    "action_log",
    "after_sales_rows",
    "campaign_scope",
    "campaigns_rows",
    "catalog_rows",
    "claims_rows",
    "coupon_issues",
    "coupon_pushes",
    "coupon_sales",
    "coupons_rows",
    "customers_rows",
    "deliveries_rows",
    "exports",
    "idempotency",
    "identity",
    "metrics_channels",
    "metrics_line_rollups",
    "metrics_rollups",
    "metrics_sets",
    "order_counts",
    "order_day_counts",
    "order_watches",
    "orders_rows",
    "payments",
    "reviews",
    "stores_rows",
    "visits",
]
