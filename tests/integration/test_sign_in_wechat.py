"""The WeChat adapter against a stub of WeChat's HTTP API on 127.0.0.1 (no network beyond it)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from services.identity.port import CodeRefused, ProviderUnavailable
from services.identity.wechat import WeChatMiniProgram

Answer = Callable[[str, dict[str, str], dict[str, Any] | None], tuple[int, bytes, float]]
"""(path, query, JSON body) → (HTTP status, body, seconds to wait before answering)."""


class Stub:
    def __init__(self) -> None:
        self.answer: Answer = lambda *_: (200, b"{}", 0.0)
        self.calls: list[tuple[str, dict[str, str], dict[str, Any] | None]] = []


@pytest.fixture
def stub() -> Iterator[tuple[Stub, str]]:
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, body: dict[str, Any] | None) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            state.calls.append((url.path, query, body))
            status, payload, delay = state.answer(url.path, query, body)
            time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (timeout test)

        def do_GET(self) -> None:
            self._serve(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve(json.loads(self.rfile.read(length)))

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _json(data: Any, status: int = 200, delay: float = 0.0) -> tuple[int, bytes, float]:
    return status, json.dumps(data).encode(), delay


def _adapter(base: str, timeout: float = 2.0) -> WeChatMiniProgram:
    return WeChatMiniProgram("wx-app", "s3cret", base_url=base, timeout=timeout)


async def test_code2session_success(stub: tuple[Stub, str]) -> None:
    state, base = stub
    state.answer = lambda *_: _json({"openid": "o-123", "session_key": "k", "unionid": "u-9"})
    who = await _adapter(base).identify("code-1")
    assert (who.subject, who.union_id) == ("o-123", "u-9")
    path, query, _ = state.calls[0]
    assert path == "/sns/jscode2session"
    assert query == {
        "appid": "wx-app",
        "secret": "s3cret",
        "js_code": "code-1",
        "grant_type": "authorization_code",
    }


@pytest.mark.parametrize(
    ("errcode", "error"),
    [(40029, CodeRefused), (40163, CodeRefused), (45011, ProviderUnavailable), (-1, ProviderUnavailable)],
)
async def test_code2session_errcodes(stub: tuple[Stub, str], errcode: int, error: type[Exception]) -> None:
    state, base = stub
    state.answer = lambda *_: _json({"errcode": errcode, "errmsg": "nope"})
    with pytest.raises(error):
        await _adapter(base).identify("code-1")


@pytest.mark.parametrize(
    "answer",
    [
        (200, b"<html>not json</html>", 0.0),
        (200, b"[1, 2]", 0.0),
        (200, b'{"session_key": "k"}', 0.0),  # no openid
        (502, b"bad gateway", 0.0),
    ],
    ids=["not-json", "not-an-object", "no-openid", "http-502"],
)
async def test_code2session_garbage_is_unavailable(
    stub: tuple[Stub, str], answer: tuple[int, bytes, float]
) -> None:
    state, base = stub
    state.answer = lambda *_: answer
    with pytest.raises(ProviderUnavailable) as caught:
        await _adapter(base).identify("code-1")
    assert "s3cret" not in str(caught.value)


async def test_code2session_timeout(stub: tuple[Stub, str]) -> None:
    state, base = stub
    state.answer = lambda *_: _json({"openid": "late"}, delay=1.0)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        await _adapter(base, timeout=0.2).identify("code-1")
    assert time.monotonic() - started < 0.9


async def test_unreachable_provider(stub: tuple[Stub, str]) -> None:
    with pytest.raises(ProviderUnavailable):
        await _adapter("http://127.0.0.1:9", timeout=0.5).identify("code-1")


async def test_phone_number_fetches_and_reuses_the_access_token(stub: tuple[Stub, str]) -> None:
    state, base = stub
    issued = iter(["at-1", "at-2"])

    def answer(path: str, query: dict[str, str], body: dict[str, Any] | None) -> tuple[int, bytes, float]:
        if path == "/cgi-bin/token":
            return _json({"access_token": next(issued), "expires_in": 7200})
        assert path == "/wxa/business/getuserphonenumber"
        assert body is not None
        if query["access_token"] == "at-1" and body["code"] == "stale":
            return _json({"errcode": 40001, "errmsg": "invalid credential"})
        if body["code"] == "bad":
            return _json({"errcode": 40029, "errmsg": "invalid code"})
        return _json({"errcode": 0, "phone_info": {"purePhoneNumber": "13912345678", "countryCode": "86"}})

    state.answer = answer
    adapter = _adapter(base)
    assert await adapter.phone_number("p-1") == "13912345678"
    assert await adapter.phone_number("p-2") == "13912345678"
    assert [c[0] for c in state.calls].count("/cgi-bin/token") == 1  # cached
    assert await adapter.phone_number("stale") == "13912345678"  # a stale token is renewed once
    assert [c[0] for c in state.calls].count("/cgi-bin/token") == 2
    with pytest.raises(CodeRefused):
        await adapter.phone_number("bad")
