"""JWT claims the edge insists on: expiry, issuer, audience (when configured) and the algorithm."""

from __future__ import annotations

import time
from collections.abc import Callable

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


# Tokens are made when each test runs, not when the module is collected: a long suite would
# otherwise outlive their ten minutes and every case would fail as "expired".
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: _token(aud="another-api"), "Audience"),
        (lambda: _token(aud=None), "aud"),
        (lambda: _token(exp=None), "exp"),
        (lambda: _token(iss=None), "iss"),
        (lambda: _token(exp=int(time.time()) - 5), "expired"),
        (lambda: _token(WITH_AUDIENCE.jwt_secret * 2, "HS512"), "alg value is not allowed"),
        (lambda: jwt.encode({"sub": "x", "role": "HQ_ADMIN"}, key=None, algorithm="none"), "invalid token"),
    ],
    ids=["audience", "no-audience", "no-expiry", "no-issuer", "expired", "algorithm", "unsigned"],
)
def test_tokens_missing_or_breaking_a_claim_are_refused(make: Callable[[], str], reason: str) -> None:
    token = make()
    with pytest.raises(AuthError, match=reason):
        principal_from_token(WITH_AUDIENCE, token)
