"""The receiver of an order's goods, with the PII policy of SPEC §1 applied field by field.

Full values for HQ, the owning store's staff and the buyer (`models.pii.sees_full_pii`); for
everyone else the phone is masked, the address cut and the coordinates withheld.
"""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.schema.customers import visible_phone
from gql.schema.stores import Region
from models.orders import rows
from models.pii import mask_address, sees_full_pii


@strawberry.type(
    description="Receiver of the goods. Phone, address and coordinates are masked for analysts "
    "(138****1234, the street's first characters, no coordinates)."
)
class Consignee:
    name: str
    region: Region
    _address: strawberry.Private[str | None]
    _latitude: strawberry.Private[float | None]
    _longitude: strawberry.Private[float | None]
    _phone: strawberry.Private[str]
    _store_id: strawberry.Private[int | None]

    def _full(self, info: Info) -> bool:
        return sees_full_pii(info.context.principal, self._store_id)

    @strawberry.field
    def phone(self, info: Info) -> str:
        phone = visible_phone(info, self._phone, self._store_id)
        assert phone is not None
        return phone

    @strawberry.field
    def address(self, info: Info) -> str | None:
        if self._address is None or self._full(info):
            return self._address
        return mask_address(self._address)

    @strawberry.field
    def latitude(self, info: Info) -> float | None:
        return self._latitude if self._full(info) else None

    @strawberry.field
    def longitude(self, info: Info) -> float | None:
        return self._longitude if self._full(info) else None

    @classmethod
    def of(cls, row: rows.Order) -> Consignee:
        """The consignee of an order row; reads exactly `CONSIGNEE_READS`."""
        return cls(
            name=row.consignee_name,
            region=Region(
                province=row.consignee_province, city=row.consignee_city, district=row.consignee_district
            ),
            _address=row.consignee_address,
            _latitude=row.consignee_latitude,
            _longitude=row.consignee_longitude,
            _phone=row.consignee_phone,
            _store_id=row.store_id,
        )


CONSIGNEE_READS = (
    "consignee_name",
    "consignee_province",
    "consignee_city",
    "consignee_district",
    "consignee_address",
    "consignee_latitude",
    "consignee_longitude",
    "consignee_phone",
    "store_id",
)
"""The order row attributes `Consignee.of` reads."""
