"""Bearer tokens → principals: good tokens map to role and scope; bad ones are refused with a reason."""

from __future__ import annotations

import time

import jwt
import pytest

from gql.gate.auth import AuthError, mint_token, principal_from_header
from gql.settings import load_settings
from models.enums import Role

SETTINGS = load_settings()


def _raw(claims: dict[str, object], secret: str = SETTINGS.jwt_secret) -> str:
    # Built at collection time: valid for an hour, so a long test run does not expire them.
    base = {"iss": SETTINGS.jwt_issuer, "exp": int(time.time()) + 3600, "sub": "x"}

    return jwt.encode({**base, **claims}, secret, algorithm="HS256")


def test_roles_and_scopes() -> None:
    staff = principal_from_header(
        SETTINGS, "Bearer " + mint_token(SETTINGS, Role.STORE_STAFF, "s1", store_ids=[3, 4])
    )
    assert staff.role is Role.STORE_STAFF
    assert staff.store_ids == {3, 4}
    shopper = principal_from_header(
        SETTINGS, "Bearer " + mint_token(SETTINGS, Role.SHOPPER, "c", customer_id=9)
    )
    assert shopper.customer_id == 9
    assert shopper.key == "SHOPPER:c"
    assert principal_from_header(SETTINGS, None).is_anonymous


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Basic abc", "Bearer"),
        ("Bearer ", "Bearer"),
        ("Bearer not-a-jwt", "invalid token"),
        (
            "Bearer " + _raw({"role": "HQ_ADMIN"}, secret="another-secret-of-enough-length-000000"),
            "invalid token",
        ),
        ("Bearer " + _raw({"role": "HQ_ADMIN", "exp": int(time.time()) - 10}), "expired"),
        ("Bearer " + _raw({"role": "GOD"}), "unknown role"),
        ("Bearer " + _raw({"role": "STORE_STAFF"}), "store_ids"),
        ("Bearer " + _raw({"role": "STORE_STAFF", "store_ids": []}), "store_ids"),
        ("Bearer " + _raw({"role": "SHOPPER"}), "customer_id"),
        ("Bearer " + _raw({"role": "HQ_ADMIN", "iss": "someone-else"}), "invalid token"),
    ],
)
def test_bad_tokens_are_refused(header: str, reason: str) -> None:
    with pytest.raises(AuthError, match=reason):
        principal_from_header(SETTINGS, header)
