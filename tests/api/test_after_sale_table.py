"""Every cell of the after-sale table (SPEC §4) through GraphQL: allowed moves happen, no other."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.after_sale_flow import (
    APPROVE,
    CONFIRM_RETURN,
    REFUSE_RETURN,
    REJECT,
    SUBMIT_RETURN,
    WITHDRAW,
    after_sale_in,
    codes,
)
from tests.api.conftest import Api
from tests.api.order_flow import key, open_shop
from tests.factories import Seed

# (mutation document, payload field, acts as buyer?, extra input, the table's action)
ACTIONS: dict[str, tuple[str, str, bool, dict[str, Any]]] = {
    "APPROVE": (APPROVE, "approveAfterSale", False, {}),
    "REJECT": (REJECT, "rejectAfterSale", False, {"reason": "不同意"}),
    "WITHDRAW": (WITHDRAW, "withdrawAfterSale", True, {}),
    "SUBMIT_RETURN": (
        SUBMIT_RETURN,
        "submitReturnShipment",
        True,
        {"carrier": "中通快递", "trackingNo": "ZT1"},
    ),
    "CONFIRM_RETURN_RECEIVED": (CONFIRM_RETURN, "confirmReturnReceived", False, {}),
    "REFUSE_RETURN_RECEIPT": (REFUSE_RETURN, "refuseReturnReceipt", False, {"reason": "商品破损"}),
}

# status reached → action → resulting status (absent: INVALID_TRANSITION). PENDING_REVIEW holds a
# return-and-refund request (approval → AWAITING_RETURN); the refund-only variant approves to REFUNDED.
EXPECTED: dict[str, dict[str, str]] = {
    "PENDING_REVIEW": {"APPROVE": "AWAITING_RETURN", "REJECT": "REJECTED", "WITHDRAW": "CANCELLED"},
    "PENDING_REVIEW_REFUND_ONLY": {"APPROVE": "REFUNDED", "REJECT": "REJECTED", "WITHDRAW": "CANCELLED"},
    "AWAITING_RETURN": {"WITHDRAW": "CANCELLED", "SUBMIT_RETURN": "RETURN_SHIPPED"},
    "RETURN_SHIPPED": {"CONFIRM_RETURN_RECEIVED": "REFUNDED", "REFUSE_RETURN_RECEIPT": "RECEIPT_REJECTED"},
    "REFUNDED": {},
    "REJECTED": {},
    "CANCELLED": {},
    "RECEIPT_REJECTED": {},
}


@pytest.mark.parametrize("status", list(EXPECTED))
async def test_every_action_from_every_status(api: Api, seed: Seed, status: str) -> None:
    shop = await open_shop(seed, stock=100)
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    for action, (doc, field, as_buyer, extra) in ACTIONS.items():
        _, after_sale = await after_sale_in(api, shop, status)
        r = await (buyer if as_buyer else staff).execute(
            doc, input={"afterSaleId": after_sale["id"], "idempotencyKey": key(), **extra}
        )
        expected = EXPECTED[status].get(action)
        if expected is None:
            assert codes(r, field) == ["INVALID_TRANSITION"], (status, action)
            continue
        payload = r.data[field]
        assert payload["userErrors"] == [], (status, action, payload["userErrors"])
        assert payload["afterSale"]["status"] == expected, (status, action)
        assert payload["afterSale"]["timeline"][-1]["toStatus"] == expected


async def test_the_wrong_side_may_not_act(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    _, pending = await after_sale_in(api, shop, "PENDING_REVIEW")
    buyer, staff = api.as_shopper(shop.customer_id), api.as_staff(shop.a.id)
    r = await buyer.execute(APPROVE, input={"afterSaleId": pending["id"], "idempotencyKey": key()})
    assert r.error_codes == ["FORBIDDEN"]  # buyers never approve their own request
    r = await staff.execute(WITHDRAW, input={"afterSaleId": pending["id"], "idempotencyKey": key()})
    assert r.error_codes == ["FORBIDDEN"]
    r = await api.as_staff(shop.b.id).execute(
        APPROVE, input={"afterSaleId": pending["id"], "idempotencyKey": key()}
    )
    assert codes(r, "approveAfterSale") == ["NOT_FOUND"]  # another store's after-sale does not exist for it
