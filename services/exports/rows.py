"""The rows of an export: exactly the rows the caller's list shows, masked as GraphQL masks them.

The WHERE is `services/order_search.order_condition` (the caller's scope AND filter AND query),
the one compiler the admin list uses. Rows are read in keyset pages in id order (`BATCH` at a
time, a short read each), so memory stays flat however many rows match and no statement or
transaction lives for the whole export. Cells are strings (or None): money from
`models.exports.cell_money`, times from `cell_time`, phones and addresses through `models.pii`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, func, select

from models.catalog import Sku
from models.exports import ExportList, cell_money, cell_time
from models.exports import OrderExportColumn as O
from models.exports import OrderLineExportColumn as L
from models.orders import Order, OrderLine
from models.pii import mask_address, mask_phone, sees_full_pii
from models.principals import Principal
from models.stores import Store
from services.db import SessionFactory
from services.order_search import OrderCriteria, order_condition

BATCH: Final = 5_000

Cell = str | None
Row = Sequence[Any]


@dataclass(frozen=True, slots=True)
class Column:
    """How one export column is read: the SQL expression and the cell made of its value."""

    expression: ColumnElement[Any] | Any
    cell: Callable[[Any, Row, Principal, tzinfo], Cell]


def _text(value: Any, _row: Row, _p: Principal, _z: tzinfo) -> Cell:
    return None if value is None else str(value)


def _money(value: Any, _row: Row, _p: Principal, _z: tzinfo) -> Cell:
    return cell_money(value)


def _time(value: Any, _row: Row, _p: Principal, zone: tzinfo) -> Cell:
    return cell_time(value, zone)


def _bool(value: Any, _row: Row, _p: Principal, _z: tzinfo) -> Cell:
    return "true" if value else "false"


def _phone(value: Any, row: Row, principal: Principal, _z: tzinfo) -> Cell:
    if value is None:
        return None
    return value if sees_full_pii(principal, row[_STORE_ID]) else mask_phone(value)


def _address(value: Any, row: Row, principal: Principal, _z: tzinfo) -> Cell:
    if value is None or sees_full_pii(principal, row[_STORE_ID]):
        return value  # type: ignore[no-any-return]
    return mask_address(value)


_ID, _STORE_ID = 0, 1
"""Every row starts with the keyset id and the order's store (which decides masking)."""

ORDER_COLUMNS: Final[dict[str, Column]] = {
    O.ORDER_NO: Column(Order.order_no, _text),
    O.STATUS: Column(Order.status, _text),
    O.TYPE: Column(Order.type, _text),
    O.FULFILLMENT: Column(Order.fulfillment, _text),
    O.CHANNEL: Column(Order.channel, _text),
    O.PAYMENT_METHOD: Column(Order.payment_method, _text),
    O.STORE_CODE: Column(Store.code, _text),
    O.CONSIGNEE_NAME: Column(Order.consignee_name, _text),
    O.CONSIGNEE_PHONE: Column(Order.consignee_phone, _phone),
    O.CONSIGNEE_PROVINCE: Column(Order.consignee_province, _text),
    O.CONSIGNEE_CITY: Column(Order.consignee_city, _text),
    O.CONSIGNEE_DISTRICT: Column(Order.consignee_district, _text),
    O.CONSIGNEE_ADDRESS: Column(Order.consignee_address, _address),
    O.GOODS_AMOUNT: Column(Order.goods_amount, _money),
    O.DISCOUNT_AMOUNT: Column(Order.discount_amount, _money),
    O.DELIVERY_FEE: Column(Order.delivery_fee, _money),
    O.PACKAGING_FEE: Column(Order.packaging_fee, _money),
    O.PAYABLE_AMOUNT: Column(Order.payable_amount, _money),
    O.PAID_AMOUNT: Column(Order.paid_amount, _money),
    O.REFUNDED_AMOUNT: Column(Order.refunded_amount, _money),
    O.CREATED_AT: Column(Order.created_at, _time),
    O.PAID_AT: Column(Order.paid_at, _time),
    O.BUYER_REMARK: Column(Order.buyer_remark, _text),
}

