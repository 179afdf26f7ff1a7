"""Store listings (门店商品): price override, stock, shelf; sold out is automatic and not off shelf."""

from __future__ import annotations

from sqlalchemy import select

from models.action_log import ActionLog, LoggedAction
from models.catalog.rows import StoreSku
from models.enums import Role
from tests.api.back_office import gid, mutation, payload, refusal
from tests.api.conftest import Api
from tests.api.order_flow import PLACE, key, refused
from tests.conftest import Database
from tests.factories import Seed

LISTING = "id stock onShelf soldOut shelfState purchaseLimit price { cents } priceOverride { cents }"
SET = mutation("setStoreSku", "SetStoreSkuInput", f"storeSku {{ {LISTING} }}")
SHELF = mutation("setStoreSkusOnShelf", "SetShelfInput", "changed")
LIST = f"""query($f: StoreSkuFilter) {{ storeSkus(first: 20, filter: $f) {{ totalCount
  edges {{ node {{ {LISTING} sku {{ spec }} store {{ code }} }} }} }} }}"""


async def test_sold_out_is_automatic_and_distinct_from_off_shelf(api: Api, seed: Seed, db: Database) -> None:
    store = await seed.store("SH001")
    customer = await seed.customer()
    _, [sku] = await seed.product("车厘子", prices=(5990,), listable=True)
    staff = api.as_staff(store.id)
    base = {"storeId": gid("Store", store.id), "skuId": gid("Sku", sku.id)}
    # a new listing starts off the shelf; going on the shelf needs a listable product
    r = await staff.execute(SET, input={**base, "stock": 1, "priceOverrideCents": 4990, "purchaseLimit": 2})
    listing = payload(r, "setStoreSku")["storeSku"]
    assert (listing["shelfState"], listing["price"], listing["soldOut"]) == (
        "OFF_SHELF",
        {"cents": 4990},
        False,
    )
    r = await staff.execute(SET, input={**base, "onShelf": True})
    assert payload(r, "setStoreSku")["storeSku"]["shelfState"] == "ON_SALE"
    # the last unit sells: sold out, still on the shelf
    shopper = api.as_shopper(customer.id)
    order = {
        "storeId": base["storeId"],
        "fulfillment": "SELF_PICKUP",
        "lines": [{"skuId": base["skuId"], "quantity": 1}],
        "consignee": {"name": "张三", "phone": "13800138000"},
        "idempotencyKey": key(),
    }
    r = await shopper.execute(PLACE, input=order)
    assert r.data["placeOrder"]["userErrors"] == []
    q = f"""query($id: ID!, $store: ID!) {{
      node(id: $id) {{ ... on Sku {{ listing(storeId: $store) {{ {LISTING} }} }} }} }}"""
    r = await api.execute(q, id=base["skuId"], store=base["storeId"])
    assert r.data["node"]["listing"]["shelfState"] == "SOLD_OUT"
    assert (r.data["node"]["listing"]["onShelf"], r.data["node"]["listing"]["soldOut"]) == (True, True)
    assert refused(await shopper.execute(PLACE, input={**order, "idempotencyKey": key()}), "placeOrder") == [
        "OUT_OF_STOCK"
    ]
    # restocking puts it back on sale by itself; taking it off the shelf is a separate decision
    r = await staff.execute(SET, input={**base, "stock": 8})
    assert payload(r, "setStoreSku")["storeSku"]["shelfState"] == "ON_SALE"
    r = await staff.execute(
        SET, input={**base, "onShelf": False, "priceOverrideCents": None, "purchaseLimit": None}
    )
    listing = payload(r, "setStoreSku")["storeSku"]
    assert (listing["shelfState"], listing["soldOut"], listing["priceOverride"]) == ("OFF_SHELF", False, None)
    assert (listing["price"], listing["purchaseLimit"]) == ({"cents": 5990}, None)
    for variables, expected in (
        ({**base, "stock": -1}, ("INVALID_STOCK", "stock")),
        ({**base, "priceOverrideCents": -1}, ("INVALID_PRICE", "priceOverrideCents")),
        ({**base, "purchaseLimit": 0}, ("BAD_USER_INPUT", "purchaseLimit")),
        ({**base, "stock": None}, ("BAD_USER_INPUT", "stock")),
    ):
        assert refusal(await staff.execute(SET, input=variables), "setStoreSku") == [expected]
    async with db.sessions() as s:
        actions = (await s.scalars(select(ActionLog.action).order_by(ActionLog.id))).all()
    assert actions == [
        LoggedAction.CREATE,
        LoggedAction.SHELF_ON,
        LoggedAction.UPDATE,
        LoggedAction.UPDATE,
    ]


