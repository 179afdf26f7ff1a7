"""Store settings (门店设置): what a valid store looks like and who may change which setting. Pure.

The seed: "部分门店信息商家不可设置,但是可查询。商家不可设置配送基础运费" — some settings are HQ's
alone. Store staff run the day-to-day of their own stores (pause and reopen, hours, auto-accept,
phone, 起送价, pre-orders, 极速退款); where a store is, what it is called, how far it delivers and
what it charges are HQ's. Closing a store for good (CLOSED) is HQ's decision too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from models.enums import Fulfillment, StoreStatus
from models.errors import DomainError, ErrorCode
from models.geo import check_coordinates
from models.pre_orders import check_max_days
from models.stores.hours import fee_slots_json, hours_json, parse_business_hours, parse_fee_slots

CODE: Final = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
MAX_RADIUS_M: Final = 50_000
MAX_STORE_FEE_CENTS: Final = 1_000_000

FIELD_PATHS: Final[Mapping[str, str]] = {
    "code": "code",
    "name": "name",
    "province": "region.province",
    "city": "region.city",
    "district": "region.district",
    "address": "address",
    "latitude": "latitude",
    "longitude": "longitude",
    "phone": "phone",
    "status": "status",
    "size": "size",
    "business_hours": "businessHours",
    "delivery_radius_m": "deliveryRadiusMeters",
    "min_order_amount": "minOrderAmountCents",
    "delivery_fee": "deliveryFeeCents",
    "delivery_fee_slots": "deliveryFeeSlots",
    "packaging_fee": "packagingFeeCents",
    "fulfillment_methods": "fulfillmentMethods",
    "auto_accept": "autoAccept",
    "delivery_minutes": "deliveryMinutes",
    "takes_pre_orders": "takesPreOrders",
    "pre_order_days": "preOrderDays",
    "instant_refund": "instantRefund",
}
"""Store attribute (or pseudo-attribute) → the input path an error names."""

MAX_DELIVERY_MINUTES: Final = 1440
STAFF_EDITABLE: Final = frozenset(
    {
        "status",
        "business_hours",
        "auto_accept",
        "phone",
        "min_order_amount",
        "takes_pre_orders",
        "pre_order_days",
        "instant_refund",
    }
)
REQUIRED_ON_CREATE: Final = frozenset(
    {"code", "name", "province", "city", "district", "address", "latitude", "longitude", "business_hours"}
)
_TEXT_LIMITS: Final = {"name": 100, "province": 32, "city": 32, "district": 32, "address": 200, "phone": 32}
_FEES: Final = ("min_order_amount", "delivery_fee", "packaging_fee")
_SUPPORTS: Final = {
    Fulfillment.SELF_PICKUP: "supports_self_pickup",
    Fulfillment.STORE_DELIVERY: "supports_store_delivery",
    Fulfillment.EXPRESS: "supports_express",
}


def check_staff_may_change(fields: Iterable[str], changes: Mapping[str, Any]) -> None:
    """Store staff may change only STAFF_EDITABLE settings, and may not close a store."""
    for name in sorted(fields):
        if name not in STAFF_EDITABLE:
            raise DomainError(
                ErrorCode.FORBIDDEN, f"only HQ may change {FIELD_PATHS[name]}", FIELD_PATHS[name]
            )
    if changes.get("status") is StoreStatus.CLOSED:
        raise DomainError(ErrorCode.FORBIDDEN, "only HQ may close a store (staff may pause it)", "status")


def _text(name: str, value: Any) -> str | None:
    if value is None and name == "phone":
        return None
    text = str(value).strip()
    if (not text and name != "phone") or len(text) > _TEXT_LIMITS[name]:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, f"1 to {_TEXT_LIMITS[name]} characters", FIELD_PATHS[name]
        )
    return text or None


def normalize_store_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validated column values for the given settings (unknown keys are a programming error).

    `fulfillment_methods` becomes the three `supports_*` flags; hours and fee slots are
    normalised (sorted, zero-padded) JSON.
    """
    out: dict[str, Any] = {}
    for name, value in changes.items():
        path = FIELD_PATHS[name]
        if name == "code":
            if not isinstance(value, str) or not CODE.match(value):
                raise DomainError(
                    ErrorCode.BAD_USER_INPUT, "a store code is 2-32 of A-Z, 0-9, '-' and '_'", path
                )
            out[name] = value
        elif name in _TEXT_LIMITS:
            out[name] = _text(name, value)
        elif name == "latitude":
            check_coordinates(float(value), 0.0, path)
            out[name] = float(value)
        elif name == "longitude":
            check_coordinates(0.0, float(value), path)
            out[name] = float(value)
        elif name == "business_hours":
            out[name] = hours_json(parse_business_hours(value, path))
        elif name == "delivery_fee_slots":
            out[name] = fee_slots_json(parse_fee_slots(value, path))
        elif name == "delivery_radius_m":
            if not 0 <= value <= MAX_RADIUS_M:
                raise DomainError(ErrorCode.BAD_USER_INPUT, f"0 to {MAX_RADIUS_M} metres", path)
            out[name] = value
        elif name in _FEES:
            if not 0 <= value <= MAX_STORE_FEE_CENTS:
                raise DomainError(ErrorCode.INVALID_PRICE, f"0 to {MAX_STORE_FEE_CENTS} cents", path)
            out[name] = value
        elif name == "fulfillment_methods":
            methods = set(value)
            if not methods:
                raise DomainError(ErrorCode.BAD_USER_INPUT, "a store offers at least one fulfilment", path)
            out.update({column: method in methods for method, column in _SUPPORTS.items()})
        elif name == "delivery_minutes":
            if not 1 <= value <= MAX_DELIVERY_MINUTES:
                raise DomainError(ErrorCode.BAD_USER_INPUT, f"1 to {MAX_DELIVERY_MINUTES} minutes", path)
            out[name] = value
        elif name == "pre_order_days":
            out[name] = check_max_days(value, path)
        elif name in ("status", "size", "auto_accept", "takes_pre_orders", "instant_refund"):
            out[name] = value
        else:
            raise KeyError(name)
    return out
