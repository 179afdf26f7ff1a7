"""Every cell of `NODE_SCOPE` and of the PII policy, checked against real rows of two stores.

IDOR: a row outside the caller's scope is "not found" (null, no error) by global id, by the typed
root field and in lists, exactly like a row that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gql.gate.permissions import NODE_SCOPE, ROOT_FIELD_AUDIENCE, Scope
from gql.ids import encode_id, parse_global_id
from models.after_sales.states import AfterSaleStatus
from models.enums import Fulfillment, Role
from models.pii import mask_address, mask_phone, sees_full_pii
from models.principals import Principal
from tests.api.conftest import Api
from tests.factories import Seed

NODE = "query($id: ID!) { node(id: $id) { id } }"
ADDRESS = "世纪大道100号3栋502室"


@dataclass(frozen=True)
class Row:
    type_name: str
    pk: int
    store_id: int
    customer_id: int


@dataclass
class World:
    store_a: int
    store_b: int
    alice: int
    bob: int
    rows: list[Row]
    order_nos: dict[int, str]


@pytest.fixture
async def world(seed: Seed, api: Api) -> World:
    a, b = await seed.store("SH001"), await seed.store("BJ001")
    alice, bob = await seed.customer("13811112222"), await seed.customer("13933334444")
    _, skus = await seed.product()
    rows: list[Row] = []
    order_nos: dict[int, str] = {}
    for store, customer in ((a, alice), (b, bob)):
        order = await seed.order(
            store,
            customer,
            [(skus[0], 2)],
            fulfillment=Fulfillment.STORE_DELIVERY,
            parcels=1,
            consignee_address=ADDRESS,
            consignee_latitude=31.2,
            consignee_longitude=121.5,
        )
        after_sale = await seed.after_sale(order, AfterSaleStatus.PENDING_REVIEW)
        order_nos[order.id] = order.order_no
        r = await api.as_hq().execute(
            "query($id: ID!) { order(id: $id) { lines { id } parcels { id } } }",
            id=encode_id("Order", order.id),
        )
        line_gid, parcel_gid = r.data["order"]["lines"][0]["id"], r.data["order"]["parcels"][0]["id"]
        rows += [
            Row("Order", order.id, store.id, customer.id),
            Row("AfterSale", after_sale.id, store.id, customer.id),
            Row("Customer", customer.id, store.id, customer.id),
            Row("OrderLine", _pk(line_gid), store.id, customer.id),
            Row("Parcel", _pk(parcel_gid), store.id, customer.id),
        ]
    return World(a.id, b.id, alice.id, bob.id, rows, order_nos)


def _pk(global_id: str) -> int:
    return int(parse_global_id(global_id).node_id)


def _callers(api: Api, w: World) -> list[tuple[Principal, Api]]:
    return [
        (Principal(None), api),
        (Principal(Role.HQ_ADMIN, "hq"), api.as_hq()),
        (Principal(Role.ANALYST, "an"), api.as_role(Role.ANALYST)),
        (Principal(Role.STORE_STAFF, "st", store_ids=frozenset({w.store_a})), api.as_staff(w.store_a)),
        (Principal(Role.SHOPPER, "sh", customer_id=w.alice), api.as_shopper(w.alice)),
    ]


def _expected(scope: Scope, principal: Principal, row: Row) -> bool:
    return {
        Scope.ALL: True,
        Scope.OWN_STORES: row.store_id in principal.store_ids,
        Scope.OWN: row.customer_id == principal.customer_id,
        Scope.NONE: False,
    }[scope]


async def test_every_scope_cell_by_global_id(api: Api, world: World) -> None:
    assert {r.type_name for r in world.rows} == set(NODE_SCOPE)
    for principal, caller in _callers(api, world):
        for row in world.rows:
            visible = _expected(NODE_SCOPE[row.type_name][principal.role], principal, row)
            gid = encode_id(row.type_name, row.pk)
            r = await caller.execute(NODE, id=gid)
            assert r.errors == [], (principal.role, row)
            assert (r.data["node"] is not None) is visible, (principal.role, row, r.data)


async def test_typed_root_fields_and_lists_follow_the_same_scope(api: Api, world: World) -> None:
    typed = {
        "Order": "query($id: ID!) { x: order(id: $id) { id } }",
        "AfterSale": "query($id: ID!) { x: afterSale(id: $id) { id } }",
        "Customer": "query($id: ID!) { x: customer(id: $id) { id } }",
    }
    lists = {
        "Order": ("Query.orders", "{ x: orders { totalCount } }"),
        "AfterSale": ("Query.afterSales", "{ x: afterSales { totalCount } }"),
        "Customer": ("Query.customers", "{ x: customers { totalCount } }"),
    }
    for principal, caller in _callers(api, world):
        if principal.role is None:
            continue  # anonymous callers are refused these fields outright (test_role_matrix)
        for row in world.rows:
            if row.type_name not in typed:
                continue
            visible = _expected(NODE_SCOPE[row.type_name][principal.role], principal, row)
            r = await caller.execute(typed[row.type_name], id=encode_id(row.type_name, row.pk))
            assert r.errors == [], (principal.role, row, r.body)
            assert (r.data["x"] is not None) is visible, (principal.role, row)
        for type_name, (field, query) in lists.items():
            if principal.role not in ROOT_FIELD_AUDIENCE[field]:
                continue  # e.g. shoppers may not list customers at all (test_role_matrix)
            r = await caller.execute(query)
            count = sum(
                _expected(NODE_SCOPE[type_name][principal.role], principal, row)
                for row in world.rows
                if row.type_name == type_name
            )
            assert r.data["x"]["totalCount"] == count, (principal.role, type_name)


async def test_personal_data_is_full_only_for_hq_and_the_owning_store(api: Api, world: World) -> None:
    q = """query($id: ID!) { order(id: $id) {
        consignee { phone address latitude longitude } customer { phone } } }"""
    phones = {world.rows[0].pk: "13811112222", world.rows[5].pk: "13933334444"}
    for principal, caller in _callers(api, world):
        if principal.role is None:
            continue
        for row in (r for r in world.rows if r.type_name == "Order"):
            if not _expected(NODE_SCOPE["Order"][principal.role], principal, row):
                continue
            r = await caller.execute(q, id=encode_id("Order", row.pk))
            order = r.data["order"]
            phone = phones[row.pk]
            if sees_full_pii(principal, row.store_id):
                assert principal.role is not Role.ANALYST
                assert order["consignee"] == {
                    "phone": phone,
                    "address": ADDRESS,
                    "latitude": 31.2,
                    "longitude": 121.5,
                }
                assert order["customer"]["phone"] == phone
            else:
                assert principal.role is Role.ANALYST
                assert order["consignee"] == {
                    "phone": mask_phone(phone),
                    "address": mask_address(ADDRESS),
                    "latitude": None,
                    "longitude": None,
                }
                assert order["customer"]["phone"] == mask_phone(phone)


def test_the_pii_policy() -> None:
    staff = Principal(Role.STORE_STAFF, "s", store_ids=frozenset({1}))
    assert sees_full_pii(Principal(Role.HQ_ADMIN, "h"), 2)
    assert sees_full_pii(staff, 1)
    assert not sees_full_pii(staff, 2)  # another store's order
    assert sees_full_pii(staff, None)  # a customer reached through the staff's own scope
    assert not sees_full_pii(Principal(Role.ANALYST, "a"), 1)
    assert not sees_full_pii(Principal(None), None)
    assert mask_address(ADDRESS) == "世纪大道****"
    assert mask_address("张江路1号") == "张****"
    assert mask_address("") == "****"


async def test_search_by_phone_works_for_those_allowed(api: Api, world: World) -> None:
    q = "query($p: String) { orders(filter: { phone: $p }) { totalCount } }"
    assert (await api.as_hq().execute(q, p="2222")).data["orders"]["totalCount"] == 1
    assert (await api.as_staff(world.store_a).execute(q, p="13811112222")).data["orders"]["totalCount"] == 1
    assert (await api.as_staff(world.store_a).execute(q, p="4444")).data["orders"]["totalCount"] == 0
    assert (await api.as_role(Role.ANALYST).execute(q, p="2222")).error_codes == ["FORBIDDEN"]
