"""Domain model: SQLAlchemy mapped classes and pure rules (no I/O).

Importing this package registers every table on `Base.metadata` (Alembic and tests rely on it).
"""

from models import (
    action_log,
    after_sales,
    campaigns,
    catalog,
    claims,
    coupon_issues,
    coupon_pushes,
    coupon_sales,
    coupons,
    customers,
    deliveries,
    exports,
    idempotency,
    identity,
    metrics_rollups,
    metrics_sets,
    order_counts,
    order_watches,
    orders,
    payments,
    reviews,
    stores,
    visits,
)
from models.base import Base

__all__ = [
    "Base",
    "action_log",
    "after_sales",
    "campaigns",
    "catalog",
    "claims",
    "coupon_issues",
    "coupon_pushes",
    "coupon_sales",
    "coupons",
    "customers",
    "deliveries",
    "exports",
    "idempotency",
    "identity",
    "metrics_rollups",
    "metrics_sets",
    "order_counts",
    "order_watches",
    "orders",
    "payments",
    "reviews",
    "stores",
    "visits",
]
