"""Pure rules of sign-in: what presenting a refresh token means, how tokens are stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.identity import (
    RefreshVerdict,
    hash_refresh_token,
    new_invite_code,
    new_refresh_token,
    refresh_verdict,
)

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
EARLIER = NOW - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("found", "revoked", "used", "expires", "verdict"),
    [
        (False, False, False, None, RefreshVerdict.UNKNOWN),
        (True, False, False, LATER, RefreshVerdict.VALID),
        (True, False, False, EARLIER, RefreshVerdict.EXPIRED),
        (True, False, False, NOW, RefreshVerdict.EXPIRED),
        (True, True, False, LATER, RefreshVerdict.REVOKED),
        (True, False, True, LATER, RefreshVerdict.REUSED),
        (True, True, True, EARLIER, RefreshVerdict.REUSED),  # reuse is reported even when refused anyway
    ],
)
def test_refresh_verdicts(
    found: bool, revoked: bool, used: bool, expires: datetime | None, verdict: RefreshVerdict
) -> None:
    assert (
        refresh_verdict(found=found, session_revoked=revoked, used=used, expires_at=expires, now=NOW)
        is verdict
    )


def test_refresh_tokens_are_random_and_stored_as_sha256() -> None:
    a, b = new_refresh_token(), new_refresh_token()
    assert a != b
    assert len(a) >= 43
    digest = hash_refresh_token(a)
    assert len(digest) == 64
    assert a not in digest
    assert hash_refresh_token(a) == digest


def test_invite_codes_fit_the_column_and_avoid_look_alikes() -> None:
    code = new_invite_code()
    assert len(code) == 8
    assert code.startswith("W")
    assert not set(code) & set("01IO")
