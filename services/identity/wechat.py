"""The WeChat mini-program adapter of the identity port (code2session and the phone number API).

Written against WeChat's documented HTTP API:

* `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code` →
  `{openid, session_key, unionid?}` or `{errcode, errmsg}`;
* `GET /cgi-bin/token?grant_type=client_credential&appid&secret` → `{access_token, expires_in}`
  (kept until shortly before it expires, shared by every phone lookup of the process);
* `POST /wxa/business/getuserphonenumber?access_token` with `{"code": …}` →
  `{errcode: 0, phone_info: {purePhoneNumber, countryCode, …}}`.

errcode 40029 / 40163 (invalid or used code) → `CodeRefused`; 45011 (rate limited), -1 (busy),
credential errors, timeouts, non-200 answers and malformed JSON → `ProviderUnavailable`. The
`session_key` is never kept: nothing here decrypts user data with it. The stdlib client runs in a
worker thread (no HTTP client is a runtime dependency); each call is bounded by `timeout`.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Final

from models.identity import IdentityProvider
from services.identity.port import CodeRefused, ProviderIdentity, ProviderUnavailable

log = logging.getLogger("mallgraph.identity.wechat")

REFUSED_CODES: Final = frozenset({40029, 40163})
"""invalid code; code already used."""
STALE_ACCESS_TOKEN: Final = frozenset({40001, 42001})
"""access_token invalid or expired: fetch a new one and try once more."""
ACCESS_TOKEN_MARGIN_SECONDS: Final = 300
MAX_ANSWER_BYTES: Final = 64 * 1024


class WeChatMiniProgram:
    provider = IdentityProvider.WECHAT_MINIPROGRAM

    def __init__(
        self, app_id: str, secret: str, *, base_url: str = "https://api.weixin.qq.com", timeout: float = 5.0
    ) -> None:
        self._app_id = app_id
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._access_token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()

    def __repr__(self) -> str:  # never the secret
        return f"WeChatMiniProgram(app_id={self._app_id!r}, base_url={self._base_url!r})"

    async def identify(self, code: str) -> ProviderIdentity:
        answer = await self._call(
            "GET",
            "/sns/jscode2session",
            {
                "appid": self._app_id,
                "secret": self._secret,
                "js_code": code,
                "grant_type": "authorization_code",
            },
        )
        _raise_for_errcode(answer, "jscode2session")
        openid = answer.get("openid")
        if not isinstance(openid, str) or not openid:
            raise ProviderUnavailable("jscode2session answered without an openid")
        unionid = answer.get("unionid")
        return ProviderIdentity(self.provider, openid, unionid if isinstance(unionid, str) else None)

    async def phone_number(self, code: str) -> str:
        for attempt in range(2):
            token = await self._current_access_token(renew=attempt > 0)
            answer = await self._call(
                "POST", "/wxa/business/getuserphonenumber", {"access_token": token}, {"code": code}
            )
            if answer.get("errcode") in STALE_ACCESS_TOKEN and attempt == 0:
                continue
            _raise_for_errcode(answer, "getuserphonenumber")
            info = answer.get("phone_info")
            phone = info.get("purePhoneNumber") if isinstance(info, dict) else None
            if not isinstance(phone, str) or not phone.isdigit():
                raise ProviderUnavailable("getuserphonenumber answered without a phone number")
            return phone
        raise ProviderUnavailable("getuserphonenumber refused a fresh access token")

    async def _current_access_token(self, *, renew: bool) -> str:
        async with self._token_lock:
            if self._access_token is not None and not renew and time.monotonic() < self._access_token[1]:
                return self._access_token[0]
            answer = await self._call(
                "GET",
                "/cgi-bin/token",
                {"grant_type": "client_credential", "appid": self._app_id, "secret": self._secret},
            )
            _raise_for_errcode(answer, "token")
            token, expires_in = answer.get("access_token"), answer.get("expires_in")
            if not isinstance(token, str) or not isinstance(expires_in, int):
                raise ProviderUnavailable("token answered without access_token / expires_in")
            self._access_token = (token, time.monotonic() + max(0, expires_in - ACCESS_TOKEN_MARGIN_SECONDS))
            return token

    async def _call(
        self, method: str, path: str, query: dict[str, str], body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        url = f"{self._base_url}{path}?{urllib.parse.urlencode(query)}"
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            raw = await asyncio.to_thread(self._send, request)
        except (TimeoutError, urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            # the URL carries the secret: name the path only
            raise ProviderUnavailable(f"{path}: {type(exc).__name__}") from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise ProviderUnavailable(f"{path}: the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise ProviderUnavailable(f"{path}: the answer is not a JSON object")
        return answer

    def _send(self, request: urllib.request.Request) -> bytes:
        with urllib.request.urlopen(request, timeout=self._timeout) as response:
            if response.status != 200:
                raise OSError(f"HTTP {response.status}")
            body: bytes = response.read(MAX_ANSWER_BYTES + 1)
        if len(body) > MAX_ANSWER_BYTES:
            raise OSError("answer too large")
        return body


def _raise_for_errcode(answer: dict[str, Any], api: str) -> None:
    errcode = answer.get("errcode", 0)
    if errcode in (0, None):
        return
    message = f"{api}: errcode {errcode} {answer.get('errmsg', '')}".strip()
    if errcode in REFUSED_CODES:
        raise CodeRefused(message)
    if errcode not in (-1, 45011):  # anything but busy / rate limited is worth an operator's look
        log.error("WeChat %s", message)
    raise ProviderUnavailable(message)
