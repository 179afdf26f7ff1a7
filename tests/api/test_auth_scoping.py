"""Who sees what: tokens, roles and row scope, through the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gql.ids import encode_id
from models.enums import Fulfillment, Role
from models.orders.rows import Order
from models.stores.rows import Store
from tests.api.conftest import Api
from tests.factories import Seed

LIST = "{ orders(first: 50) { totalCount edges { node { orderNo store { code } } } } }"
ONE = "query($id: ID, $no: String) { order(id: $id, orderNo: $no) { orderNo } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Order { orderNo } } }"


@dataclass
class World:
    sh: Store
    bj: Store
    sh_order: Order
    bj_order: Order
    hq_order: Order
    alice_id: int
    bob_id: int


@pytest.fixture
async def world(seed: Seed) -> World:
    sh, bj = await seed.store("SH001"), await seed.store("BJ001", district="朝阳区")
    alice, bob = await seed.customer("13811112222"), await seed.customer("13933334444")
    _, skus = await seed.product()
    sh_order = await seed.order(sh, alice, [(skus[0], 1)], fulfillment=Fulfillment.SELF_PICKUP)
    bj_order = await seed.order(bj, bob, [(skus[0], 2)])
    hq_order = await seed.order(None, alice, [(skus[0], 3)], fulfillment=Fulfillment.EXPRESS)
    return World(sh, bj, sh_order, bj_order, hq_order, alice.id, bob.id)


def _nos(r: object) -> set[str]:
    data = r.data  # type: ignore[attr-defined]
    return {e["node"]["orderNo"] for e in data["orders"]["edges"]}


async def test_hq_and_analysts_see_every_order(api: Api, world: World) -> None:
    for role in (Role.HQ_ADMIN, Role.ANALYST):
        r = await api.as_role(role).execute(LIST)
        assert r.data["orders"]["totalCount"] == 3
    r = await api.as_hq().execute(LIST)
    hq = [e for e in r.data["orders"]["edges"] if e["node"]["orderNo"] == world.hq_order.order_no]
    assert hq[0]["node"]["store"] is None  # the HQ warehouse is not a store


async def test_staff_see_only_their_stores(api: Api, world: World) -> None:
    staff = api.as_staff(world.sh.id)
    r = await staff.execute(LIST)
    assert r.data["orders"]["totalCount"] == 1
    assert _nos(r) == {world.sh_order.order_no}
    # another store's order by id, by number and by node: "not found", not the order
    for variables in ({"id": encode_id("Order", world.bj_order.id)}, {"no": world.bj_order.order_no}):
        r = await staff.execute(ONE, **variables)
        assert r.errors == []
        assert r.data == {"order": None}
    r = await staff.execute(NODE, id=encode_id("Order", world.hq_order.id))
    assert r.errors == []
    assert r.data == {"node": None}
    r = await api.as_staff(world.sh.id, world.bj.id).execute(LIST)
    assert r.data["orders"]["totalCount"] == 2


async def test_shoppers_see_only_their_own(api: Api, world: World) -> None:
    alice = api.as_shopper(world.alice_id)
    r = await alice.execute(LIST)
    assert _nos(r) == {world.sh_order.order_no, world.hq_order.order_no}
    r = await alice.execute(ONE, no=world.bj_order.order_no)
    assert r.data == {"order": None}
    r = await alice.execute("{ customers(first: 5) { totalCount } }")
    assert r.error_codes == ["FORBIDDEN"]
    r = await alice.execute(
        "query($id: ID!) { customer(id: $id) { nickname } }", id=encode_id("Customer", world.bob_id)
    )
    assert r.data == {"customer": None}
    r = await alice.execute("{ viewer { role customer { phone } } }")
    assert r.data == {"viewer": {"role": "SHOPPER", "customer": {"phone": "13811112222"}}}


async def test_staff_see_customers_of_their_stores_only(api: Api, world: World) -> None:
    r = await api.as_staff(world.bj.id).execute("{ customers(first: 10) { edges { node { phone } } } }")
    assert [e["node"]["phone"] for e in r.data["customers"]["edges"]] == ["13933334444"]


async def test_analysts_get_masked_personal_data(api: Api, world: World) -> None:
    q = "query($no: String) { order(orderNo: $no) { pickupCode consignee { phone } customer { phone } } }"
    r = await api.as_role(Role.ANALYST).execute(q, no=world.sh_order.order_no)
    assert r.data["order"] == {
        "pickupCode": None,
        "consignee": {"phone": "138****2222"},
        "customer": {"phone": "138****2222"},
    }
    r = await api.as_hq().execute(q, no=world.sh_order.order_no)
    assert r.data["order"]["consignee"]["phone"] == "13811112222"
    assert r.data["order"]["pickupCode"] == "123456"


async def test_anonymous_may_browse_but_not_read_orders(api: Api, world: World) -> None:
    r = await api.execute(LIST)
    assert r.status == 200
    assert r.data is None
    assert r.error_codes == ["UNAUTHENTICATED"]
    r = await api.execute(NODE, id=encode_id("Order", world.sh_order.id))
    assert r.data == {"node": None}
    r = await api.execute("{ stores(first: 5) { totalCount edges { node { code } } } viewer { role } }")
    assert r.errors == []
    assert r.data["stores"]["totalCount"] == 2
    assert r.data["viewer"] == {"role": None}


@pytest.mark.parametrize("header", ["Bearer nonsense", "Token abc", "Bearer "])
async def test_bad_tokens_get_401_with_a_code(api: Api, world: World, header: str) -> None:
    r = await api.with_header("authorization", header).execute(LIST)
    assert r.status == 401
    assert r.error_codes == ["UNAUTHENTICATED"]
    assert r.data is None


async def test_bad_global_ids_are_coded_errors(api: Api, world: World) -> None:
    hq = api.as_hq()
    r = await hq.execute(ONE, id="not-an-id")
    assert r.error_codes == ["BAD_USER_INPUT"]
    r = await hq.execute(ONE, id=encode_id("Store", world.sh.id))
    assert r.error_codes == ["BAD_USER_INPUT"]
    assert "must be an id of type Order, not Store" in r.errors[0]["message"]
    r = await hq.execute(NODE, id=encode_id("Spaceship", 1))
    assert r.error_codes == ["BAD_USER_INPUT"]
    r = await hq.execute(ONE)
    assert r.error_codes == ["BAD_USER_INPUT"]


async def test_unexpected_errors_are_masked_with_a_request_id(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.orders import search as order_search

    async def boom(*_args: object, **_kw: object) -> None:
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(order_search, "list_orders", boom)
    r = await api.as_hq().with_header("x-request-id", "req-123").execute(LIST)
    assert r.errors[0]["message"] == "Internal server error"
    assert r.errors[0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-123"}
    assert "hunter2" not in str(r.body)
