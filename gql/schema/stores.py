"""GraphQL types of stores (门店)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from gql.schema.common import Money, money
from models.enums import Fulfillment, StoreSize, StoreStatus
from models.stores import Store as StoreRow


@strawberry.type(description="Province / city / district of a store or address.")
class Region:
    province: str | None
    city: str | None
    district: str | None


@strawberry.type(description="One opening range on one weekday, in the business time zone.")
class BusinessHoursRange:
    weekday: int = strawberry.field(description="1 = Monday … 7 = Sunday.")
    open: str = strawberry.field(description='"HH:MM"')
    close: str = strawberry.field(description='"HH:MM"')


@strawberry.type(description="A store (门店). EXPRESS orders of the HQ warehouse (总部) have no store.")
class Store(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str
    region: Region
    address: str
    latitude: float
    longitude: float
    phone: str | None
    status: StoreStatus
    size: StoreSize
    business_hours: list[BusinessHoursRange]
    delivery_radius_meters: int
    min_order_amount: Money
    delivery_fee: Money
    packaging_fee: Money
    fulfillment_methods: list[Fulfillment]
    auto_accept: bool = strawberry.field(description="Orders are accepted automatically on payment.")
    created_at: datetime

    @classmethod
    def from_row(cls, row: StoreRow) -> Store:
        methods = [
            m
            for m, on in (
                (Fulfillment.SELF_PICKUP, row.supports_self_pickup),
                (Fulfillment.STORE_DELIVERY, row.supports_store_delivery),
                (Fulfillment.EXPRESS, row.supports_express),
            )
            if on
        ]
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            region=Region(province=row.province, city=row.city, district=row.district),
            address=row.address,
            latitude=row.latitude,
            longitude=row.longitude,
            phone=row.phone,
            status=row.status,
            size=row.size,
            business_hours=[_hours(h) for h in row.business_hours],
            delivery_radius_meters=row.delivery_radius_m,
            min_order_amount=money(row.min_order_amount),
            delivery_fee=money(row.delivery_fee),
            packaging_fee=money(row.packaging_fee),
            fulfillment_methods=methods,
            auto_accept=row.auto_accept,
            created_at=row.created_at,
        )


def _hours(raw: dict[str, Any]) -> BusinessHoursRange:
    return BusinessHoursRange(weekday=int(raw["weekday"]), open=str(raw["open"]), close=str(raw["close"]))


@strawberry.input(description="Narrow the store list; all given conditions must hold.")
class StoreFilter:
    status: list[StoreStatus] | None = None
    province: str | None = None
    city: str | None = None
    search: str | None = strawberry.field(default=None, description="Code prefix or name contains.")
