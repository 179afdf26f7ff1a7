"""The fake identity provider of dev and tests: no network, deterministic answers.

The code names the user: the same code always signs in the same customer (openid `fake-<code>`),
so a test or a developer picks a user by picking a code. Two codes misbehave on purpose:
`invalid-code` is refused (like WeChat's 40029) and `provider-busy` is unavailable (like -1).
A phone code maps to a fixed number, `199` + 8 digits from its hash (the default code `phone`
always gives the same number).
"""

from __future__ import annotations

import hashlib
from typing import Final

from models.identity import IdentityProvider
from services.identity.port import CodeRefused, ProviderIdentity, ProviderUnavailable

REFUSED_CODE: Final = "invalid-code"
BUSY_CODE: Final = "provider-busy"


class FakeProvider:
    provider = IdentityProvider.WECHAT_MINIPROGRAM

    async def identify(self, code: str) -> ProviderIdentity:
        self._check(code)
        return ProviderIdentity(self.provider, f"fake-{code}", union_id=None)

    async def phone_number(self, code: str) -> str:
        self._check(code)
        digits = int(hashlib.sha256(code.encode("utf-8")).hexdigest(), 16) % 10**8
        return f"199{digits:08d}"

    @staticmethod
    def _check(code: str) -> None:
        if code == REFUSED_CODE:
            raise CodeRefused("invalid code (fake provider)")
        if code == BUSY_CODE:
            raise ProviderUnavailable("system busy (fake provider)")
