"""Per-request DataLoaders: one per (entity, key), created lazily on first use.

A `Loaders` object lives exactly as long as one GraphQL request, so its caches never leak
data across principals; loaders that return scoped entities (orders, customers) apply the
request principal's visibility in SQL.
"""

from __future__ import annotations

from functools import cached_property

from aiodataloader import DataLoader

from loaders.base import many_per_key, one_per_key
from models.after_sales import AfterSale, AfterSaleEvent, AfterSaleLine
from models.catalog import Category, Product, Sku
from models.customers import Customer
from models.orders import AllocationRecord, Order, OrderEvent, OrderLine, Parcel, ParcelLine, ParcelTrace
from models.principals import Principal
from models.stores import Store
from services.db import SessionFactory
from services.scoping import after_sale_visibility, customer_visibility, order_visibility


class Loaders:
    def __init__(self, sessions: SessionFactory, principal: Principal) -> None:
        self._sessions = sessions
        self._principal = principal

    # Public catalogue and stores: visible to everyone who may browse.
    @cached_property
    def store(self) -> DataLoader[int, Store | None]:
        return one_per_key(self._sessions, Store, Store.id)

    @cached_property
    def category(self) -> DataLoader[int, Category | None]:
        return one_per_key(self._sessions, Category, Category.id)

    @cached_property
    def categories_by_parent(self) -> DataLoader[int, list[Category]]:
        return many_per_key(self._sessions, Category, Category.parent_id, Category.sort_order, Category.id)

    @cached_property
    def product(self) -> DataLoader[int, Product | None]:
        return one_per_key(self._sessions, Product, Product.id)

    @cached_property
    def sku(self) -> DataLoader[int, Sku | None]:
        return one_per_key(self._sessions, Sku, Sku.id)

    @cached_property
    def skus_by_product(self) -> DataLoader[int, list[Sku]]:
        return many_per_key(self._sessions, Sku, Sku.product_id, Sku.id)

    # Scoped roots: reached by id (node lookups), so the principal's visibility applies.
    @cached_property
    def visible_order(self) -> DataLoader[int, Order | None]:
        return one_per_key(self._sessions, Order, Order.id, order_visibility(self._principal))

    @cached_property
    def visible_customer(self) -> DataLoader[int, Customer | None]:
        return one_per_key(self._sessions, Customer, Customer.id, customer_visibility(self._principal))

    # Relations below an already-visible order: the parent was scoped, so these are not.
    @cached_property
    def customer(self) -> DataLoader[int, Customer | None]:
        return one_per_key(self._sessions, Customer, Customer.id)

    @cached_property
    def lines_by_order(self) -> DataLoader[int, list[OrderLine]]:
        return many_per_key(self._sessions, OrderLine, OrderLine.order_id, OrderLine.id)

    @cached_property
    def line(self) -> DataLoader[int, OrderLine | None]:
        return one_per_key(self._sessions, OrderLine, OrderLine.id)

    @cached_property
    def parcels_by_order(self) -> DataLoader[int, list[Parcel]]:
        return many_per_key(self._sessions, Parcel, Parcel.order_id, Parcel.shipped_at, Parcel.id)

    @cached_property
    def parcel(self) -> DataLoader[int, Parcel | None]:
        return one_per_key(self._sessions, Parcel, Parcel.id)

    @cached_property
    def parcel_lines_by_parcel(self) -> DataLoader[int, list[ParcelLine]]:
        return many_per_key(self._sessions, ParcelLine, ParcelLine.parcel_id, ParcelLine.order_line_id)

    @cached_property
    def traces_by_parcel(self) -> DataLoader[int, list[ParcelTrace]]:
        return many_per_key(
            self._sessions, ParcelTrace, ParcelTrace.parcel_id, ParcelTrace.occurred_at, ParcelTrace.id
        )

    @cached_property
    def events_by_order(self) -> DataLoader[int, list[OrderEvent]]:
        return many_per_key(self._sessions, OrderEvent, OrderEvent.order_id, OrderEvent.id)

    @cached_property
    def allocations_by_order(self) -> DataLoader[int, list[AllocationRecord]]:
        return many_per_key(self._sessions, AllocationRecord, AllocationRecord.order_id, AllocationRecord.id)

    @cached_property
    def visible_after_sale(self) -> DataLoader[int, AfterSale | None]:
        return one_per_key(self._sessions, AfterSale, AfterSale.id, after_sale_visibility(self._principal))

    @cached_property
    def after_sales_by_order(self) -> DataLoader[int, list[AfterSale]]:
        return many_per_key(self._sessions, AfterSale, AfterSale.order_id, AfterSale.id)

    @cached_property
    def after_sale_lines(self) -> DataLoader[int, list[AfterSaleLine]]:
        return many_per_key(
            self._sessions, AfterSaleLine, AfterSaleLine.after_sale_id, AfterSaleLine.order_line_id
        )

    @cached_property
    def after_sale_lines_by_line(self) -> DataLoader[int, list[AfterSaleLine]]:
        return many_per_key(
            self._sessions, AfterSaleLine, AfterSaleLine.order_line_id, AfterSaleLine.after_sale_id
        )

    @cached_property
    def after_sale_events(self) -> DataLoader[int, list[AfterSaleEvent]]:
        return many_per_key(self._sessions, AfterSaleEvent, AfterSaleEvent.after_sale_id, AfterSaleEvent.id)
