"""Catalogue administration (商品管理): the two-level tree, products with SKUs, the audit, archiving."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from models.catalog.rows import Category, Product, Sku, StoreSku
from models.enums import ProductStatus
from tests.api.back_office import ERRORS, gid, key, mutation, payload, refusal
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import Seed

CAT = "id name level sortOrder parent { name }"
CREATE_CAT = mutation("createCategory", "CreateCategoryInput", f"category {{ {CAT} }}")
UPDATE_CAT = mutation("updateCategory", "UpdateCategoryInput", f"category {{ {CAT} }}")
MOVE_CAT = mutation("moveCategory", "MoveCategoryInput", f"category {{ {CAT} }}")
REORDER = f"""mutation($input: ReorderCategoriesInput!) {{
  reorderCategories(input: $input) {{ categories {{ name sortOrder }} {ERRORS} }} }}"""
DELETE_CAT = mutation("deleteCategory", "DeleteCategoryInput", "deletedCategoryId")
PRODUCT = """id name status imageUrls weightGrams category { name }
  skus { id skuCode barcode spec price { cents } originalPrice { cents } } audit { listable reasons }"""
CREATE_PRODUCT = f"""mutation($input: CreateProductInput!) {{
  createProduct(input: $input) {{ product {{ {PRODUCT} }} {ERRORS} }} }}"""
UPDATE_PRODUCT = f"""mutation($input: UpdateProductInput!) {{
  updateProduct(input: $input) {{ product {{ {PRODUCT} }} {ERRORS} }} }}"""
UPDATE_SKU = f"""mutation($input: UpdateSkuInput!) {{
  updateSku(input: $input) {{ sku {{ id price {{ cents }} barcode }} {ERRORS} }} }}"""
CREATE_SKU = f"""mutation($input: CreateSkuInput!) {{
  createSku(input: $input) {{ sku {{ id skuCode spec }} {ERRORS} }} }}"""


async def test_two_level_tree_with_unique_names_ordering_moves_and_deletes(api: Api, db: Database) -> None:
    hq = api.as_hq()

    async def create(name: str, parent: str | None = None) -> dict[str, Any]:
        r = await hq.execute(CREATE_CAT, input={"name": name, "parentId": parent, "idempotencyKey": key()})
        return r.data["createCategory"]  # type: ignore[no-any-return]

    fruit = (await create("生鲜水果"))["category"]
    snacks = (await create("休闲零食"))["category"]
    citrus = (await create("柑橘橙柚", fruit["id"]))["category"]
    assert (citrus["level"], citrus["parent"]) == (2, {"name": "生鲜水果"})
    grapes = (await create("葡萄提子", fruit["id"]))["category"]
    # duplicate names under one parent, at the top level, and a third level are refused
    assert [(e["code"], e["field"]) for e in (await create("柑橘橙柚", fruit["id"]))["userErrors"]] == [
        ("DUPLICATE_NAME", ["input", "name"])
    ]
    assert [e["code"] for e in (await create(" 生鲜水果 "))["userErrors"]] == ["DUPLICATE_NAME"]
    assert [e["code"] for e in (await create("脐橙", citrus["id"]))["userErrors"]] == [
        "INVALID_CATEGORY_LEVEL"
    ]
    assert [e["code"] for e in (await create(""))["userErrors"]] == ["BAD_USER_INPUT"]
    # the same name under another parent is fine
    assert (await create("柑橘橙柚", snacks["id"]))["userErrors"] == []
    r = await hq.execute(UPDATE_CAT, input={"categoryId": grapes["id"], "name": "柑橘橙柚"})
    assert refusal(r, "updateCategory") == [("DUPLICATE_NAME", "name")]
    # reorder a level: every category once
    r = await hq.execute(
        REORDER, input={"parentId": fruit["id"], "categoryIds": [grapes["id"], citrus["id"]]}
    )
    assert payload(r, "reorderCategories")["categories"] == [
        {"name": "葡萄提子", "sortOrder": 1},
        {"name": "柑橘橙柚", "sortOrder": 2},
    ]
    r = await hq.execute(REORDER, input={"parentId": fruit["id"], "categoryIds": [grapes["id"]]})
    assert refusal(r, "reorderCategories") == [("BAD_USER_INPUT", "categoryIds")]
    # moves keep two levels and unique names
    r = await hq.execute(MOVE_CAT, input={"categoryId": grapes["id"], "parentId": snacks["id"]})
    assert payload(r, "moveCategory")["category"]["parent"] == {"name": "休闲零食"}
    r = await hq.execute(MOVE_CAT, input={"categoryId": citrus["id"], "parentId": snacks["id"]})
    assert refusal(r, "moveCategory") == [("DUPLICATE_NAME", "name")]
    r = await hq.execute(MOVE_CAT, input={"categoryId": fruit["id"], "parentId": snacks["id"]})
    assert refusal(r, "moveCategory") == [("INVALID_CATEGORY_LEVEL", "parentId")]
    # delete: only empty categories
    r = await hq.execute(DELETE_CAT, input={"categoryId": fruit["id"]})
    assert refusal(r, "deleteCategory") == [("CATEGORY_NOT_EMPTY", "categoryId")]
    r = await hq.execute(DELETE_CAT, input={"categoryId": citrus["id"]})
    assert payload(r, "deleteCategory")["deletedCategoryId"] == citrus["id"]
    r = await api.as_staff(1).execute(DELETE_CAT, input={"categoryId": fruit["id"]})
    assert r.error_codes == ["FORBIDDEN"]
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Category)) == 4


def new_product(category_id: str, **overrides: Any) -> dict[str, Any]:
    product: dict[str, Any] = {
        "categoryId": category_id,
        "name": "赣南脐橙",
        "imageUrls": ["https://img.example/orange.jpg"],
        "weightGrams": 2500,
        "skus": [
            {"spec": "5斤装", "priceCents": 3990, "originalPriceCents": 4990, "barcode": "6901000000011"},
            {"spec": "10斤装", "priceCents": 6990, "originalPriceCents": 8990, "barcode": "6901000000028"},
        ],
        "idempotencyKey": key(),
    }
    product.update(overrides)
    return product


async def test_products_with_skus_bad_input_and_the_audit(api: Api, seed: Seed, db: Database) -> None:
    fruit = await seed.category("生鲜水果")
    citrus = await seed.category("柑橘橙柚", parent=fruit)
    _, taken = await seed.product("已有商品", citrus)
    hq = api.as_hq()
    leaf = gid("Category", citrus.id)
    bad = [
        (
            new_product(leaf, skus=[{"spec": "1斤", "priceCents": -100, "originalPriceCents": 100}]),
            "INVALID_PRICE",
            "skus.0.priceCents",
        ),
        (new_product(gid("Category", fruit.id)), "INVALID_CATEGORY_LEVEL", "categoryId"),
        (new_product(leaf, name=" "), "BAD_USER_INPUT", "name"),
        (
            new_product(
                leaf,
                skus=[{"spec": "a", "priceCents": 1, "originalPriceCents": 1, "barcode": taken[0].barcode}],
            ),
            "DUPLICATE_CODE",
            "skus.0.barcode",
        ),
        (
            new_product(
                leaf,
                skus=[
                    {"spec": "a", "priceCents": 1, "originalPriceCents": 1, "barcode": "690100"},
                    {"spec": "b", "priceCents": 1, "originalPriceCents": 1, "barcode": "690100"},
                ],
            ),
            "DUPLICATE_CODE",
            "skus.1.barcode",
        ),
        (new_product(leaf, imageUrls=[], status="ACTIVE"), "NOT_LISTABLE", "status"),
        (new_product(leaf, imageUrls=["http://insecure.example/x.jpg"]), "BAD_USER_INPUT", "imageUrls.0"),
    ]
    for variables, code, field in bad:
        assert refusal(await hq.execute(CREATE_PRODUCT, input=variables), "createProduct") == [(code, field)]
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Product)) == 1  # nothing half-created
    # a draft may lack information; the audit says what is missing
    r = await hq.execute(CREATE_PRODUCT, input=new_product(leaf, imageUrls=[], weightGrams=None))
    draft = payload(r, "createProduct")["product"]
    assert draft["status"] == "DRAFT"
    assert draft["audit"] == {"listable": False, "reasons": ["MISSING_IMAGE", "MISSING_WEIGHT"]}
    assert [s["skuCode"] for s in draft["skus"]] == [f"P{gid_pk(draft['id'])}-1", f"P{gid_pk(draft['id'])}-2"]
    r = await hq.execute(UPDATE_PRODUCT, input={"productId": draft["id"], "status": "ACTIVE"})
    assert refusal(r, "updateProduct") == [("NOT_LISTABLE", "status")]
    assert "MISSING_IMAGE" in r.data["updateProduct"]["userErrors"][0]["message"]
    r = await hq.execute(
        UPDATE_PRODUCT,
        input={
            "productId": draft["id"],
            "imageUrls": ["https://img.example/o.jpg"],
            "weightGrams": 2500,
            "status": "ACTIVE",
        },
    )
    active = payload(r, "updateProduct")["product"]
    assert (active["status"], active["audit"]["listable"]) == ("ACTIVE", True)
    # an ACTIVE product stays listable: its SKU price may not rise above the crossed-out price
    sku_id = active["skus"][0]["id"]
    r = await hq.execute(UPDATE_SKU, input={"skuId": sku_id, "priceCents": 5990})
    assert refusal(r, "updateSku") == [("NOT_LISTABLE", "status")]
    r = await hq.execute(UPDATE_SKU, input={"skuId": sku_id, "priceCents": -1})
    assert refusal(r, "updateSku") == [("INVALID_PRICE", "priceCents")]
    r = await hq.execute(UPDATE_SKU, input={"skuId": sku_id, "priceCents": 3590})
    assert payload(r, "updateSku")["sku"]["price"] == {"cents": 3590}
    r = await hq.execute(
        CREATE_SKU,
        input={
            "productId": active["id"],
            "spec": "礼盒装",
            "priceCents": 9900,
            "originalPriceCents": 12900,
            "barcode": "6901000000035",
        },
    )
    assert payload(r, "createSku")["sku"]["skuCode"] == f"P{gid_pk(active['id'])}-3"
    r = await api.as_staff(1).execute(UPDATE_SKU, input={"skuId": sku_id, "priceCents": 1})
    assert r.error_codes == ["FORBIDDEN"]


def gid_pk(global_id: str) -> int:
    from gql.ids import parse_global_id

    return int(parse_global_id(global_id).node_id)


async def test_archiving_takes_a_product_off_every_shelf(api: Api, seed: Seed, db: Database) -> None:
    a, b = await seed.store("SH001"), await seed.store("SH002")
    product, skus = await seed.product("阳光玫瑰", prices=(2990, 4990), listable=True)
    for store in (a, b):
        for sku in skus:
            await seed.listing(store, sku, stock=5)
    r = await api.as_hq().execute(
        UPDATE_PRODUCT, input={"productId": gid("Product", product.id), "status": "ARCHIVED"}
    )
    assert payload(r, "updateProduct")["product"]["status"] == "ARCHIVED"
    async with db.sessions() as s:
        assert set((await s.scalars(select(StoreSku.on_shelf))).all()) == {False}
        assert await s.scalar(select(Product.status)) is ProductStatus.ARCHIVED
        assert await s.scalar(select(func.count()).select_from(Sku)) == 2  # order lines still need them
    q = "query($code: String) { products(first: 5, filter: { code: $code }) { edges { node { name } } } }"
    r = await api.execute(q, code=skus[1].barcode)
    assert r.data["products"]["edges"] == [{"node": {"name": "阳光玫瑰"}}]
