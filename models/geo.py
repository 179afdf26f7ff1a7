"""Distances on the earth's surface, for a store's delivery radius (配送范围). Pure, no I/O.

Stores and consignee addresses carry coordinates from the same map picker (GCJ-02 in mainland
China), so comparing them needs no datum conversion. The haversine formula on a spherical earth
errs by well under 0.5 %: a few metres at a 3 km radius, far below what an address pin is worth.
"""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt
from typing import Final

from models.errors import DomainError, ErrorCode

EARTH_RADIUS_M: Final = 6_371_008.8
"""Mean earth radius (IUGG)."""


def check_coordinates(latitude: float, longitude: float, field: str) -> None:
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "latitude is -90..90 and longitude -180..180 degrees", field
        )


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = radians(lat1), radians(lat2)
    d_phi, d_lambda = phi2 - phi1, radians(lng2 - lng1)
    h = sin(d_phi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(h)))


def ensure_within_radius(
    store_lat: float,
    store_lng: float,
    radius_m: int,
    latitude: float | None,
    longitude: float | None,
    field: str = "consignee",
) -> None:
    """A store delivers up to `radius_m` metres (inclusive) from itself.

    Without coordinates there is nothing to measure: the address cannot be placed on the map,
    so the check is skipped (the mini-program always sends the picked point; older clients and
    the POS channel do not). Half a coordinate is a client bug and is refused.
    """
    if latitude is None and longitude is None:
        return
    if latitude is None or longitude is None:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "give both latitude and longitude, or neither", field)
    check_coordinates(latitude, longitude, field)
    distance = distance_m(store_lat, store_lng, latitude, longitude)
    if distance > radius_m:
        raise DomainError(
            ErrorCode.OUTSIDE_DELIVERY_RADIUS,
            f"the address is {distance / 1000:.1f} km away; "
            f"this store delivers up to {radius_m / 1000:.1f} km",
            field,
        )
