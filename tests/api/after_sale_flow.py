"""Documents and steps for after-sale tests: orders in the right state, after-sales in any status."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, Response
from tests.api.order_flow import ACCEPT, SHIP, Shop, key, mutation, ok, place_and_pay

AFTER_SALE_FIELDS = """
  id afterSaleNo status type initiator version refundAmount { cents }
  lines { quantity amount { cents } line { id } }
  timeline { action fromStatus toStatus actorType }
"""
ORDER_FIELDS = """id status refundedAmount { cents } paidAmount { cents }
  lines { id quantity refundedQuantity refundedAmount { cents } }"""

PAYLOAD = (
    f"afterSale {{ {AFTER_SALE_FIELDS} }} order {{ {ORDER_FIELDS} }} userErrors {{ code field message }}"
)


REQUEST = mutation("requestAfterSale", "RequestAfterSaleInput", PAYLOAD)
REFUND_LINES = mutation("refundLines", "RefundLinesInput", PAYLOAD)
WITHDRAW = mutation("withdrawAfterSale", "AfterSaleActionInput", PAYLOAD)
SUBMIT_RETURN = mutation("submitReturnShipment", "SubmitReturnShipmentInput", PAYLOAD)
APPROVE = mutation("approveAfterSale", "AfterSaleActionInput", PAYLOAD)
REJECT = mutation("rejectAfterSale", "AfterSaleReasonInput", PAYLOAD)
CONFIRM_RETURN = mutation("confirmReturnReceived", "AfterSaleActionInput", PAYLOAD)
REFUSE_RETURN = mutation("refuseReturnReceipt", "AfterSaleReasonInput", PAYLOAD)
SHIP_REPLACEMENT = mutation("shipReplacement", "ShipReplacementInput", PAYLOAD)
CONFIRM_REPLACEMENT = mutation("confirmReplacementReceived", "AfterSaleActionInput", PAYLOAD)
ESCALATION_FIELDS = """id state fromStatus raisedByType reason evidence verdictNote version decidedAt
  afterSale { id status type refundAmount { cents } }
  order { refundedAmount { cents } lines { refundedQuantity refundedAmount { cents } } }"""
ESCALATION_PAYLOAD = f"escalation {{ {ESCALATION_FIELDS} }} userErrors {{ code field message }}"
ESCALATE = mutation("escalateAfterSale", "EscalateAfterSaleInput", ESCALATION_PAYLOAD)
DECIDE = mutation("decideEscalation", "DecideEscalationInput", ESCALATION_PAYLOAD)


def done(r: Response, field: str) -> dict[str, Any]:
    """The payload of a successful after-sale mutation (fails the test with the errors otherwise)."""
    assert r.errors == [], r.errors
    payload: dict[str, Any] = r.data[field]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def codes(r: Response, field: str) -> list[str]:
    assert r.errors == [], r.errors
    return [e["code"] for e in r.data[field]["userErrors"]]


async def shipped_order(api: Api, shop: Shop) -> dict[str, Any]:
    """A paid, accepted and fully shipped delivery order (2 apples at 15.00 + fees 1.00 + 5.00)."""
    paid = await place_and_pay(api, shop)
    staff = api.as_staff(shop.a.id)
    accepted = ok(await staff.execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder")
    parcel = {
        "carrier": "门店配送",
        "trackingNo": f"D{key()}",
        "lines": [{"lineId": accepted["lines"][0]["id"], "quantity": 2}],
    }
    return ok(await staff.execute(SHIP, input={"orderId": paid["id"], "parcels": [parcel]}), "shipOrder")


def ask(
    order: dict[str, Any], kind: str = "RETURN_AND_REFUND", quantity: int = 1, **extra: Any
) -> dict[str, Any]:
    return {
        "orderId": order["id"],
        "type": kind,
        "lines": [{"lineId": order["lines"][0]["id"], "quantity": quantity, **extra}],
        "reason": "质量问题",
        "evidenceUrls": ["https://img.example/1.jpg"],
        "idempotencyKey": key(),
    }


async def after_sale_in(
    api: Api, shop: Shop, status: str, kind: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(order, after-sale) with the after-sale driven to `status` through GraphQL (a return unless
    the status names a refund-only, or `kind` says otherwise)."""
    order = await shipped_order(api, shop)
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    if status == "REFUNDED":
        p = done(
            await staff.execute(
                REFUND_LINES, input={**_lines(order), "reason": "主动退款", "idempotencyKey": key()}
            ),
            "refundLines",
        )
        return order, p["afterSale"]
    kind = kind or ("REFUND_ONLY" if status == "PENDING_REVIEW_REFUND_ONLY" else "RETURN_AND_REFUND")
    p = done(await buyer.execute(REQUEST, input=ask(order, kind)), "requestAfterSale")
    a = p["afterSale"]
    steps: dict[str, list[tuple[Api, str, str, dict[str, Any]]]] = {
        "PENDING_REVIEW": [],
        "PENDING_REVIEW_REFUND_ONLY": [],
        "REJECTED": [(staff, REJECT, "rejectAfterSale", {"reason": "不符合退货条件"})],
        "CANCELLED": [(buyer, WITHDRAW, "withdrawAfterSale", {})],
        "AWAITING_RETURN": [(staff, APPROVE, "approveAfterSale", {})],
        "RETURN_SHIPPED": [
            (staff, APPROVE, "approveAfterSale", {}),
            (buyer, SUBMIT_RETURN, "submitReturnShipment", {"carrier": "顺丰速运", "trackingNo": "SF9"}),
        ],
        "RECEIPT_REJECTED": [
            (staff, APPROVE, "approveAfterSale", {}),
            (buyer, SUBMIT_RETURN, "submitReturnShipment", {"carrier": "顺丰速运", "trackingNo": "SF9"}),
            (staff, REFUSE_RETURN, "refuseReturnReceipt", {"reason": "商品破损"}),
        ],
    }
    for who, doc, field, extra in steps[status]:
        a = done(
            await who.execute(doc, input={"afterSaleId": a["id"], "idempotencyKey": key(), **extra}), field
        )["afterSale"]
    return order, a


def step_input(after_sale: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"afterSaleId": after_sale["id"], "idempotencyKey": key(), **extra}


async def exchange_in_reship(api: Api, shop: Shop, order: dict[str, Any], **line: Any) -> dict[str, Any]:
    """An exchange of 1 unit of the order's first line, approved, sent back and received."""
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    a: dict[str, Any] = done(
        await buyer.execute(REQUEST, input=ask(order, "EXCHANGE", **line)), "requestAfterSale"
    )["afterSale"]
    a = done(await staff.execute(APPROVE, input=step_input(a)), "approveAfterSale")["afterSale"]
    assert a["status"] == "AWAITING_RETURN"
    ret = step_input(a, carrier="顺丰速运", trackingNo="SF100")
    a = done(await buyer.execute(SUBMIT_RETURN, input=ret), "submitReturnShipment")["afterSale"]
    a = done(await staff.execute(CONFIRM_RETURN, input=step_input(a)), "confirmReturnReceived")["afterSale"]
    assert a["status"] == "AWAITING_RESHIP"
    return a


def _lines(order: dict[str, Any]) -> dict[str, Any]:
    return {"orderId": order["id"], "lines": [{"lineId": order["lines"][0]["id"], "quantity": 1}]}
