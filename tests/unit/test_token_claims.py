"""JWT claims the edge insists on: expiry, issuer, audience (when configured) and the algorithm."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import pytest

from gql.gate.auth import AuthError, mint_token, principal_from_token
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


def test_a_verified_token_is_remembered_until_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    """The signature is checked once per token; past `exp` the token is checked again and refused."""
    checked: list[str] = []
    decode = jwt.decode

    def counting(token: str, *args: object, **kwargs: object) -> object:
        checked.append(token)
        return decode(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting)
    now = time.time()
    token = _token(exp=int(now) + 30, sub="remembered")
    for _ in range(3):
        assert principal_from_token(WITH_AUDIENCE, token).subject == "remembered"
    assert checked == [token]
    # the same token under other settings (another secret) is checked under those, and refused
    other = load_settings(jwt_audience="mallgraph-api", jwt_secret="another-secret-of-at-least-32-chars!")
    with pytest.raises(AuthError, match="Signature verification failed"):
        principal_from_token(other, token)
    assert checked == [token, token]
    monkeypatch.setattr(time, "time", lambda: now + 31)
    monkeypatch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime(now + 31))
    with pytest.raises(AuthError, match="expired"):
        principal_from_token(WITH_AUDIENCE, token)
    assert checked == [token, token, token]


class _FrozenDatetime:
    """`datetime` as PyJWT's claim checks see it, at a given moment."""

    def __init__(self, at: float) -> None:
        self.at = at

    def now(self, tz: object = None) -> object:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(self.at, UTC)


def test_a_minted_token_lives_at_least_its_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    """Claims are whole seconds; `exp` is rounded up, never down, so an expiry computed as now +
    ttl (the session's `accessTokenExpiresAt`) is never later than the token's own."""
    for now in (1_800_000_000.0, 1_800_000_000.25, 1_800_000_000.999):
        monkeypatch.setattr(time, "time", lambda now=now: now)
        claims = jwt.decode(
            mint_token(WITH_AUDIENCE, Role.SHOPPER, "customer:1", customer_id=1, ttl_seconds=1),
            options={"verify_signature": False},
        )
        assert claims["exp"] >= now + 1
        assert claims["exp"] < now + 2
        assert claims["iat"] <= now