async def test_unlistable_products_stay_off_the_shelf(api: Api, seed: Seed) -> None:
    store = await seed.store("SH001")
    _, [bare] = await seed.product("无图商品")  # no image, no weight
    await seed.listing(store, bare, stock=5, on_shelf=False)
    r = await api.as_hq().execute(
        SET, input={"storeId": gid("Store", store.id), "skuId": gid("Sku", bare.id), "onShelf": True}
    )
    assert refusal(r, "setStoreSku") == [("NOT_LISTABLE", "onShelf")]
    assert "MISSING_IMAGE, MISSING_WEIGHT" in r.data["setStoreSku"]["userErrors"][0]["message"]


async def test_batch_shelf_is_all_or_nothing_and_scoped(api: Api, seed: Seed, db: Database) -> None:
    store, other = await seed.store("SH001"), await seed.store("SH002")
    _, good = await seed.product("苹果", prices=(1000, 2000), listable=True)
    _, [bare] = await seed.product("无图商品")
    _, [unlisted] = await seed.product("未上架商品", listable=True)
    for sku in (*good, bare):
        await seed.listing(store, sku, stock=0, on_shelf=False)
    staff = api.as_staff(store.id)
    ids = [gid("Sku", s.id) for s in (*good, bare, unlisted)]
    r = await staff.execute(SHELF, input={"storeId": gid("Store", store.id), "skuIds": ids, "onShelf": True})
    assert refusal(r, "setStoreSkusOnShelf") == [("NOT_LISTABLE", "skuIds.2"), ("NOT_FOUND", "skuIds.3")]
    async with db.sessions() as s:
        assert set((await s.scalars(select(StoreSku.on_shelf))).all()) == {False}  # nothing applied
    r = await staff.execute(
        SHELF, input={"storeId": gid("Store", store.id), "skuIds": ids[:2], "onShelf": True}
    )
    assert payload(r, "setStoreSkusOnShelf")["changed"] == 2
    r = await staff.execute(
        SHELF, input={"storeId": gid("Store", other.id), "skuIds": ids[:1], "onShelf": True}
    )
    assert refusal(r, "setStoreSkusOnShelf") == [("FORBIDDEN", "storeId")]
    # the back-office list: by shelf state, search by name / barcode, scoped to the caller
    r = await staff.execute(LIST, f={"shelfState": ["SOLD_OUT"]})
    assert [e["node"]["sku"]["spec"] for e in r.data["storeSkus"]["edges"]] == ["规格0", "规格1"]
    r = await staff.execute(LIST, f={"shelfState": ["OFF_SHELF"], "search": "无图"})
    assert r.data["storeSkus"]["totalCount"] == 1
    r = await staff.execute(LIST, f={"search": good[1].barcode})
    assert r.data["storeSkus"]["totalCount"] == 1
    r = await api.as_staff(other.id).execute(LIST)
    assert r.data["storeSkus"]["totalCount"] == 0
    r = await api.as_role(Role.ANALYST).execute(LIST, f={"storeId": gid("Store", store.id)})
    assert r.data["storeSkus"]["totalCount"] == 3
    r = await api.as_role(Role.SHOPPER, customer_id=1).execute(LIST)
    assert r.error_codes == ["FORBIDDEN"]
