"""GraphQL type of store delivery (O2O): the rider of an order (inputs: gql/schema/delivery_inputs.py)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.context import Info
from models.deliveries.rows import Delivery as DeliveryRow
from models.deliveries.stages import RiderSource
from models.pii import mask_name, mask_phone, sees_full_pii


@strawberry.type(
    description="Who carries a store-delivery order: the store's own rider (自配) or a courier platform's. "
    "The rider's name and phone are masked (张**, 138****1234) for viewers outside the order's store."
)
class Delivery:
    source: RiderSource
    platform: str | None = strawberry.field(description="The courier platform; null for 自配.")
    dispatch_id: str | None = strawberry.field(
        description="The platform request's id (its callbacks name it); null for 自配 or once called off."
    )
    requested_at: datetime = strawberry.field(description="When the store asked for this rider.")
    position_at: datetime | None = strawberry.field(description="When the rider last reported a position.")
    _rider_name: strawberry.Private[str | None]
    _rider_phone: strawberry.Private[str | None]
    _latitude: strawberry.Private[float | None]
    _longitude: strawberry.Private[float | None]
    _store_id: strawberry.Private[int | None]

    def _full(self, info: Info) -> bool:
        return sees_full_pii(info.context.principal, self._store_id)

    @strawberry.field(description="Null until a rider is known.")
    def rider_name(self, info: Info) -> str | None:
        if self._rider_name is None or self._full(info):
            return self._rider_name
        return mask_name(self._rider_name)

    @strawberry.field(description="Null until a rider is known.")
    def rider_phone(self, info: Info) -> str | None:
        if self._rider_phone is None or self._full(info):
            return self._rider_phone
        return mask_phone(self._rider_phone)

    @strawberry.field(description="The rider's last reported position (withheld where PII is masked).")
    def latitude(self, info: Info) -> float | None:
        return self._latitude if self._full(info) else None

    @strawberry.field
    def longitude(self, info: Info) -> float | None:
        return self._longitude if self._full(info) else None

    @classmethod
    def of(cls, row: DeliveryRow, store_id: int | None) -> Delivery:
        return cls(
            source=row.source,
            platform=row.platform,
            dispatch_id=row.external_id,
            requested_at=row.requested_at,
            position_at=row.position_at,
            _rider_name=row.rider_name,
            _rider_phone=row.rider_phone,
            _latitude=row.latitude,
            _longitude=row.longitude,
            _store_id=store_id,
        )
