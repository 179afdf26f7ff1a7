"""Batch approve / reject / refund: each item on its own, each with its own answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from models.enums import PaymentKind
from models.payments import PaymentTransaction
from tests.api.after_sale_flow import after_sale_in
from tests.api.conftest import Api
from tests.api.order_flow import key, open_shop
from tests.conftest import Database
from tests.factories import Seed

RESULTS = """results { afterSaleId afterSale { status } userErrors { code field } }
  succeeded failed userErrors { code field }"""
APPROVE = (
    f"""mutation($input: BatchAfterSaleInput!) {{ batchApproveAfterSales(input: $input) {{ {RESULTS} }} }}"""
)
REFUND = (
    f"""mutation($input: BatchAfterSaleInput!) {{ batchRefundAfterSales(input: $input) {{ {RESULTS} }} }}"""
)
REJECT = (
    "mutation($input: BatchRejectAfterSalesInput!) {"
    f" batchRejectAfterSales(input: $input) {{ {RESULTS} }} }}"
)


def _items(payload: dict[str, Any]) -> list[tuple[str | None, list[str]]]:
    return [
        (
            r["afterSale"]["status"] if r["afterSale"] else None,
            [e["code"] for e in r["userErrors"]],
        )
        for r in payload["results"]
    ]


async def _refunds(db: Database) -> int:
    async with db.sessions() as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(PaymentTransaction)
                .where(PaymentTransaction.kind == PaymentKind.REFUND)
            )
            or 0
        )


async def test_one_failing_item_leaves_the_others_done(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    _, refund_only = await after_sale_in(api, shop, "PENDING_REVIEW_REFUND_ONLY")
    _, waiting = await after_sale_in(api, shop, "AWAITING_RETURN")
    _, a_return = await after_sale_in(api, shop, "PENDING_REVIEW")
    staff = api.as_staff(shop.a.id)
    ids = [refund_only["id"], waiting["id"], a_return["id"]]
    r = await staff.execute(APPROVE, input={"afterSaleIds": ids, "idempotencyKey": "batch-1"})
    payload = r.data["batchApproveAfterSales"]
    assert [x["afterSaleId"] for x in payload["results"]] == ids
    assert _items(payload) == [
        ("REFUNDED", []),
        ("AWAITING_RETURN", ["INVALID_TRANSITION"]),
        ("AWAITING_RETURN", []),
    ]
    assert (payload["succeeded"], payload["failed"], payload["userErrors"]) == (2, 1, [])
    assert await _refunds(db) == 1

    # the same batch again with its key replays every item's answer and acts on nothing
    r = await staff.execute(APPROVE, input={"afterSaleIds": ids, "idempotencyKey": "batch-1"})
    assert _items(r.data["batchApproveAfterSales"])[0] == ("REFUNDED", [])
    assert await _refunds(db) == 1


async def test_batch_refund_pays_each_after_sale_whose_next_step_pays(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed, stock=50)
    _, arrived = await after_sale_in(api, shop, "RETURN_SHIPPED")
    _, refund_only = await after_sale_in(api, shop, "PENDING_REVIEW_REFUND_ONLY")
    _, waiting = await after_sale_in(api, shop, "AWAITING_RETURN")
    _, a_return = await after_sale_in(api, shop, "PENDING_REVIEW")
    ids = [arrived["id"], refund_only["id"], waiting["id"], a_return["id"]]
    r = await api.as_hq().execute(REFUND, input={"afterSaleIds": ids})
    payload = r.data["batchRefundAfterSales"]
    assert _items(payload) == [
        ("REFUNDED", []),
        ("REFUNDED", []),
        ("AWAITING_RETURN", ["INVALID_TRANSITION"]),
        ("PENDING_REVIEW", ["INVALID_TRANSITION"]),
    ]
    assert await _refunds(db) == 2


async def test_batch_reject_and_items_of_other_stores(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    _, first = await after_sale_in(api, shop, "PENDING_REVIEW")
    _, second = await after_sale_in(api, shop, "PENDING_REVIEW_REFUND_ONLY")
    stranger = api.as_staff(shop.b.id)  # another store's staff sees neither
    r = await stranger.execute(REJECT, input={"afterSaleIds": [first["id"]], "reason": "不符合"})
    assert _items(r.data["batchRejectAfterSales"]) == [(None, ["NOT_FOUND"])]
    staff = api.as_staff(shop.a.id)
    r = await staff.execute(REJECT, input={"afterSaleIds": [first["id"], second["id"]], "reason": "  "})
    assert _items(r.data["batchRejectAfterSales"]) == [
        ("PENDING_REVIEW", ["BAD_USER_INPUT"]),
        ("PENDING_REVIEW", ["BAD_USER_INPUT"]),
    ]
    r = await staff.execute(
        REJECT, input={"afterSaleIds": [first["id"], second["id"]], "reason": "超出售后期"}
    )
    assert _items(r.data["batchRejectAfterSales"]) == [("REJECTED", []), ("REJECTED", [])]


async def test_a_malformed_batch_does_nothing(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed, stock=50)
    _, a = await after_sale_in(api, shop, "PENDING_REVIEW_REFUND_ONLY")
    staff = api.as_staff(shop.a.id)
    for ids, field in (
        ([a["id"], a["id"]], "afterSaleIds"),
        ([], "afterSaleIds"),
        ([a["id"]] * 51, "afterSaleIds"),
        ([a["id"], "bm90LWFuLWlk"], "afterSaleIds.1"),
    ):
        r = await staff.execute(APPROVE, input={"afterSaleIds": ids, "idempotencyKey": key()})
        payload = r.data["batchApproveAfterSales"]
        assert payload["results"] == []
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("BAD_USER_INPUT", ["input", *field.split(".")])
        ]
    assert await _refunds(db) == 0
