"""Stores, categories and products: public browsing with filters and nested SKUs."""

from __future__ import annotations

from gql.ids import encode_id
from models.enums import StoreStatus
from tests.api.conftest import Api
from tests.factories import Seed


async def test_category_tree_and_product_filters(api: Api, seed: Seed) -> None:
    fruit = await seed.category("生鲜水果")
    citrus = await seed.category("柑橘橙柚", parent=fruit)
    grapes = await seed.category("葡萄提子", parent=fruit)
    snacks = await seed.category("休闲零食")
    chips = await seed.category("膨化食品", parent=snacks)
    orange, orange_skus = await seed.product("赣南脐橙", citrus, prices=(1990, 3590))
    grape, grape_skus = await seed.product("阳光玫瑰青提", grapes)
    await seed.product("乐事薯片", chips)
    store = await seed.store("SH001")
    await seed.listing(store, orange_skus[0], stock=0)  # sold out but on the shelf
    await seed.listing(store, grape_skus[0], on_shelf=False)

    r = await api.execute("{ categories { name children { name parent { name } } } }")
    assert r.data["categories"][0] == {
        "name": "生鲜水果",
        "children": [
            {"name": "柑橘橙柚", "parent": {"name": "生鲜水果"}},
            {"name": "葡萄提子", "parent": {"name": "生鲜水果"}},
        ],
    }

    q = """query($f: ProductFilter) { products(first: 10, filter: $f) {
        totalCount edges { node { name category { name } skus { spec price { amount } } } } } }"""
    r = await api.execute(q, f={"categoryId": encode_id("Category", fruit.id)})
    assert r.data["products"]["totalCount"] == 2
    r = await api.execute(q, f={"name": "脐橙"})
    node = r.data["products"]["edges"][0]["node"]
    assert node["name"] == "赣南脐橙"
    assert node["category"]["name"] == "柑橘橙柚"
    assert [s["price"]["amount"] for s in node["skus"]] == ["19.90", "35.90"]
    r = await api.execute(q, f={"onShelfAtStore": encode_id("Store", store.id)})
    assert [e["node"]["name"] for e in r.data["products"]["edges"]] == ["赣南脐橙"]
    r = await api.execute(q, f={"categoryId": encode_id("Store", store.id)})
    assert r.error_codes == ["BAD_USER_INPUT"]
    assert orange.id != grape.id


async def test_store_filters_and_lookup(api: Api, seed: Seed) -> None:
    hours = [{"weekday": d, "open": "08:00", "close": "22:00"} for d in range(1, 8)]
    await seed.store("SH001", name="鲜丰超市·张江店", business_hours=hours)
    await seed.store("SH002", name="鲜丰超市·陆家嘴店", status=StoreStatus.PAUSED)
    await seed.store("BJ001", name="物美·望京店")
    q = """query($f: StoreFilter) {
        stores(first: 10, filter: $f) { edges { node { code status fulfillmentMethods } } } }"""
    r = await api.execute(q, f={"search": "SH"})
    assert [e["node"]["code"] for e in r.data["stores"]["edges"]] == ["SH001", "SH002"]
    r = await api.execute(q, f={"search": "望京"})
    assert [e["node"]["code"] for e in r.data["stores"]["edges"]] == ["BJ001"]
    r = await api.execute(q, f={"status": ["PAUSED"]})
    assert r.data["stores"]["edges"] == [
        {
            "node": {
                "code": "SH002",
                "status": "PAUSED",
                "fulfillmentMethods": ["SELF_PICKUP", "STORE_DELIVERY"],
            }
        }
    ]
    r = await api.execute(
        '{ store(code: "SH001") { name businessHours { weekday open close } deliveryFee { amount } } }'
    )
    assert r.data["store"]["name"] == "鲜丰超市·张江店"
    assert r.data["store"]["businessHours"][0] == {"weekday": 1, "open": "08:00", "close": "22:00"}
    assert r.data["store"]["deliveryFee"] == {"amount": "5.00"}
