"""Delivery radius (haversine) and the store settings rules: who may change what, valid values."""

from __future__ import annotations

import pytest

from models.enums import Fulfillment, StoreStatus
from models.errors import DomainError, ErrorCode
from models.geo import distance_m, ensure_within_radius
from models.stores.rules import check_staff_may_change, normalize_store_changes

PEOPLES_SQUARE = (31.2304, 121.4737)
LUJIAZUI = (31.2397, 121.4998)  # about 2.7 km east, across the river


def test_haversine_distances() -> None:
    assert distance_m(*PEOPLES_SQUARE, *PEOPLES_SQUARE) == 0
    assert 2_600 < distance_m(*PEOPLES_SQUARE, *LUJIAZUI) < 2_700
    # one degree of latitude is about 111.2 km anywhere
    assert distance_m(30.0, 121.0, 31.0, 121.0) == pytest.approx(111_195, rel=1e-3)
    # Shanghai to Beijing, about 1,067 km
    assert distance_m(31.2304, 121.4737, 39.9042, 116.4074) == pytest.approx(1_067_000, rel=0.01)


def test_radius_is_inclusive_and_coordinates_optional() -> None:
    ensure_within_radius(*PEOPLES_SQUARE, 3000, *LUJIAZUI)
    with pytest.raises(DomainError) as error:
        ensure_within_radius(*PEOPLES_SQUARE, 2000, *LUJIAZUI)
    assert (error.value.code, error.value.field) == (ErrorCode.OUTSIDE_DELIVERY_RADIUS, "consignee")
    assert "2.0 km" in error.value.message
    ensure_within_radius(*PEOPLES_SQUARE, 0, None, None)  # nothing to measure
    with pytest.raises(DomainError) as error:
        ensure_within_radius(*PEOPLES_SQUARE, 3000, 31.2, None)
    assert error.value.code is ErrorCode.BAD_USER_INPUT
    with pytest.raises(DomainError) as error:
        ensure_within_radius(*PEOPLES_SQUARE, 3000, 91.0, 121.0)
    assert error.value.code is ErrorCode.BAD_USER_INPUT


def test_staff_may_change_day_to_day_settings_only() -> None:
    check_staff_may_change({"status", "business_hours", "auto_accept"}, {"status": StoreStatus.PAUSED})
    with pytest.raises(DomainError) as error:
        check_staff_may_change({"status", "delivery_fee"}, {})
    assert (error.value.code, error.value.field) == (ErrorCode.FORBIDDEN, "deliveryFeeCents")
    with pytest.raises(DomainError) as error:
        check_staff_may_change({"status"}, {"status": StoreStatus.CLOSED})
    assert (error.value.code, error.value.field) == (ErrorCode.FORBIDDEN, "status")


def test_store_settings_are_normalised() -> None:
    values = normalize_store_changes(
        {
            "code": "SH009",
            "name": "  鲜丰·张江店 ",
            "fulfillment_methods": [Fulfillment.STORE_DELIVERY],
            "business_hours": [{"weekday": 2, "open": "09:00", "close": "18:00"}],
            "phone": None,
        }
    )
    assert values == {
        "code": "SH009",
        "name": "鲜丰·张江店",
        "supports_self_pickup": False,
        "supports_store_delivery": True,
        "supports_express": False,
        "business_hours": [{"weekday": 2, "open": "09:00", "close": "18:00"}],
        "phone": None,
    }


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"code": "sh 1"}, ErrorCode.BAD_USER_INPUT, "code"),
        ({"name": "  "}, ErrorCode.BAD_USER_INPUT, "name"),
        ({"latitude": 95.0}, ErrorCode.BAD_USER_INPUT, "latitude"),
        ({"delivery_radius_m": -1}, ErrorCode.BAD_USER_INPUT, "deliveryRadiusMeters"),
        ({"delivery_fee": -100}, ErrorCode.INVALID_PRICE, "deliveryFeeCents"),
        ({"min_order_amount": -1}, ErrorCode.INVALID_PRICE, "minOrderAmountCents"),
        ({"fulfillment_methods": []}, ErrorCode.BAD_USER_INPUT, "fulfillmentMethods"),
        ({"province": "x" * 33}, ErrorCode.BAD_USER_INPUT, "region.province"),
    ],
)
def test_bad_store_settings(changes: dict[str, object], code: ErrorCode, field: str) -> None:
    with pytest.raises(DomainError) as error:
        normalize_store_changes(changes)
    assert (error.value.code, error.value.field) == (code, field)
