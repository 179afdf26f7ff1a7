"""Store administration (门店管理): HQ opens and configures stores, staff run their own; hours and fees."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models.action_log import ActionLog, LoggedAction
from models.enums import Fulfillment, Role, StoreStatus
from models.stores.rows import Store
from tests.api.back_office import ERRORS, gid, key, payload, refusal
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import Seed

STORE = """id code name status region { province city district } businessHours { weekday open close }
  deliveryRadiusMeters minOrderAmount { cents } deliveryFee { cents } packagingFee { cents }
  deliveryFeeSlots { start end fee { cents } } fulfillmentMethods autoAccept"""
CREATE = (
    f"mutation($input: CreateStoreInput!) {{ createStore(input: $input) {{ store {{ {STORE} }} {ERRORS} }} }}"
)
UPDATE = (
    f"mutation($input: UpdateStoreInput!) {{ updateStore(input: $input) {{ store {{ {STORE} }} {ERRORS} }} }}"
)


def new_store(**overrides: Any) -> dict[str, Any]:
    store: dict[str, Any] = {
        "code": "SH100",
        "name": "鲜丰超市·世纪公园店",
        "region": {"province": "上海市", "city": "上海市", "district": "浦东新区"},
        "address": "锦绣路1001号",
        "latitude": 31.2155,
        "longitude": 121.5526,
        "businessHours": [{"weekday": d, "open": "08:00", "close": "13:30"} for d in range(1, 8)]
        + [{"weekday": d, "open": "16:00", "close": "02:00"} for d in range(1, 8)],
        "deliveryRadiusMeters": 3000,
        "minOrderAmountCents": 2000,
        "deliveryFeeCents": 500,
        "deliveryFeeSlots": [{"start": "22:00", "end": "06:00", "feeCents": 1200}],
        "packagingFeeCents": 100,
        "fulfillmentMethods": ["SELF_PICKUP", "STORE_DELIVERY"],
        "autoAccept": True,
        "idempotencyKey": key(),
    }
    store.update(overrides)
    return store


async def test_hq_opens_a_store_and_it_is_open_by_the_business_clock(api: Api, db: Database) -> None:
    hq = api.as_hq()
    store = payload(await hq.execute(CREATE, input=new_store()), "createStore")["store"]
    assert store["code"] == "SH100"
    assert store["businessHours"][:2] == [
        {"weekday": 1, "open": "08:00", "close": "13:30"},
        {"weekday": 1, "open": "16:00", "close": "02:00"},
    ]
    assert store["deliveryFeeSlots"] == [{"start": "22:00", "end": "06:00", "fee": {"cents": 1200}}]
    q = """query($id: ID!, $t1: DateTime!, $t2: DateTime!, $t3: DateTime!, $t4: DateTime!) {
      node(id: $id) { ... on Store {
        a: isOpenAt(time: $t1) b: isOpenAt(time: $t2) c: isOpenAt(time: $t3) d: isOpenAt(time: $t4)
        night: deliveryFeeAt(time: $t4) { cents } noon: deliveryFeeAt(time: $t1) { cents } } } }"""
    r = await api.execute(
        q,
        id=store["id"],
        t1="2026-11-23T04:00:00+00:00",  # Monday 12:00 in Shanghai: open
        t2="2026-11-23T07:00:00+00:00",  # 15:00: the afternoon break
        t3="2026-11-23T15:00",  # no offset: 15:00 on the business clock, the break again
        t4="2026-11-23T17:30:00+00:00",  # Tuesday 01:30 in Shanghai: Monday's evening range runs overnight
    )
    assert r.errors == []
    assert r.data["node"] == {
        "a": True,
        "b": False,
        "c": False,
        "d": True,
        "night": {"cents": 1200},
        "noon": {"cents": 500},
    }
    async with db.sessions() as s:
        log = (await s.scalars(select(ActionLog))).one()
    assert (log.action, log.actor_type.value, log.changes["code"]) == (
        LoggedAction.CREATE,
        "HQ",
        [None, "SH100"],
    )


async def test_bad_store_input_is_refused_with_its_field(api: Api, seed: Seed, db: Database) -> None:
    await seed.store("SH001")
    hq = api.as_hq()
    cases = [
        (new_store(code="SH001"), [("DUPLICATE_CODE", "code")]),
        (new_store(deliveryFeeCents=-1), [("INVALID_PRICE", "deliveryFeeCents")]),
        (new_store(minOrderAmountCents=-500), [("INVALID_PRICE", "minOrderAmountCents")]),
        (
            new_store(businessHours=[{"weekday": 8, "open": "08:00", "close": "22:00"}]),
            [("BAD_USER_INPUT", "businessHours.0.weekday")],
        ),
        (new_store(businessHours=[]), []),  # allowed: a store with no hours is simply never open
        (new_store(latitude=120.0), [("BAD_USER_INPUT", "latitude")]),
        (new_store(fulfillmentMethods=[]), [("BAD_USER_INPUT", "fulfillmentMethods")]),
    ]
    for variables, expected in cases:
        r = await hq.execute(CREATE, input=variables)
        if expected:
            assert refusal(r, "createStore") == expected
            assert r.data["createStore"]["store"] is None
        else:
            assert payload(r, "createStore")["store"]["code"] == "SH100"
    async with db.sessions() as s:
        assert sorted((await s.scalars(select(Store.code))).all()) == ["SH001", "SH100"]
    r = await api.as_role(Role.ANALYST).execute(CREATE, input=new_store(code="SH200"))
    assert r.error_codes == ["FORBIDDEN"]


async def test_staff_run_their_own_store_but_not_its_fees(api: Api, seed: Seed, db: Database) -> None:
    mine, other = await seed.store("SH001"), await seed.store("SH002")
    staff = api.as_staff(mine.id)

    def upd(store_id: int, **fields: Any) -> dict[str, Any]:
        return {"storeId": gid("Store", store_id), **fields}

    r = await staff.execute(UPDATE, input=upd(mine.id, status="PAUSED", autoAccept=True, phone=None))
    store = payload(r, "updateStore")["store"]
    assert (store["status"], store["autoAccept"]) == ("PAUSED", True)
    for variables, expected in (
        (upd(mine.id, deliveryFeeCents=0), ("FORBIDDEN", "deliveryFeeCents")),
        (upd(mine.id, deliveryRadiusMeters=9000), ("FORBIDDEN", "deliveryRadiusMeters")),
        (upd(mine.id, status="CLOSED"), ("FORBIDDEN", "status")),
        (upd(other.id, status="PAUSED"), ("FORBIDDEN", "storeId")),
        (upd(mine.id, name=None), ("BAD_USER_INPUT", "name")),
    ):
        assert refusal(await staff.execute(UPDATE, input=variables), "updateStore") == [expected]
    r = await api.as_hq().execute(
        UPDATE, input=upd(other.id, fulfillmentMethods=["EXPRESS"], deliveryFeeCents=800, status="CLOSED")
    )
    store = payload(r, "updateStore")["store"]
    assert (store["fulfillmentMethods"], store["deliveryFee"], store["status"]) == (
        ["EXPRESS"],
        {"cents": 800},
        "CLOSED",
    )
    async with db.sessions() as s:
        statuses = dict((await s.execute(select(Store.code, Store.status))).all())
        logs = (await s.scalars(select(ActionLog).order_by(ActionLog.id))).all()
    assert statuses == {"SH001": StoreStatus.PAUSED, "SH002": StoreStatus.CLOSED}
    assert [(log.store_id, log.actor_type.value) for log in logs] == [(mine.id, "STAFF"), (other.id, "HQ")]
    assert logs[0].changes == {"status": ["OPEN", "PAUSED"], "auto_accept": [False, True]}
    assert logs[1].changes["supports_express"] == [False, True]


async def test_store_list_filters(api: Api, seed: Seed) -> None:
    await seed.store("SH001", district="浦东新区")
    await seed.store("SH002", district="徐汇区", supports_express=True)
    await seed.store(
        "BJ001", province="北京市", city="北京市", district="朝阳区", supports_store_delivery=False
    )
    q = "query($f: StoreFilter) { stores(first: 10, filter: $f) { edges { node { code } } } }"

    async def codes(**f: Any) -> list[str]:
        r = await api.execute(q, f=f)
        assert r.errors == []
        return [e["node"]["code"] for e in r.data["stores"]["edges"]]

    assert await codes(district="徐汇区") == ["SH002"]
    assert await codes(fulfillment=[Fulfillment.EXPRESS.value]) == ["SH002"]
    assert await codes(city="上海市", fulfillment=["STORE_DELIVERY"]) == ["SH001", "SH002"]
    assert await codes(province="北京市", search="BJ") == ["BJ001"]
