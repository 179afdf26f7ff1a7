"""Shopper sign-in through the app with the fake provider: customers, tokens, refresh, sign-out, phone."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gql.app import Resources, create_app
from gql.gate.rate_limit import new_visitor_id
from gql.settings import load_settings
from models.customers.rows import Customer
from models.identity import CustomerIdentity, RefreshToken, ShopperSession
from models.visits import VisitEvent
from services.cache import MemoryCache
from services.payments import DevPaymentGateway
from tests.api.campaign_flow import CREATE, created, window
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import Seed

SIGN_IN = """mutation($input: SignInInput!) { signIn(input: $input) {
  session { accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt }
  customer { id nickname phone registeredAt } isNewCustomer inviteAccepted
  userErrors { code field message } } }"""
REFRESH = """mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {
  session { accessToken refreshToken } userErrors { code message } } }"""
SIGN_OUT = (
    """mutation($t: String!) { signOut(input: {refreshToken: $t}) { signedOut userErrors { code } } }"""
)
BIND = """mutation($code: String!) { bindPhone(input: {code: $code}) {
  customer { id phone } userErrors { code field message } } }"""
VIEWER = "{ viewer { role subject customer { id nickname } } }"
TRACK = """mutation($events: [VisitEventInput!]!) { trackEvents(events: $events) { accepted } }"""


def signed_in(r: Any) -> dict[str, Any]:
    assert r.errors == [], r.errors
    payload: dict[str, Any] = r.data["signIn"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def _sign_in(api: Api, code: str, **more: Any) -> Any:
    return await api.execute(SIGN_IN, input={"provider": "WECHAT_MINIPROGRAM", "code": code, **more})


def _bearer(api: Api, token: str) -> Api:
    return Api(api.http, api.settings, api.gateway, token)


async def _count(db: Database, model: Any) -> int:
    async with db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_first_sign_in_creates_the_customer_and_later_ones_find_it(api: Api, db: Database) -> None:
    first = signed_in(await _sign_in(api, "alice", source="SHARE", deviceId="dev-1"))
    assert first["isNewCustomer"] is True
    assert first["customer"]["nickname"] == "微信用户"
    again = signed_in(await _sign_in(api, "alice", source="QR_CODE"))
    assert again["isNewCustomer"] is False
    assert again["customer"]["id"] == first["customer"]["id"]
    assert await _count(db, Customer) == 1
    async with db.sessions() as s:
        identity = (await s.scalars(select(CustomerIdentity))).one()
    assert identity.subject == "fake-alice"
    assert identity.source is not None
    assert identity.source.value == "SHARE"
    other = signed_in(await _sign_in(api, "bob"))
    assert other["customer"]["id"] != first["customer"]["id"]


async def test_sign_in_tokens_act_as_the_customer(api: Api, db: Database, seed: Seed) -> None:
    payload = signed_in(await _sign_in(api, "carol"))
    shopper = _bearer(api, payload["session"]["accessToken"])
    r = await shopper.execute(VIEWER)
    assert r.errors == []
    assert r.data["viewer"]["role"] == "SHOPPER"
    assert r.data["viewer"]["customer"]["id"] == payload["customer"]["id"]
    store = await seed.store()
    event = {
        "eventId": "ev-signed-in-1",
        "visitorId": "visitor-1",
        "sessionId": "s-1",
        "pageType": "HOME",
        "occurredAt": datetime.now(UTC).isoformat(),
        "storeId": _gid("Store", store.id),
    }
    r = await shopper.execute(TRACK, events=[event])
    assert r.data["trackEvents"]["accepted"] == 1
    async with db.sessions() as s:
        customer_ids = (await s.scalars(select(VisitEvent.customer_id))).all()
        customer = (await s.scalars(select(Customer))).one()
    assert customer_ids == [customer.id]  # visit events carry the customer from sign-in on


def _gid(type_name: str, id_: int) -> str:
    return base64.b64encode(f"{type_name}:{id_}".encode()).decode()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("invalid-code", "SIGN_IN_FAILED"),
        ("provider-busy", "PROVIDER_UNAVAILABLE"),
        ("", "BAD_USER_INPUT"),
        ("x" * 129, "BAD_USER_INPUT"),
    ],
)
async def test_bad_codes_and_provider_errors_have_stable_codes(
    api: Api, db: Database, code: str, expected: str
) -> None:
    r = await _sign_in(api, code)
    assert r.errors == []
    assert r.data["signIn"]["session"] is None
    assert [e["code"] for e in r.data["signIn"]["userErrors"]] == [expected]
    assert await _count(db, Customer) == 0


async def test_refresh_rotates_and_reuse_revokes_the_family(api: Api, db: Database) -> None:
    first = signed_in(await _sign_in(api, "dave"))["session"]
    r = await api.execute(REFRESH, t=first["refreshToken"])
    second = r.data["refreshSession"]["session"]
    assert r.data["refreshSession"]["userErrors"] == []
    assert second["refreshToken"] != first["refreshToken"]
    shopper = _bearer(api, second["accessToken"])
    assert (await shopper.execute(VIEWER)).data["viewer"]["role"] == "SHOPPER"

    reused = await api.execute(REFRESH, t=first["refreshToken"])  # the spent token comes back
    assert reused.data["refreshSession"]["session"] is None
    assert [e["code"] for e in reused.data["refreshSession"]["userErrors"]] == ["SESSION_REVOKED"]
    # ... and the whole family is gone: the newest token no longer works either
    after = await api.execute(REFRESH, t=second["refreshToken"])
    assert [e["code"] for e in after.data["refreshSession"]["userErrors"]] == ["SESSION_REVOKED"]
    async with db.sessions() as s:
        session_row = (await s.scalars(select(ShopperSession))).one()
        hashes = (await s.scalars(select(RefreshToken.token_hash))).all()
    assert session_row.revoked_reason is not None
    assert session_row.revoked_reason.value == "REUSE_DETECTED"
    # stored hashed, never in clear
    assert first["refreshToken"] not in hashes
    assert second["refreshToken"] not in hashes
    assert all(len(h) == 64 for h in hashes)


async def test_sign_out_revokes_refresh_tokens(api: Api) -> None:
    session = signed_in(await _sign_in(api, "erin"))["session"]
    other_device = signed_in(await _sign_in(api, "erin"))["session"]
    r = await api.execute(SIGN_OUT, t=session["refreshToken"])
    assert r.data["signOut"] == {"signedOut": True, "userErrors": []}
    refused = await api.execute(REFRESH, t=session["refreshToken"])
    assert [e["code"] for e in refused.data["refreshSession"]["userErrors"]] == ["SESSION_REVOKED"]
    still = await api.execute(REFRESH, t=other_device["refreshToken"])  # another session of the customer
    assert still.data["refreshSession"]["userErrors"] == []
    unknown = await api.execute(REFRESH, t="not-a-token")
    assert [e["code"] for e in unknown.data["refreshSession"]["userErrors"]] == ["SESSION_REVOKED"]


async def test_bind_phone_is_masked_per_the_rules(api: Api, db: Database) -> None:
    payload = signed_in(await _sign_in(api, "frank"))
    shopper = _bearer(api, payload["session"]["accessToken"])
    r = await shopper.execute(BIND, code="phone")
    assert r.data["bindPhone"]["userErrors"] == []
    phone = r.data["bindPhone"]["customer"]["phone"]
    assert phone.startswith("199")
    assert len(phone) == 11
    again = signed_in(await _sign_in(api, "frank"))  # answered to an anonymous caller: masked
    assert again["customer"]["phone"] == f"{phone[:3]}****{phone[-4:]}"
    async with db.sessions() as s:
        row = (await s.scalars(select(Customer))).one()
    assert (row.phone, row.phone_last4) == (phone, phone[-4:])
    grace = signed_in(await _sign_in(api, "grace"))
    taken = await _bearer(api, grace["session"]["accessToken"]).execute(BIND, code="phone")
    assert [e["code"] for e in taken.data["bindPhone"]["userErrors"]] == ["PHONE_ALREADY_BOUND"]
    anonymous = await api.execute(BIND, code="phone")
    assert anonymous.data is None
    assert anonymous.error_codes == ["UNAUTHENTICATED"]


async def test_invite_code_on_first_sign_in_attributes_the_customer(
    api: Api, seed: Seed, db: Database
) -> None:
    campaign = {
        "type": "INVITE_REWARD",
        "name": "邀请好友注册",
        **window(),
        "inviteReward": {
            "trigger": "INVITEE_REGISTERED",
            "inviterRewardKind": "POINTS",
            "inviterRewardValue": 100,
            "inviteeRewardKind": "POINTS",
            "inviteeRewardValue": 50,
            "capPerInviter": None,
        },
    }
    created(await api.as_hq().execute(CREATE, input=campaign))
    inviter = await seed.customer("13900000011")
    payload = signed_in(await _sign_in(api, "henry", inviteCode=inviter.invite_code))
    assert payload["inviteAccepted"] is True
    bad = signed_in(await _sign_in(api, "ivy", inviteCode="NOSUCHCODE"))  # sign-in still succeeds
    assert bad["inviteAccepted"] is False
    assert bad["isNewCustomer"] is True
    async with db.sessions() as s:
        invited = {c.nickname + str(c.id): c.invited_by_id for c in (await s.scalars(select(Customer))).all()}
    assert sorted(v for v in invited.values() if v is not None) == [inviter.id]


async def _app(db: Database, **settings_overrides: Any) -> AsyncIterator[Api]:
    settings = load_settings(database_url=db.url, environment="test", **settings_overrides)
    resources = Resources(settings, db.engine, db.sessions, MemoryCache(), DevPaymentGateway())
    app = create_app(resources=resources)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield Api(http, settings, DevPaymentGateway())


@pytest.fixture
async def strict_api(db: Database) -> AsyncIterator[Api]:
    """Access tokens live one second; sign-in allows two attempts a minute."""
    async for api in _app(db, access_token_seconds=1, sign_in_attempts_per_minute=2):
        yield api


@pytest.fixture
async def crowd_api(db: Database) -> AsyncIterator[Api]:
    """Room for a crowd of sign-ins from one address."""
    async for api in _app(db, sign_in_attempts_per_minute=1000):
        yield api


async def test_expired_access_tokens_are_refused(strict_api: Api) -> None:
    session = signed_in(await _sign_in(strict_api, "jack"))["session"]
    shopper = _bearer(strict_api, session["accessToken"])
    assert (await shopper.execute(VIEWER)).data["viewer"]["role"] == "SHOPPER"
    await asyncio.sleep(2.1)
    r = await shopper.execute(VIEWER)
    assert r.status == 401
    assert r.error_codes == ["UNAUTHENTICATED"]
    fresh = await strict_api.execute(REFRESH, t=session["refreshToken"])  # the refresh token still works
    assert fresh.data["refreshSession"]["userErrors"] == []


async def test_sign_in_is_rate_limited_per_address_and_device(strict_api: Api) -> None:
    for code in ("kate", "kate"):
        signed_in(await _sign_in(strict_api, code, deviceId="phone-1"))
    r = await _sign_in(strict_api, "kate", deviceId="phone-2")
    assert [e["code"] for e in r.data["signIn"]["userErrors"]] == ["THROTTLED"]


async def test_sign_in_keys_its_device_limit_on_the_visitor_id(db: Database) -> None:
    settings = load_settings(database_url=db.url, environment="test", sign_in_attempts_per_minute=2)
    resources = Resources(settings, db.engine, db.sessions, MemoryCache(), DevPaymentGateway())
    app = create_app(resources=resources)

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 4321))
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    async with app.router.lifespan_context(app), client("10.0.0.1") as one, client("10.0.0.2") as two:
        visitor = new_visitor_id(settings.jwt_secret)
        a, b = Api(one, settings, DevPaymentGateway()), Api(two, settings, DevPaymentGateway())
        a.http.headers["x-visitor-id"] = visitor
        for device in ("phone-1", "phone-2"):  # a new deviceId does not make a new device
            signed_in(await _sign_in(a, "lena", deviceId=device))
        b.http.headers["x-visitor-id"] = visitor  # the same visitor from a fresh address
        r = await _sign_in(b, "lena", deviceId="phone-3")
        assert [e["code"] for e in r.data["signIn"]["userErrors"]] == ["THROTTLED"]
        del b.http.headers["x-visitor-id"]  # without an id the deviceId is the device again
        signed_in(await _sign_in(b, "lena", deviceId="phone-1"))


@pytest.mark.postgres_only
async def test_concurrent_first_sign_ins_create_one_customer(crowd_api: Api, db: Database) -> None:
    results = await asyncio.gather(*(_sign_in(crowd_api, "same-code") for _ in range(20)))
    payloads = [signed_in(r) for r in results]
    assert len({p["customer"]["id"] for p in payloads}) == 1
    assert sum(p["isNewCustomer"] for p in payloads) == 1
    assert await _count(db, Customer) == 1
    assert await _count(db, CustomerIdentity) == 1
    assert await _count(db, ShopperSession) == 20
