"""客服介入: the buyer or the store escalates an after-sale to HQ; HQ supports one side, exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from gql.ids import parse_global_id, primary_key
from models.after_sales.rows import AfterSale
from models.enums import PaymentKind
from models.payments import PaymentTransaction
from tests.api.after_sale_flow import (
    DECIDE,
    ESCALATE,
    ESCALATION_FIELDS,
    REFUND_LINES,
    REQUEST,
    SHIP_REPLACEMENT,
    WITHDRAW,
    after_sale_in,
    ask,
    codes,
    done,
)
from tests.api.conftest import Api
from tests.api.order_flow import key, open_shop
from tests.api.page_walk import walk
from tests.conftest import Database
from tests.factories import Seed

QUEUE = f"""query($filter: EscalationFilter, $first: Int, $after: String) {{
  afterSaleEscalations(filter: $filter, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {ESCALATION_FIELDS} }} }}
    counts {{ state count }} }} }}"""


def _ids(r: Any) -> list[str]:
    return [edge["node"]["id"] for edge in r.data["afterSaleEscalations"]["edges"]]


def _escalate(after_sale: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "afterSaleId": after_sale["id"],
        "reason": "商家拒绝不合理",
        "evidence": "照片显示包装破损",
        "idempotencyKey": key(),
        **extra,
    }


def _decide(escalation: dict[str, Any], verdict: str, **extra: Any) -> dict[str, Any]:
    return {"escalationId": escalation["id"], "verdict": verdict, "note": "核实后裁定", **extra}


def _counts(r: Any) -> dict[str, int]:
    return {c["state"]: c["count"] for c in r.data["afterSaleEscalations"]["counts"] if c["count"]}


async def _backdate(db: Database, after_sale_id: int, **shift: timedelta) -> None:
    async with db.sessions() as s, s.begin():
        row = await s.get(AfterSale, after_sale_id)
        assert row is not None
        for column, delta in shift.items():
            setattr(row, column, getattr(row, column) - delta)


def _pk(gid: str) -> int:
    return primary_key(parse_global_id(gid, "id"), "id")


async def test_hq_supports_the_buyer_and_the_refund_is_paid(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    _, rejected = await after_sale_in(api, shop, "REJECTED")  # a return of 1 apple, rejected
    buyer, staff, hq = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id), api.as_hq()
    e = done(await buyer.execute(ESCALATE, input=_escalate(rejected)), "escalateAfterSale")["escalation"]
    assert (e["state"], e["fromStatus"], e["raisedByType"]) == ("PENDING", "REJECTED", "CUSTOMER")
    assert e["afterSale"]["status"] == "ESCALATED"

    queue = await hq.execute(QUEUE, filter={"states": ["PENDING"]})
    assert _ids(queue) == [e["id"]]
    assert _counts(queue) == {"PENDING": 1}
    assert (await staff.execute(QUEUE)).data["afterSaleEscalations"]["totalCount"] == 1  # its own store's
    assert (await api.as_staff(shop.b.id).execute(QUEUE)).data["afterSaleEscalations"]["totalCount"] == 0
    r = await hq.execute(QUEUE, filter={"types": ["REFUND_ONLY"], "raisedBy": ["STAFF"]})
    assert r.data["afterSaleEscalations"]["totalCount"] == 0

    r = await staff.execute(DECIDE, input=_decide(e, "SUPPORT_BUYER"))
    assert [x["extensions"]["code"] for x in r.errors] == ["FORBIDDEN"]  # stores never decide
    d = done(await hq.execute(DECIDE, input=_decide(e, "SUPPORT_BUYER")), "decideEscalation")["escalation"]
    assert (d["state"], d["verdictNote"], d["version"]) == ("BUYER_SUPPORTED", "核实后裁定", 2)
    assert d["afterSale"]["status"] == "AWAITING_RETURN"  # a return proceeds as approved: goods first
    r = await hq.execute(DECIDE, input=_decide(e, "SUPPORT_STORE"))
    assert codes(r, "decideEscalation") == ["INVALID_TRANSITION"]

    _, refund = await after_sale_in(api, shop, "PENDING_REVIEW_REFUND_ONLY")
    await _backdate(db, _pk(refund["id"]), created_at=timedelta(hours=49))  # unanswered past the SLA
    e2 = done(await buyer.execute(ESCALATE, input=_escalate(refund)), "escalateAfterSale")["escalation"]
    assert e2["fromStatus"] == "PENDING_REVIEW"
    d = done(await hq.execute(DECIDE, input=_decide(e2, "SUPPORT_BUYER")), "decideEscalation")["escalation"]
    assert d["afterSale"]["status"] == "REFUNDED"
    assert d["order"]["refundedAmount"] == {"cents": 1500}
    assert _counts(await hq.execute(QUEUE)) == {"BUYER_SUPPORTED": 2}
    async with db.sessions() as s:
        moved = await s.scalar(
            select(func.sum(PaymentTransaction.amount)).where(PaymentTransaction.kind == PaymentKind.REFUND)
        )
    assert moved == 1500


async def test_hq_supports_the_store_and_the_request_is_closed(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order, a = await after_sale_in(api, shop, "PENDING_REVIEW")
    staff, hq = api.as_staff(shop.a.id), api.as_hq()
    e = done(await staff.execute(ESCALATE, input=_escalate(a)), "escalateAfterSale")["escalation"]
    assert e["raisedByType"] == "STAFF"
    d = done(await hq.execute(DECIDE, input=_decide(e, "SUPPORT_STORE")), "decideEscalation")["escalation"]
    assert (d["state"], d["afterSale"]["status"]) == ("STORE_SUPPORTED", "CLOSED")
    assert d["order"]["refundedAmount"] == {"cents": 0}
    r = await api.as_shopper(shop.customer_id).execute(ESCALATE, input=_escalate(a))
    assert codes(r, "escalateAfterSale") == ["INVALID_TRANSITION"]  # once per after-sale
    again = await api.as_shopper(shop.customer_id).execute(REQUEST, input=ask(order, "REFUND_ONLY"))
    assert codes(again, "requestAfterSale") == []  # the line is free again


async def test_who_may_escalate_when(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    _, a = await after_sale_in(api, shop, "PENDING_REVIEW")
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    assert codes(await buyer.execute(ESCALATE, input=_escalate(a)), "escalateAfterSale") == [
        "ESCALATION_NOT_DUE"
    ]
    r = await api.as_staff(shop.b.id).execute(ESCALATE, input=_escalate(a))
    assert codes(r, "escalateAfterSale") == ["NOT_FOUND"]  # another store's
    r = await api.as_hq().execute(ESCALATE, input=_escalate(a))
    assert [x["extensions"]["code"] for x in r.errors] == ["FORBIDDEN"]
    assert codes(await staff.execute(ESCALATE, input=_escalate(a, reason=" ")), "escalateAfterSale") == [
        "BAD_USER_INPUT"
    ]

    _, rejected = await after_sale_in(api, shop, "REJECTED")
    r = await staff.execute(ESCALATE, input=_escalate(rejected))
    assert codes(r, "escalateAfterSale") == ["FORBIDDEN"]  # the store rejected it itself
    await _backdate(db, _pk(rejected["id"]), reviewed_at=timedelta(days=7, minutes=1))
    r = await buyer.execute(ESCALATE, input=_escalate(rejected))
    assert codes(r, "escalateAfterSale") == ["ESCALATION_WINDOW_CLOSED"]

    _, refunded = await after_sale_in(api, shop, "REFUNDED")
    assert codes(await buyer.execute(ESCALATE, input=_escalate(refunded)), "escalateAfterSale") == [
        "INVALID_TRANSITION"
    ]


async def test_a_rejected_request_reopens_only_if_it_still_fits(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order, rejected = await after_sale_in(api, shop, "REJECTED")  # 1 of the 2 apples
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    line = order["lines"][0]["id"]
    busy = done(await buyer.execute(REQUEST, input=ask(order, "REFUND_ONLY")), "requestAfterSale")
    r = await buyer.execute(ESCALATE, input=_escalate(rejected))
    assert codes(r, "escalateAfterSale") == ["LINE_HAS_OPEN_AFTER_SALE"]
    done(
        await buyer.execute(
            WITHDRAW, input={"afterSaleId": busy["afterSale"]["id"], "idempotencyKey": key()}
        ),
        "withdrawAfterSale",
    )
    both = {
        "orderId": order["id"],
        "lines": [{"lineId": line, "quantity": 2}],
        "reason": "主动退款",
        "idempotencyKey": key(),
    }
    done(await staff.execute(REFUND_LINES, input=both), "refundLines")
    r = await buyer.execute(ESCALATE, input=_escalate(rejected))
    assert codes(r, "escalateAfterSale") == ["REFUND_EXCEEDS_QUANTITY"]


async def test_withdrawing_an_escalated_request_withdraws_the_escalation(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    _, a = await after_sale_in(api, shop, "PENDING_REVIEW")
    buyer = api.as_shopper(shop.customer_id)
    e = done(await api.as_staff(shop.a.id).execute(ESCALATE, input=_escalate(a)), "escalateAfterSale")
    done(
        await buyer.execute(WITHDRAW, input={"afterSaleId": a["id"], "idempotencyKey": key()}),
        "withdrawAfterSale",
    )
    r = await api.as_hq().execute(DECIDE, input=_decide(e["escalation"], "SUPPORT_BUYER"))
    assert codes(r, "decideEscalation") == ["INVALID_TRANSITION"]
    assert _counts(await api.as_hq().execute(QUEUE)) == {"WITHDRAWN": 1}


async def test_escalated_filter_of_the_after_sale_list(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    _, a = await after_sale_in(api, shop, "PENDING_REVIEW")
    await after_sale_in(api, shop, "PENDING_REVIEW")
    staff = api.as_staff(shop.a.id)
    done(await staff.execute(ESCALATE, input=_escalate(a)), "escalateAfterSale")
    doc = """query($f: AfterSaleFilter) { afterSales(filter: $f, first: 10) { edges { node { id status
      escalation { state reason } } } } afterSaleStatusCounts(filter: $f) { total } }"""
    r = await staff.execute(doc, f={"escalated": True})
    nodes = [e["node"] for e in r.data["afterSales"]["edges"]]
    assert nodes == [
        {"id": a["id"], "status": "ESCALATED", "escalation": {"state": "PENDING", "reason": "商家拒绝不合理"}}
    ]
    r = await staff.execute(doc, f={"escalated": False})
    assert r.data["afterSaleStatusCounts"]["total"] == 1


async def test_bad_ids(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    _, a = await after_sale_in(api, shop, "PENDING_REVIEW")
    r = await api.as_hq().execute(
        DECIDE, input={"escalationId": a["id"], "verdict": "SUPPORT_BUYER", "note": "x"}
    )
    assert codes(r, "decideEscalation") == ["BAD_USER_INPUT"]  # an after-sale's id, not an escalation's


BUTTONS = """query($id: ID!) { afterSale(id: $id) { status availableActions { action allowed reason } } }"""


async def _buttons(api: Api, after_sale: dict[str, Any]) -> dict[str, tuple[bool, str | None]]:
    r = await api.execute(BUTTONS, id=after_sale["id"])
    return {a["action"]: (a["allowed"], a["reason"]) for a in r.data["afterSale"]["availableActions"]}


async def _refund_total(db: Database) -> int:
    async with db.sessions() as s:
        moved = await s.scalar(
            select(func.sum(PaymentTransaction.amount)).where(PaymentTransaction.kind == PaymentKind.REFUND)
        )
    return int(moved or 0)


async def test_hq_supports_the_buyer_on_a_refused_return(api: Api, seed: Seed, db: Database) -> None:
    """拒绝收货 escalated: the goods count as received, so the return is refunded at once."""
    shop = await open_shop(seed)
    _, refused = await after_sale_in(api, shop, "RECEIPT_REJECTED")  # 1 of 2 apples at 15.00
    buyer, hq = api.as_shopper(shop.customer_id), api.as_hq()
    assert (await _buttons(buyer, refused))["ESCALATE"] == (True, None)
    e = done(await buyer.execute(ESCALATE, input=_escalate(refused)), "escalateAfterSale")["escalation"]
    assert (e["fromStatus"], e["raisedByType"], e["afterSale"]["status"]) == (
        "RECEIPT_REJECTED",
        "CUSTOMER",
        "ESCALATED",
    )
    buttons = await _buttons(hq, refused)
    assert buttons["SUPPORT_BUYER_RECEIVED"] == (True, None)
    assert buttons["SUPPORT_BUYER_RETURN"] == (False, "INVALID_TRANSITION")  # the goods are back already
    assert buttons["SUPPORT_STORE"] == (True, None)
    d = done(await hq.execute(DECIDE, input=_decide(e, "SUPPORT_BUYER")), "decideEscalation")["escalation"]
    assert (d["state"], d["afterSale"]["status"]) == ("BUYER_SUPPORTED", "REFUNDED")
    assert d["order"]["refundedAmount"] == {"cents": 1500}
    assert d["order"]["lines"][0] == {"refundedQuantity": 1, "refundedAmount": {"cents": 1500}}
    assert await _refund_total(db) == 1500


async def test_hq_supports_the_buyer_on_a_refused_exchange(api: Api, seed: Seed, db: Database) -> None:
    """The store may escalate a refused exchange too; supporting the buyer owes the replacement."""
    shop = await open_shop(seed)
    _, refused = await after_sale_in(api, shop, "RECEIPT_REJECTED", kind="EXCHANGE")
    staff, hq = api.as_staff(shop.a.id), api.as_hq()
    assert (await _buttons(staff, refused))["ESCALATE"] == (True, None)
    e = done(await staff.execute(ESCALATE, input=_escalate(refused)), "escalateAfterSale")["escalation"]
    assert (e["fromStatus"], e["raisedByType"]) == ("RECEIPT_REJECTED", "STAFF")
    buttons = await _buttons(hq, refused)
    assert buttons["SUPPORT_BUYER_RESHIP"] == (True, None)
    assert buttons["SUPPORT_BUYER_RETURN"] == (False, "INVALID_TRANSITION")
    d = done(await hq.execute(DECIDE, input=_decide(e, "SUPPORT_BUYER")), "decideEscalation")["escalation"]
    assert (d["state"], d["afterSale"]["status"]) == ("BUYER_SUPPORTED", "AWAITING_RESHIP")
    assert d["order"]["refundedAmount"] == {"cents": 0}  # an exchange moves no money
    assert await _refund_total(db) == 0
    ship = {"afterSaleId": refused["id"], "carrier": "门店配送", "trackingNo": "EX1", "idempotencyKey": key()}
    shipped = done(await staff.execute(SHIP_REPLACEMENT, input=ship), "shipReplacement")
    assert shipped["afterSale"]["status"] == "RESHIPPED"


@pytest.mark.parametrize("kind", ["RETURN_AND_REFUND", "EXCHANGE"])
async def test_hq_supports_the_store_on_a_refused_return(
    api: Api, seed: Seed, db: Database, kind: str
) -> None:
    shop = await open_shop(seed)
    order, refused = await after_sale_in(api, shop, "RECEIPT_REJECTED", kind=kind)
    buyer, hq = api.as_shopper(shop.customer_id), api.as_hq()
    e = done(await buyer.execute(ESCALATE, input=_escalate(refused)), "escalateAfterSale")["escalation"]
    d = done(await hq.execute(DECIDE, input=_decide(e, "SUPPORT_STORE")), "decideEscalation")["escalation"]
    assert (d["state"], d["afterSale"]["status"]) == ("STORE_SUPPORTED", "CLOSED")
    assert d["order"]["refundedAmount"] == {"cents": 0}
    assert await _refund_total(db) == 0
    assert (await _buttons(buyer, refused))["ESCALATE"] == (False, "INVALID_TRANSITION")  # once only
    again = await buyer.execute(REQUEST, input=ask(order, "REFUND_ONLY"))
    assert codes(again, "requestAfterSale") == []  # the line is free again


async def test_who_may_escalate_a_refused_return_and_until_when(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    _, refused = await after_sale_in(api, shop, "RECEIPT_REJECTED")
    buyer, staff, hq = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id), api.as_hq()
    r = await hq.execute(ESCALATE, input=_escalate(refused))
    assert [x["extensions"]["code"] for x in r.errors] == ["FORBIDDEN"]  # HQ decides, it does not escalate
    r = await api.as_staff(shop.b.id).execute(ESCALATE, input=_escalate(refused))
    assert codes(r, "escalateAfterSale") == ["NOT_FOUND"]  # another store's
    await _backdate(db, _pk(refused["id"]), closed_at=timedelta(days=7, minutes=1))
    for who in (buyer, staff):
        r = await who.execute(ESCALATE, input=_escalate(refused))
        assert codes(r, "escalateAfterSale") == ["ESCALATION_WINDOW_CLOSED"]
        assert (await _buttons(who, refused))["ESCALATE"] == (False, "ESCALATION_WINDOW_CLOSED")
    queue = await hq.execute(QUEUE)
    assert queue.data["afterSaleEscalations"]["totalCount"] == 0  # nothing was escalated


async def test_an_overdue_request_offers_the_buyer_escalate(api: Api, seed: Seed, db: Database) -> None:
    """Past the review SLA the buyer's ESCALATE button is allowed; HQ's queue stays empty until then
    (nothing escalates by itself)."""
    shop = await open_shop(seed)
    _, a = await after_sale_in(api, shop, "PENDING_REVIEW")
    buyer = api.as_shopper(shop.customer_id)
    assert (await _buttons(buyer, a))["ESCALATE"] == (False, "ESCALATION_NOT_DUE")
    await _backdate(db, _pk(a["id"]), created_at=timedelta(hours=49))
    assert (await _buttons(buyer, a))["ESCALATE"] == (True, None)
    assert (await api.as_hq().execute(QUEUE)).data["afterSaleEscalations"]["totalCount"] == 0
    done(await buyer.execute(ESCALATE, input=_escalate(a)), "escalateAfterSale")


async def test_the_queue_pages_by_cursor(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    staff, hq = api.as_staff(shop.a.id), api.as_hq()
    raised = []
    for _ in range(3):
        _, a = await after_sale_in(api, shop, "PENDING_REVIEW")  # the store may hand a request in review
        raised.append(done(await staff.execute(ESCALATE, input=_escalate(a)), "escalateAfterSale"))
    oldest_first = [p["escalation"]["id"] for p in raised]
    assert _ids(await hq.execute(QUEUE, first=100)) == oldest_first
    for size in (1, 2, 3):
        walked = await walk(hq, QUEUE, "afterSaleEscalations", size, filter={"states": ["PENDING"]})
        assert [n["id"] for n in walked] == oldest_first, size
    page = (await hq.execute(QUEUE, first=1)).data["afterSaleEscalations"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (3, True)
    assert {c["state"]: c["count"] for c in page["counts"]}["PENDING"] == 3  # counts span every page
    assert (await walk(hq, QUEUE, "afterSaleEscalations", 2, filter={"raisedBy": ["CUSTOMER"]})) == []

    node = "query($id: ID!) { node(id: $id) { id ... on AfterSaleEscalation { state } } }"
    first = oldest_first[0]
    assert (await hq.execute(node, id=first)).data["node"] == {"id": first, "state": "PENDING"}
    assert (await api.as_staff(shop.b.id).execute(node, id=first)).data["node"] is None

    r = await hq.execute(QUEUE, first=2, after="bm90IGEgY3Vyc29y")
    assert r.error_codes == ["INVALID_CURSOR"]
    assert r.errors[0]["extensions"]["field"] == "after"
    listed = (await hq.execute("{ afterSales(first: 1) { edges { cursor } } }")).data["afterSales"]["edges"]
    assert (await hq.execute(QUEUE, first=2, after=listed[0]["cursor"])).error_codes == ["INVALID_CURSOR"]
    assert (await hq.execute(QUEUE, first=101)).error_codes == ["PAGE_SIZE_EXCEEDED"]
