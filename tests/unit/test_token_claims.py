"""JWT claims the edge insists on: expiry, issuer, audience (when configured) and the algorithm."""

from __future__ import annotations

import time

import jwt
import pytest

from gql.auth import AuthError, mint_token, principal_from_token
from gql.settings import load_settings
from models.enums import Role

WITH_AUDIENCE = load_settings(jwt_audience="mallgraph-api")


def _token(secret: str = WITH_AUDIENCE.jwt_secret, algorithm: str = "HS256", **claims: object) -> str:
    base: dict[str, object] = {
        "iss": WITH_AUDIENCE.jwt_issuer,
        "aud": "mallgraph-api",
        "exp": int(time.time()) + 600,
        "sub": "x",
        "role": "HQ_ADMIN",
    }
    return jwt.encode(
        {k: v for k, v in {**base, **claims}.items() if v is not None}, secret, algorithm=algorithm
    )


def test_a_minted_token_carries_the_audience() -> None:
    token = mint_token(WITH_AUDIENCE, Role.ANALYST, "a")
    assert principal_from_token(WITH_AUDIENCE, token).role is Role.ANALYST
    assert principal_from_token(WITH_AUDIENCE, _token()).role is Role.HQ_ADMIN


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (_token(aud="another-api"), "Audience"),
        (_token(aud=None), "aud"),
        (_token(exp=None), "exp"),
        (_token(iss=None), "iss"),
        (_token(exp=int(time.time()) - 5), "expired"),
        (_token(WITH_AUDIENCE.jwt_secret * 2, "HS512"), "alg value is not allowed"),
        (jwt.encode({"sub": "x", "role": "HQ_ADMIN"}, key=None, algorithm="none"), "invalid token"),
    ],
)
def test_tokens_missing_or_breaking_a_claim_are_refused(token: str, reason: str) -> None:
    with pytest.raises(AuthError, match=reason):
        principal_from_token(WITH_AUDIENCE, token)
