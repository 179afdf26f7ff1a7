"""Root fields for stores: the public list and lookup, and HQ's / staff's store administration."""

from __future__ import annotations

from typing import Any

import strawberry

from gql.admin_mutations import given, run_admin
from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.schema.common import Connection, UserError
from gql.schema.store_admin import CreateStoreInput, StorePayload, UpdateStoreInput
from gql.schema.stores import Store, StoreFilter
from models.errors import DomainError, ErrorCode
from models.stores.rows import Store as StoreRow
from models.stores.rules import FIELD_PATHS
from services.commands import Result, Work
from services.pagination import PageRequest
from services.stores import admin as store_admin
from services.stores import reads as store_service


@strawberry.type
class StoreQueries:
    @strawberry.field(permission_classes=[Allowed], description="Stores ordered by code.")
    async def stores(
        self,
        info: Info,
        filter: StoreFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Store]:
        f = filter or StoreFilter()
        criteria = store_service.StoreCriteria(
            statuses=tuple(f.status or ()),
            province=f.province,
            city=f.city,
            search=f.search,
            district=f.district,
            fulfillments=tuple(f.fulfillment or ()),
        )
        page = await store_service.list_stores(
            info.context.sessions, criteria, PageRequest(first, after, last, before)
        )
        return Connection[Store].of(page, Store.from_row)

    @strawberry.field(permission_classes=[Allowed], description="A store by global id or by code.")
    async def store(
        self, info: Info, id: strawberry.ID | None = None, code: str | None = None
    ) -> Store | None:
        if id is not None:
            row = await info.context.loaders.store.load(decode_id(id, "Store"))
        elif code is not None:
            row = await store_service.store_by_code(info.context.sessions, code)
        else:
            return None
        return Store.from_row(row) if row else None


_SETTINGS = {
    "code": "code",
    "name": "name",
    "region": "region",
    "address": "address",
    "latitude": "latitude",
    "longitude": "longitude",
    "phone": "phone",
    "status": "status",
    "size": "size",
    "business_hours": "business_hours",
    "delivery_radius_meters": "delivery_radius_m",
    "min_order_amount_cents": "min_order_amount",
    "delivery_fee_cents": "delivery_fee",
    "delivery_fee_slots": "delivery_fee_slots",
    "packaging_fee_cents": "packaging_fee",
    "fulfillment_methods": "fulfillment_methods",
    "auto_accept": "auto_accept",
    "delivery_minutes": "delivery_minutes",
    "takes_pre_orders": "takes_pre_orders",
    "pre_order_days": "pre_order_days",
    "instant_refund": "instant_refund",
}


def _settings(input_: CreateStoreInput | UpdateStoreInput) -> dict[str, Any]:
    """The store attributes the input sets; only `phone` may be set to null."""
    raw = given(input_, _SETTINGS)
    settings: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None and name != "phone":
            raise DomainError(ErrorCode.BAD_USER_INPUT, f"{FIELD_PATHS.get(name, name)} cannot be null", name)
        if name == "region":
            settings.update(province=value.province, city=value.city, district=value.district)
        elif name == "business_hours":
            settings[name] = [{"weekday": h.weekday, "open": h.open, "close": h.close} for h in value]
        elif name == "delivery_fee_slots":
            settings[name] = [{"start": s.start, "end": s.end, "fee": s.fee_cents} for s in value]
        else:
            settings[name] = value
    return settings


async def _store_payload(info: Info, result: Result | None, errors: list[UserError]) -> StorePayload:
    if result is None:
        return StorePayload(store=None, user_errors=errors)
    async with info.context.sessions() as session:
        row = await session.get(StoreRow, int(result["storeId"]))
    return StorePayload(store=Store.from_row(row) if row else None, user_errors=[])


@strawberry.type
class StoreMutations:
    @strawberry.mutation(permission_classes=[Allowed], description="HQ opens a store (新增门店).")
    async def create_store(self, info: Info, input: CreateStoreInput) -> StorePayload:
        async def use_case(work: Work) -> Result:
            return await store_admin.create_store(work, _settings(input))

        return await _store_payload(info, *await run_admin(info, "createStore", input, use_case))

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Change store settings (HQ: all; store staff: their stores' day-to-day settings).",
    )
    async def update_store(self, info: Info, input: UpdateStoreInput) -> StorePayload:
        async def use_case(work: Work) -> Result:
            store_id = decode_id(input.store_id, "Store", "storeId")
            return await store_admin.update_store(work, store_id, _settings(input))

        return await _store_payload(info, *await run_admin(info, "updateStore", input, use_case))
