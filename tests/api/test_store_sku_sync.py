"""Batch price/stock sync (价格/库存同步): one transaction, row errors by index, nothing half-applied."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from models.action_log import ActionLog, LoggedAction
from models.catalog.rows import Sku, StoreSku
from models.stores.rows import Store
from services.db import count_statements
from tests.api.back_office import gid, key
from tests.api.conftest import Api, Response
from tests.conftest import Database
from tests.factories import Seed

SYNC = """mutation($input: SyncStoreSkusInput!) { syncStoreSkus(input: $input) {
  received updated created unchanged rowErrors { index code field message }
  userErrors { code field message } } }"""


async def _store_with_skus(seed: Seed, listed: int, unlisted: int) -> tuple[Store, list[Sku]]:
    store = await seed.store("SH001")
    _, skus = await seed.product(
        "批量商品", prices=tuple(1000 + i for i in range(listed + unlisted)), listable=True
    )
    for sku in skus[:listed]:
        await seed.listing(store, sku, stock=10)
    return store, skus


async def _stock_and_prices(db: Database) -> dict[int, tuple[int, int | None, bool]]:
    async with db.sessions() as s:
        rows = (await s.scalars(select(StoreSku))).all()
    return {r.sku_id: (r.stock, r.price_override, r.on_shelf) for r in rows}


def _sync(store: Store, items: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    return {"storeId": gid("Store", store.id), "items": items, "idempotencyKey": key(), **kw}


def _body(r: Response) -> dict[str, Any]:
    assert r.errors == [], r.errors
    body: dict[str, Any] = r.data["syncStoreSkus"]
    return body


async def test_a_sync_updates_creates_and_leaves_unchanged(api: Api, seed: Seed, db: Database) -> None:
    store, skus = await _store_with_skus(seed, listed=3, unlisted=1)
    items: list[dict[str, Any]] = [
        {"barcode": skus[0].barcode, "priceCents": 990, "stock": 7},  # both change
        {"skuId": gid("Sku", skus[1].id), "stock": 0},  # sells out, stays on the shelf
        {"barcode": skus[2].barcode, "stock": 10},  # already so
        {"barcode": skus[3].barcode, "priceCents": 1500, "stock": 4},  # not listed yet: listed off shelf
    ]
    body = _body(await api.as_staff(store.id).execute(SYNC, input=_sync(store, items)))
    assert {k: body[k] for k in ("received", "updated", "created", "unchanged")} == {
        "received": 4,
        "updated": 2,
        "created": 1,
        "unchanged": 1,
    }
    assert (body["rowErrors"], body["userErrors"]) == ([], [])
    assert await _stock_and_prices(db) == {
        skus[0].id: (7, 990, True),
        skus[1].id: (0, None, True),
        skus[2].id: (10, None, True),
        skus[3].id: (4, 1500, False),
    }
    async with db.sessions() as s:
        logs = (await s.scalars(select(ActionLog).order_by(ActionLog.id))).all()
    assert [(log.action, log.changes) for log in logs] == [
        (LoggedAction.SYNC, {"price_override": [None, 990], "stock": [10, 7]}),
        (LoggedAction.SYNC, {"stock": [10, 0]}),
        (LoggedAction.CREATE, {"price_override": [None, 1500], "stock": [None, 4]}),
    ]
    assert {log.actor_type.value for log in logs} == {"STAFF"}


async def test_a_bad_row_refuses_the_batch_with_every_bad_index(api: Api, seed: Seed, db: Database) -> None:
    store, skus = await _store_with_skus(seed, listed=3, unlisted=0)
    before = await _stock_and_prices(db)
    items: list[dict[str, Any]] = [
        {"barcode": skus[0].barcode, "stock": 1},
        {"barcode": "0000000000000", "stock": 1},  # unknown barcode
        {"barcode": skus[1].barcode, "priceCents": -100},  # negative price
        {"barcode": skus[2].barcode, "stock": -3},
        {"barcode": skus[0].barcode, "stock": 2},  # the same SKU twice
        {"barcode": skus[2].barcode, "skuId": gid("Sku", skus[2].id), "stock": 1},
        {"skuId": "garbage", "stock": 1},
        {"barcode": skus[1].barcode},  # nothing to set
    ]
    body = _body(await api.as_hq().execute(SYNC, input=_sync(store, items)))
    expected = [
        (1, "NOT_FOUND", "items.1.barcode"),
        (2, "INVALID_PRICE", "items.2.priceCents"),
        (3, "INVALID_STOCK", "items.3.stock"),
        (4, "BAD_USER_INPUT", "items.4.barcode"),
        (5, "BAD_USER_INPUT", "items.5"),
        (6, "NOT_FOUND", "items.6.skuId"),
        (7, "BAD_USER_INPUT", "items.7"),
    ]
    assert [(e["index"], e["code"], ".".join(e["field"][1:])) for e in body["rowErrors"]] == expected
    assert [(e["code"], ".".join(e["field"][1:])) for e in body["userErrors"]] == [
        (c, f) for _, c, f in expected
    ]
    assert "row 0" in body["rowErrors"][3]["message"]
    assert body["updated"] == 0
    assert await _stock_and_prices(db) == before  # row 0 was fine, and still not applied
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ActionLog)) == 0


async def test_partial_mode_applies_the_good_rows_and_reports_the_rest(
    api: Api, seed: Seed, db: Database
) -> None:
    store, skus = await _store_with_skus(seed, listed=2, unlisted=0)
    items: list[dict[str, Any]] = [
        {"barcode": "unknown-1", "stock": 1},
        {"barcode": skus[0].barcode, "stock": 3},
        {"barcode": skus[1].barcode, "priceCents": -1},
    ]
    body = _body(await api.as_staff(store.id).execute(SYNC, input=_sync(store, items, allOrNothing=False)))
    assert (body["updated"], body["userErrors"]) == (1, [])
    assert [(e["index"], e["code"]) for e in body["rowErrors"]] == [(0, "NOT_FOUND"), (2, "INVALID_PRICE")]
    assert (await _stock_and_prices(db))[skus[0].id] == (3, None, True)


async def test_limits_scope_and_replay(api: Api, seed: Seed, db: Database) -> None:
    store, skus = await _store_with_skus(seed, listed=1, unlisted=0)
    other = await seed.store("SH002")
    row = {"barcode": skus[0].barcode, "stock": 1}
    body = _body(await api.as_hq().execute(SYNC, input=_sync(store, [row] * 5_001)))
    assert [(e["code"], e["field"]) for e in body["userErrors"]] == [("BATCH_TOO_LARGE", ["input", "items"])]
    body = _body(await api.as_staff(other.id).execute(SYNC, input=_sync(store, [row])))
    assert [e["code"] for e in body["userErrors"]] == ["FORBIDDEN"]
    staff = api.as_staff(store.id)
    request = _sync(store, [{"barcode": skus[0].barcode, "stock": 6}])
    first = _body(await staff.execute(SYNC, input=request))
    replay = _body(await staff.execute(SYNC, input=request))
    assert first == replay == {**first, "updated": 1}
    changed = _body(await staff.execute(SYNC, input={**request, "items": [row]}))
    assert [e["code"] for e in changed["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(ActionLog)) == 1  # the replay did nothing


async def test_statements_do_not_grow_with_the_row_count(api: Api, seed: Seed) -> None:
    store, skus = await _store_with_skus(seed, listed=60, unlisted=70)
    hq = api.as_hq()
    counts = []
    for size, new in ((10, skus[60:70]), (60, skus[70:130])):
        items = [{"barcode": s.barcode, "priceCents": 500 + size, "stock": size} for s in skus[:size]]
        items += [{"skuId": gid("Sku", s.id), "stock": 1} for s in new]
        with count_statements() as counter:
            body = _body(await hq.execute(SYNC, input={"storeId": gid("Store", store.id), "items": items}))
        assert (body["updated"], body["created"]) == (size, size)
        counts.append(counter.count)
    # store, barcodes, ids, listings (locked), UPDATE, INSERT … RETURNING, action log INSERT
    assert counts[0] == counts[1] == 7
