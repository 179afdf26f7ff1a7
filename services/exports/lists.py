"""The exportable lists: for each, its rows' tables, its columns, and its scope AND filter.

The condition of every list but VISITS is the one its GraphQL list runs (`order_condition`, the
after-sale list's, `customer_conditions`), so an export holds exactly what paging the list shows.
VISITS has no GraphQL list; its rule is `visit_visibility`: HQ and analysts every page view,
store staff those at their stores (a view without a store is nobody's store's), shoppers none
(they cannot export at all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, false, true
from sqlalchemy.orm import aliased

from models.after_sales.rows import AfterSale
from models.catalog.rows import Product, Sku
from models.customers.lifecycle import segment_of
from models.customers.rows import Customer
from models.enums import PageType, Role, SourceChannel
from models.exports import AfterSaleExportColumn as A
from models.exports import CustomerExportColumn as C
from models.exports import ExportList
from models.exports import OrderExportColumn as O
from models.exports import OrderLineExportColumn as L
from models.exports import VisitExportColumn as V
from models.orders.rows import Order, OrderLine
from models.principals import Principal
from models.stores.rows import Store
from models.visits import VisitEvent
from services.after_sales.search import AfterSaleCriteria
from services.after_sales.search import scoped_condition as after_sale_conditions
from services.customers import CustomerCriteria, customer_conditions
from services.exports.rows import Column, Listing, bool_cells
from services.orders.search import OrderCriteria, order_condition
from services.scoping import require_signed_in


@dataclass(frozen=True, slots=True)
class VisitCriteria:
    """Every given condition must hold; [occurred_from, occurred_to) is half-open."""

    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    store_ids: tuple[int, ...] = ()
    page_types: tuple[PageType, ...] = ()
    sources: tuple[SourceChannel, ...] = ()


ExportCriteria = OrderCriteria | AfterSaleCriteria | CustomerCriteria | VisitCriteria

CRITERIA_TYPES: Final[dict[ExportList, type[Any]]] = {
    ExportList.ORDERS: OrderCriteria,
    ExportList.ORDER_LINES: OrderCriteria,
    ExportList.AFTER_SALES: AfterSaleCriteria,
    ExportList.CUSTOMERS: CustomerCriteria,
    ExportList.VISITS: VisitCriteria,
}


def visit_visibility(principal: Principal) -> ColumnElement[bool]:
    role = require_signed_in(principal)
    if principal.sees_all_stores():
        return true()
    if role is Role.STORE_STAFF and principal.store_ids:
        return VisitEvent.store_id.in_(sorted(principal.store_ids))
    return false()


def visit_condition(principal: Principal, c: VisitCriteria) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = [visit_visibility(principal)]
    if c.occurred_from is not None:
        parts.append(VisitEvent.occurred_at >= c.occurred_from)
    if c.occurred_to is not None:
        parts.append(VisitEvent.occurred_at < c.occurred_to)
    if c.store_ids:
        parts.append(VisitEvent.store_id.in_(c.store_ids))
    if c.page_types:
        parts.append(VisitEvent.page_type.in_(c.page_types))
    if c.sources:
        parts.append(VisitEvent.source.in_(c.sources))
    return and_(*parts)


def condition(
    kind: ExportList, principal: Principal, criteria: ExportCriteria, now: datetime, zone: tzinfo
) -> ColumnElement[bool]:
    """The caller's scope AND the filter, as the list compiles it; raises what the list raises
    (DomainError: an analyst's phone search, say). `now` places relative windows (segments)."""
    if not isinstance(criteria, CRITERIA_TYPES[kind]):
        raise TypeError(f"{type(criteria).__name__} is not a filter of {kind.value}")
    if isinstance(criteria, OrderCriteria):
        return order_condition(principal, criteria)
    if isinstance(criteria, AfterSaleCriteria):
        return after_sale_conditions(principal, criteria)
    if isinstance(criteria, CustomerCriteria):
        return customer_conditions(principal, criteria, now, zone)
    return visit_condition(principal, criteria)


def _orders(stmt: Select[Any]) -> Select[Any]:
    return stmt.select_from(Order).outerjoin(Store, Store.id == Order.store_id)


def _order_lines(stmt: Select[Any]) -> Select[Any]:
    stmt = stmt.select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
    return stmt.join(Sku, Sku.id == OrderLine.sku_id).outerjoin(Store, Store.id == Order.store_id)


_AFTER_SALE_ORDER = aliased(Order, name="after_sale_order")
"""The after-sale's order under its own name: the list's conditions are EXISTS over `orders`
correlated to the after-sale only, which a joined `orders` would capture."""


def _after_sales(stmt: Select[Any]) -> Select[Any]:
    o = _AFTER_SALE_ORDER
    stmt = stmt.select_from(AfterSale).join(o, o.id == AfterSale.order_id)
    return stmt.outerjoin(Store, Store.id == o.store_id)


def _customers(stmt: Select[Any]) -> Select[Any]:
    return stmt.select_from(Customer)


def _visits(stmt: Select[Any]) -> Select[Any]:
    stmt = stmt.select_from(VisitEvent).outerjoin(Store, Store.id == VisitEvent.store_id)
    return stmt.outerjoin(Product, Product.id == VisitEvent.product_id)


ORDERS = Listing(
    Order.id,
    _orders,
    {
        O.ORDER_NO: Column(Order.order_no),
        O.STATUS: Column.text(Order.status),
        O.TYPE: Column.text(Order.type),
        O.FULFILLMENT: Column.text(Order.fulfillment),
        O.CHANNEL: Column.text(Order.channel),
        O.PAYMENT_METHOD: Column.text(Order.payment_method),
        O.STORE_CODE: Column(Store.code),
        O.CONSIGNEE_NAME: Column(Order.consignee_name),
        O.CONSIGNEE_PHONE: Column.phone(Order.consignee_phone),
        O.CONSIGNEE_PROVINCE: Column(Order.consignee_province),
        O.CONSIGNEE_CITY: Column(Order.consignee_city),
        O.CONSIGNEE_DISTRICT: Column(Order.consignee_district),
        O.CONSIGNEE_ADDRESS: Column.address(Order.consignee_address),
        O.GOODS_AMOUNT: Column.money(Order.goods_amount),
        O.DISCOUNT_AMOUNT: Column.money(Order.discount_amount),
        O.DELIVERY_FEE: Column.money(Order.delivery_fee),
        O.PACKAGING_FEE: Column.money(Order.packaging_fee),
        O.PAYABLE_AMOUNT: Column.money(Order.payable_amount),
        O.PAID_AMOUNT: Column.money(Order.paid_amount),
        O.REFUNDED_AMOUNT: Column.money(Order.refunded_amount),
        O.CREATED_AT: Column.time(Order.created_at),
        O.PAID_AT: Column.time(Order.paid_at),
        O.BUYER_REMARK: Column(Order.buyer_remark),
    },
    store=Order.store_id,
)

ORDER_LINES = Listing(
    OrderLine.id,
    _order_lines,
    {
        L.ORDER_NO: Column(Order.order_no),
        L.ORDER_STATUS: Column.text(Order.status),
        L.STORE_CODE: Column(Store.code),
        L.ORDER_CREATED_AT: Column.time(Order.created_at),
        L.ORDER_PAID_AT: Column.time(Order.paid_at),
        L.PRODUCT_NAME: Column(OrderLine.product_name),
        L.SPEC: Column(OrderLine.spec),
        L.SKU_CODE: Column(Sku.sku_code),
        L.IS_GIFT: Column(OrderLine.is_gift, bool_cells),
        L.UNIT_PRICE: Column.money(OrderLine.unit_price),
        L.QUANTITY: Column.number(OrderLine.quantity),
        L.DISCOUNT_SHARE: Column.money(OrderLine.discount_share),
        L.PAID_AMOUNT: Column.money(OrderLine.paid_amount),
        L.SHIPPED_QUANTITY: Column.number(OrderLine.shipped_quantity),
        L.REFUNDED_QUANTITY: Column.number(OrderLine.refunded_quantity),
        L.REFUNDED_AMOUNT: Column.money(OrderLine.refunded_amount),
    },
    store=Order.store_id,
)

AFTER_SALES = Listing(
    AfterSale.id,
    _after_sales,
    {
        A.AFTER_SALE_NO: Column(AfterSale.after_sale_no),
        A.ORDER_NO: Column(_AFTER_SALE_ORDER.order_no),
        A.STORE_CODE: Column(Store.code),
        A.TYPE: Column.text(AfterSale.type),
        A.INITIATOR: Column.text(AfterSale.initiator),
        A.STATUS: Column.text(AfterSale.status),
        A.REASON: Column(AfterSale.reason),
        A.REFUND_AMOUNT: Column.money(AfterSale.refund_amount),
        A.REJECT_REASON: Column(AfterSale.reject_reason),
        A.RETURN_CARRIER: Column(AfterSale.return_carrier),
        A.RETURN_TRACKING_NO: Column(AfterSale.return_tracking_no),
        A.CONSIGNEE_PHONE: Column.phone(_AFTER_SALE_ORDER.consignee_phone),
        A.CREATED_AT: Column.time(AfterSale.created_at),
        A.REVIEWED_AT: Column.time(AfterSale.reviewed_at),
        A.RETURN_SHIPPED_AT: Column.time(AfterSale.return_shipped_at),
        A.REFUNDED_AT: Column.time(AfterSale.refunded_at),
        A.CLOSED_AT: Column.time(AfterSale.closed_at),
    },
    store=_AFTER_SALE_ORDER.store_id,  # the consignee phone is masked by the order's store, as in GraphQL
)

VISITS = Listing(
    VisitEvent.id,
    _visits,
    {
        V.EVENT_ID: Column(VisitEvent.event_id),
        V.OCCURRED_AT: Column.time(VisitEvent.occurred_at),
        V.RECEIVED_AT: Column.time(VisitEvent.received_at),
        V.VISITOR_ID: Column(VisitEvent.visitor_id),
        V.SESSION_ID: Column(VisitEvent.session_id),
        V.PAGE_TYPE: Column.text(VisitEvent.page_type),
        V.SOURCE: Column.text(VisitEvent.source),
        V.STORE_CODE: Column(Store.code),
        V.PRODUCT_NAME: Column(Product.name),
        V.DWELL_MS: Column.number(VisitEvent.dwell_ms),
    },
    store=VisitEvent.store_id,
)


def customers(now: datetime, zone: tzinfo) -> Listing:
    """Customers; phones masked by `sees_full_pii` without a store (the scope already limits staff
    to their stores' customers), the lifecycle segment as of `now`."""

    def segments(values: Sequence[datetime | None], _zone: tzinfo) -> list[str | None]:
        return [segment_of(v, now, zone).value for v in values]

    return Listing(
        Customer.id,
        _customers,
        {
            C.NICKNAME: Column(Customer.nickname),
            C.PHONE: Column.phone(Customer.phone),
            C.MEMBER_LEVEL: Column.text(Customer.member_level),
            C.POINTS: Column.number(Customer.points),
            C.IS_NEW: Column(Customer.first_paid_at.is_(None), bool_cells),
            C.LIFECYCLE_SEGMENT: Column(Customer.last_order_at, segments),
            C.REGISTERED_AT: Column.time(Customer.registered_at),
            C.FIRST_PAID_AT: Column.time(Customer.first_paid_at),
            C.LAST_ORDER_AT: Column.time(Customer.last_order_at),
        },
    )


STATIC: Final[dict[ExportList, Listing]] = {
    ExportList.ORDERS: ORDERS,
    ExportList.ORDER_LINES: ORDER_LINES,
    ExportList.AFTER_SALES: AFTER_SALES,
    ExportList.VISITS: VISITS,
}


def listing(kind: ExportList, now: datetime, zone: tzinfo) -> Listing:
    """The list of `kind`; `now` is the export's start (the moment relative columns are as of)."""
    return customers(now, zone) if kind is ExportList.CUSTOMERS else STATIC[kind]