LINE_COLUMNS: Final[dict[str, Column]] = {
    L.ORDER_NO: Column(Order.order_no, _text),
    L.ORDER_STATUS: Column(Order.status, _text),
    L.STORE_CODE: Column(Store.code, _text),
    L.ORDER_CREATED_AT: Column(Order.created_at, _time),
    L.ORDER_PAID_AT: Column(Order.paid_at, _time),
    L.PRODUCT_NAME: Column(OrderLine.product_name, _text),
    L.SPEC: Column(OrderLine.spec, _text),
    L.SKU_CODE: Column(Sku.sku_code, _text),
    L.IS_GIFT: Column(OrderLine.is_gift, _bool),
    L.UNIT_PRICE: Column(OrderLine.unit_price, _money),
    L.QUANTITY: Column(OrderLine.quantity, _text),
    L.DISCOUNT_SHARE: Column(OrderLine.discount_share, _money),
    L.PAID_AMOUNT: Column(OrderLine.paid_amount, _money),
    L.SHIPPED_QUANTITY: Column(OrderLine.shipped_quantity, _text),
    L.REFUNDED_QUANTITY: Column(OrderLine.refunded_quantity, _text),
    L.REFUNDED_AMOUNT: Column(OrderLine.refunded_amount, _money),
}


@dataclass(frozen=True, slots=True)
class ExportQuery:
    """What one export reads: its rows' statement (without keyset bounds) and its columns."""

    kind: ExportList
    principal: Principal
    criteria: OrderCriteria
    columns: Sequence[str]

    def _spec(self) -> tuple[Any, dict[str, Column]]:
        if self.kind is ExportList.ORDERS:
            return Order.id, ORDER_COLUMNS
        return OrderLine.id, LINE_COLUMNS

    def statement(self) -> Select[Any]:
        key, table = self._spec()
        stmt = select(key, Order.store_id, *(table[c].expression for c in self.columns))
        if self.kind is ExportList.ORDER_LINES:
            stmt = stmt.select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
            stmt = stmt.join(Sku, Sku.id == OrderLine.sku_id)
        else:
            stmt = stmt.select_from(Order)
        stmt = stmt.outerjoin(Store, Store.id == Order.store_id)
        return stmt.where(order_condition(self.principal, self.criteria))

    def count(self) -> Select[Any]:
        key, _ = self._spec()
        base = select(key).select_from(Order if self.kind is ExportList.ORDERS else OrderLine)
        if self.kind is ExportList.ORDER_LINES:
            base = base.join(Order, Order.id == OrderLine.order_id)
        return select(func.count()).select_from(
            base.where(order_condition(self.principal, self.criteria)).subquery()
        )

    def cells(self, zone: tzinfo) -> Callable[[Row], list[Cell]]:
        _, table = self._spec()
        makers = [(i + 2, table[c].cell) for i, c in enumerate(self.columns)]
        principal = self.principal

        def row_cells(row: Row) -> list[Cell]:
            return [cell(row[i], row, principal, zone) for i, cell in makers]

        return row_cells


async def stream_rows(sessions: SessionFactory, query: ExportQuery) -> AsyncIterator[Sequence[Row]]:
    """The matching rows in id order, a batch at a time (each batch one short read)."""
    key, _ = query._spec()
    base = query.statement().order_by(key).limit(BATCH)
    last: int | None = None
    while True:
        stmt = base if last is None else base.where(key > last)
        async with sessions() as session:
            rows = (await session.execute(stmt)).all()
        if not rows:
            return
        yield rows
        if len(rows) < BATCH:
            return
        last = rows[-1][_ID]


async def count_rows(sessions: SessionFactory, query: ExportQuery) -> int:
    async with sessions() as session:
        return int(await session.scalar(query.count()) or 0)
