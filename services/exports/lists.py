"""The exportable lists: for each, its rows' tables, its columns, and its scope AND filter.

The condition of every list is the one its GraphQL list runs (`order_condition` for orders and
their lines), so an export holds exactly what paging the list shows.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any, Final

from sqlalchemy import ColumnElement, Select

from models.catalog import Sku
from models.exports import ExportList
from models.exports import OrderExportColumn as O
from models.exports import OrderLineExportColumn as L
from models.orders import Order, OrderLine
from models.principals import Principal
from models.stores import Store
from services.exports.rows import Column, Listing, bool_cells
from services.order_search import OrderCriteria, order_condition

ExportCriteria = OrderCriteria

CRITERIA_TYPES: Final[dict[ExportList, type[Any]]] = {
    ExportList.ORDERS: OrderCriteria,
    ExportList.ORDER_LINES: OrderCriteria,
}


def condition(
    kind: ExportList, principal: Principal, criteria: ExportCriteria, now: datetime, zone: tzinfo
) -> ColumnElement[bool]:
    """The caller's scope AND the filter, as the list compiles it; raises what the list raises
    (DomainError: an analyst's phone search, say). `now` places relative windows (segments)."""
    if not isinstance(criteria, CRITERIA_TYPES[kind]):
        raise TypeError(f"{type(criteria).__name__} is not a filter of {kind.value}")
    return order_condition(principal, criteria)


def _orders(stmt: Select[Any]) -> Select[Any]:
    return stmt.select_from(Order).outerjoin(Store, Store.id == Order.store_id)


def _order_lines(stmt: Select[Any]) -> Select[Any]:
    stmt = stmt.select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
    return stmt.join(Sku, Sku.id == OrderLine.sku_id).outerjoin(Store, Store.id == Order.store_id)


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

STATIC: Final[dict[ExportList, Listing]] = {
    ExportList.ORDERS: ORDERS,
    ExportList.ORDER_LINES: ORDER_LINES,
}


def listing(kind: ExportList, now: datetime, zone: tzinfo) -> Listing:
    """The list of `kind`; `now` is the export's start (the moment relative columns are as of)."""
    return STATIC[kind]
