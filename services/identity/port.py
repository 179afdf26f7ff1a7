"""The identity port: what sign-in needs of an identity provider, whichever it is.

A provider turns the one-time code the mini-program got from the platform (`wx.login`, or the
phone-number button) into a stable user id or a phone number. It raises `CodeRefused` when the code
itself is bad (the client should get a new one) and `ProviderUnavailable` for everything that is not
the user's fault (timeouts, rate limits, garbage answers, misconfiguration): the client may retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from models.identity import IdentityProvider


@dataclass(frozen=True, slots=True)
class ProviderIdentity:
    provider: IdentityProvider
    subject: str
    """Stable per user and app (WeChat: openid)."""
    union_id: str | None = None


class CodeRefused(Exception):
    """The provider says the code is invalid, expired or already used."""


class ProviderUnavailable(Exception):
    """The provider could not answer usefully now; not the user's fault."""


class IdentityPort(Protocol):
    provider: IdentityProvider

    async def identify(self, code: str) -> ProviderIdentity:
        """The user behind a login code (`wx.login`)."""
        ...

    async def phone_number(self, code: str) -> str:
        """The verified phone number behind a phone code (`getPhoneNumber`), digits only."""
        ...
