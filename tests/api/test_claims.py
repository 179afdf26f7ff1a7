"""餐损赔付: claims raised by the store or the buyer, HQ's verdict, the pay-out as a price difference."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text

from gql.ids import encode_id
from models.enums import PaymentKind
from models.orders.rows import OrderEvent
from models.payments import PaymentTransaction
from tests.api.after_sale_flow import codes, done, shipped_order
from tests.api.claim_flow import APPROVE, CLAIMS, PAY, RAISE, REJECT, claim_ids, raise_input
from tests.api.conftest import Api
from tests.api.order_flow import key, open_shop
from tests.api.page_walk import walk
from tests.conftest import Database
from tests.factories import Seed

LOSSES = """query($stores: [ID!]) { metrics(range: {preset: TODAY}, storeIds: $stores) {
  serviceLosses { cause claims amount { cents } } } }"""


def _claim(p: dict[str, Any]) -> dict[str, Any]:
    claim: dict[str, Any] = p["claim"]
    return claim


async def test_a_claim_is_raised_decided_and_paid_as_a_price_difference(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)  # 2 apples, line paid 3000, fees 600
    buyer, staff, hq = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id), api.as_hq()

    damaged = _claim(done(await buyer.execute(RAISE, input=raise_input(order["id"])), "raiseClaim"))
    assert (damaged["state"], damaged["raisedByType"], damaged["askedAmount"]) == (
        "PENDING",
        "CUSTOMER",
        {"cents": 1000},
    )
    late = _claim(
        done(await staff.execute(RAISE, input=raise_input(order["id"], "RIDER_LATE", 500)), "raiseClaim")
    )
    assert late["raisedByType"] == "STAFF"

    # only HQ decides; too much, nothing, or a bad id change nothing
    approve = {"claimId": damaged["id"], "amountCents": 1200, "idempotencyKey": key()}
    assert codes(await staff.execute(APPROVE, input=approve), "approveClaim") == ["FORBIDDEN"]
    r = await buyer.execute(APPROVE, input=approve)
    assert [e["extensions"]["code"] for e in r.errors] == ["FORBIDDEN"]
    for amount, code in ((3001, "REFUND_EXCEEDS_PAID"), (0, "BAD_USER_INPUT")):
        bad = {**approve, "amountCents": amount, "idempotencyKey": key()}
        assert codes(await hq.execute(APPROVE, input=bad), "approveClaim") == [code]
    bad_id = {**approve, "claimId": order["id"], "idempotencyKey": key()}
    assert codes(await hq.execute(APPROVE, input=bad_id), "approveClaim") == ["BAD_USER_INPUT"]
    stale = {**approve, "expectedVersion": 7, "idempotencyKey": key()}
    assert codes(await hq.execute(APPROVE, input=stale), "approveClaim") == ["VERSION_CONFLICT"]
    assert codes(await hq.execute(PAY, input={"claimId": damaged["id"]}), "payClaim") == [
        "INVALID_TRANSITION"
    ]

    p = done(await hq.execute(APPROVE, input=approve), "approveClaim")
    assert (_claim(p)["state"], _claim(p)["compensationAmount"], _claim(p)["version"]) == (
        "APPROVED",
        {"cents": 1200},
        2,
    )
    assert p["order"]["refundedAmount"] == {"cents": 0}  # approval moves no money
    assert codes(await hq.execute(APPROVE, input={**approve, "idempotencyKey": key()}), "approveClaim") == [
        "INVALID_TRANSITION"
    ]

    p = done(await hq.execute(PAY, input={"claimId": damaged["id"], "idempotencyKey": key()}), "payClaim")
    assert _claim(p)["state"] == "PAID"
    assert _claim(p)["paidAt"] is not None
    assert (p["order"]["status"], p["order"]["refundedAmount"]) == ("SHIPPED", {"cents": 1200})
    assert p["order"]["lines"][0]["refundedQuantity"] == 0  # the units stay with the buyer
    assert p["order"]["lines"][0]["refundedAmount"] == {"cents": 1200}
    assert codes(await hq.execute(PAY, input={"claimId": damaged["id"]}), "payClaim") == [
        "INVALID_TRANSITION"
    ]

    # the other claim: rejected, then no verdict moves it
    assert codes(await hq.execute(REJECT, input={"claimId": late["id"], "note": " "}), "rejectClaim") == [
        "BAD_USER_INPUT"
    ]
    p = done(await hq.execute(REJECT, input={"claimId": late["id"], "note": "骑手准时"}), "rejectClaim")
    assert (_claim(p)["state"], _claim(p)["verdictNote"]) == ("REJECTED", "骑手准时")
    again = {"claimId": late["id"], "amountCents": 100}
    assert codes(await hq.execute(APPROVE, input=again), "approveClaim") == ["INVALID_TRANSITION"]

    async with db.sessions() as s:
        refunds = (
            await s.scalars(
                select(PaymentTransaction.amount).where(PaymentTransaction.kind == PaymentKind.REFUND)
            )
        ).all()
        notes = (
            await s.scalars(
                select(OrderEvent.payload).where(OrderEvent.action.is_(None)).order_by(OrderEvent.id)
            )
        ).all()
    assert refunds == [1200]
    events = [(n.get("event"), n.get("state")) for n in notes if str(n.get("event", "")).startswith("CLAIM")]
    assert events == [
        ("CLAIM_RAISED", "PENDING"),
        ("CLAIM_RAISED", "PENDING"),
        ("CLAIM_DECIDED", "APPROVED"),
        ("CLAIM_DECIDED", "PAID"),
        ("CLAIM_DECIDED", "REJECTED"),
    ]

    # what is left to refund on the line is what it still holds: 3000 - 1200
    third = _claim(done(await buyer.execute(RAISE, input=raise_input(order["id"], "SYSTEM")), "raiseClaim"))
    over = {"claimId": third["id"], "amountCents": 1801}
    assert codes(await hq.execute(APPROVE, input=over), "approveClaim") == ["REFUND_EXCEEDS_PAID"]


async def test_claims_list_filters_counts_and_scope(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)
    staff, hq = api.as_staff(shop.a.id), api.as_hq()
    ids = []
    for cause in ("DAMAGED", "RIDER_LATE", "LOCATION"):
        r = await staff.execute(RAISE, input=raise_input(order["id"], cause, 300))
        ids.append(_claim(done(r, "raiseClaim"))["id"])
    done(await hq.execute(REJECT, input={"claimId": ids[1], "note": "no"}), "rejectClaim")

    page = (await hq.execute(CLAIMS)).data["claims"]
    assert page["totalCount"] == 3
    assert claim_ids(page) == ids[::-1]
    counts = {c["state"]: c["count"] for c in page["counts"]}
    assert counts == {"PENDING": 2, "APPROVED": 0, "PAID": 0, "REJECTED": 1}
    r = await staff.execute(CLAIMS, filter={"causes": ["DAMAGED", "RIDER_LATE"], "states": ["PENDING"]})
    assert claim_ids(r.data["claims"]) == [ids[0]]
    assert {c["state"]: c["count"] for c in r.data["claims"]["counts"]}["REJECTED"] == 1
    other = api.as_staff(shop.b.id)
    assert (await other.execute(CLAIMS)).data["claims"]["totalCount"] == 0
    assert codes(
        await other.execute(APPROVE, input={"claimId": ids[0], "amountCents": 1}), "approveClaim"
    ) == ["NOT_FOUND"]
    assert codes(await other.execute(RAISE, input=raise_input(order["id"])), "raiseClaim") == ["NOT_FOUND"]
    r = await hq.execute(CLAIMS, first=101)
    assert [e["extensions"]["code"] for e in r.errors] == ["PAGE_SIZE_EXCEEDED"]
    bad = [
        raise_input(order["id"], amount=0),
        raise_input(order["id"], note=""),
        raise_input(order["id"], note="x" * 501),
    ]
    for item in bad:
        assert codes(await staff.execute(RAISE, input=item), "raiseClaim") == ["BAD_USER_INPUT"]
    assert (await hq.execute(CLAIMS)).data["claims"]["totalCount"] == 3


async def test_claims_page_by_cursor(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)
    staff, hq = api.as_staff(shop.a.id), api.as_hq()
    for cause in ("DAMAGED", "RIDER_LATE", "LOCATION", "SYSTEM", "DAMAGED"):
        done(await staff.execute(RAISE, input=raise_input(order["id"], cause, 100)), "raiseClaim")
    everything = claim_ids((await hq.execute(CLAIMS, first=100)).data["claims"])
    assert len(everything) == 5
    for size in (1, 2, 5):
        assert [n["id"] for n in await walk(hq, CLAIMS, "claims", size)] == everything, size
    damaged = {"causes": ["DAMAGED"]}
    walked = await walk(hq, CLAIMS, "claims", 1, filter=damaged)
    assert [n["id"] for n in walked] == claim_ids((await hq.execute(CLAIMS, filter=damaged)).data["claims"])
    assert len(walked) == 2
    page = (await hq.execute(CLAIMS, first=2)).data["claims"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (5, True)
    assert {c["state"]: c["count"] for c in page["counts"]}["PENDING"] == 5  # counts span every page

    node = "query($id: ID!) { node(id: $id) { id ... on Claim { state } } }"
    assert (await hq.execute(node, id=everything[0])).data["node"] == {
        "id": everything[0],
        "state": "PENDING",
    }
    assert (await api.as_staff(shop.b.id).execute(node, id=everything[0])).data["node"] is None

    r = await hq.execute(CLAIMS, first=2, after="bm90IGEgY3Vyc29y")
    assert r.error_codes == ["INVALID_CURSOR"]
    assert r.errors[0]["extensions"]["field"] == "after"
    orders = (await hq.execute("{ orders(first: 1) { edges { cursor } } }")).data["orders"]["edges"]
    assert (await hq.execute(CLAIMS, first=2, after=orders[0]["cursor"])).error_codes == ["INVALID_CURSOR"]


async def test_revenue_lost_to_service_problems_matches_sql(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    hq = api.as_hq()
    for cause, amount, pay in (
        ("DAMAGED", 700, True),
        ("DAMAGED", 300, True),
        ("RIDER_LATE", 450, True),
        ("SYSTEM", 90, False),
    ):
        order = await shipped_order(api, shop)
        claim = _claim(
            done(
                await api.as_shopper(shop.customer_id).execute(RAISE, input=raise_input(order["id"], cause)),
                "raiseClaim",
            )
        )
        done(await hq.execute(APPROVE, input={"claimId": claim["id"], "amountCents": amount}), "approveClaim")
        if pay:
            done(await hq.execute(PAY, input={"claimId": claim["id"]}), "payClaim")

    r = await hq.execute(LOSSES)
    assert r.errors == [], r.errors
    got = {x["cause"]: (x["amount"]["cents"], x["claims"]) for x in r.data["metrics"]["serviceLosses"]}
    async with db.sessions() as s:
        rows = (
            await s.execute(
                text(
                    "SELECT cause, SUM(compensation_amount), COUNT(*) FROM compensation_claims "
                    "WHERE state = 'PAID' GROUP BY cause"
                )
            )
        ).all()
        refunded = await s.scalar(
            select(func.sum(PaymentTransaction.amount)).where(PaymentTransaction.kind == PaymentKind.REFUND)
        )
    expected = dict.fromkeys(("RIDER_LATE", "DAMAGED", "SYSTEM", "LOCATION"), (0, 0))
    expected.update({c: (int(t), int(n)) for c, t, n in rows})
    assert got == expected == {**expected, "DAMAGED": (1000, 2), "RIDER_LATE": (450, 1)}
    assert refunded == 1450
    # store B's scope has none of it
    r = await hq.execute(LOSSES, stores=[encode_id("Store", shop.b.id)])
    assert all(x["claims"] == 0 for x in r.data["metrics"]["serviceLosses"])
