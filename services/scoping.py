"""Row-level visibility per principal, as SQL conditions.

One source of truth for "who sees which orders/customers": list queries, node lookups and
loaders all add these conditions, so a store's staff can never reach another store's rows by
guessing an id (they get "not found", not the row).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, select, true
from sqlalchemy.orm import InstrumentedAttribute

from models.after_sales.rows import AfterSale
from models.customers.rows import Customer
from models.enums import Role
from models.errors import DomainError, ErrorCode
from models.orders.rows import Order
from models.principals import Principal


def require_signed_in(principal: Principal) -> Role:
    if principal.role is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "sign in (Authorization: Bearer <token>) to see this")
    return principal.role


def order_visibility(principal: Principal) -> ColumnElement[bool]:
    role = require_signed_in(principal)
    if principal.sees_all_stores():
        return true()
    if role is Role.STORE_STAFF:
        return Order.store_id.in_(sorted(principal.store_ids)) if principal.store_ids else false()
    if role is Role.SHOPPER and principal.customer_id is not None:
        return Order.customer_id == principal.customer_id
    return false()


def customer_visibility(principal: Principal) -> ColumnElement[bool]:
    """Staff see the customers who ordered in their stores; shoppers see themselves."""
    role = require_signed_in(principal)
    if principal.sees_all_stores():
        return true()
    if role is Role.STORE_STAFF and principal.store_ids:
        return exists(
            select(Order.id).where(
                Order.customer_id == Customer.id, Order.store_id.in_(sorted(principal.store_ids))
            )
        )
    if role is Role.SHOPPER and principal.customer_id is not None:
        return Customer.id == principal.customer_id
    return false()


def visible_through_order(
    order_id: ColumnElement[int] | InstrumentedAttribute[int], principal: Principal
) -> ColumnElement[bool]:
    """A row that belongs to an order (`order_id` is its column) is visible exactly when the order is."""
    return exists(select(Order.id).where(Order.id == order_id, order_visibility(principal)))


def after_sale_visibility(principal: Principal) -> ColumnElement[bool]:
    """An after-sale is visible exactly when its order is."""
    return visible_through_order(AfterSale.order_id, principal)
