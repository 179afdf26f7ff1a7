"""`availableActions` and `refundableLines` answer what the refund mutations would (issue 25 item 5):
one policy function (`refund_policy.refund_entry`) decides for the buttons, the list and the service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from gql.ids import decode_id
from models.base import utcnow
from models.orders.rows import Order
from models.orders.states import OrderStatus
from tests.api.after_sale_flow import REFUND_LINES, REQUEST, ask, codes, done, shipped_order
from tests.api.conftest import Api
from tests.api.order_flow import Shop, key, open_shop
from tests.conftest import Database
from tests.factories import Seed

VIEW = """query($id: ID!) { node(id: $id) { ... on Order { status
  availableActions { action allowed reason }
  refundableLines { refundableQuantity maxAmount { cents } openAfterSale } } } }"""


async def _view(api: Api, order: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(action → (allowed, reason), refundable lines) as `api`'s viewer sees the order."""
    node = (await api.execute(VIEW, id=order["id"])).data["node"]
    actions = {a["action"]: (a["allowed"], a["reason"]) for a in node["availableActions"]}
    return actions, node["refundableLines"]


async def _complete(db: Database, order: dict[str, Any], days_ago: int) -> None:
    async with db.sessions() as s, s.begin():
        await s.execute(
            update(Order)
            .where(Order.id == decode_id(order["id"], "Order"))
            .values(status=OrderStatus.COMPLETED, completed_at=utcnow() - timedelta(days=days_ago))
        )


def _refund_all(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "orderId": order["id"],
        "lines": [{"lineId": order["lines"][0]["id"], "quantity": 2}],
        "reason": "质量问题",
        "idempotencyKey": key(),
    }


async def _sides(api: Api, shop: Shop) -> dict[str, tuple[Api, str]]:
    return {
        "staff": (api.as_staff(shop.a.id), "REFUND_LINES"),
        "hq": (api.as_hq(), "REFUND_LINES"),
        "buyer": (api.as_shopper(shop.customer_id), "REQUEST_AFTER_SALE"),
    }


async def test_nothing_offered_past_the_window(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)
    await _complete(db, order, days_ago=16)
    for viewer, command in (await _sides(api, shop)).values():
        actions, lines = await _view(viewer, order)
        assert actions[command] == (False, "REFUND_WINDOW_CLOSED")
        assert lines == []
    r = await api.as_staff(shop.a.id).execute(REFUND_LINES, input=_refund_all(order))
    assert codes(r, "refundLines") == ["REFUND_WINDOW_CLOSED"]

    await _complete(db, order, days_ago=14)  # inside the window: offered and listed
    for viewer, command in (await _sides(api, shop)).values():
        actions, lines = await _view(viewer, order)
        assert actions[command] == (True, None)
        assert lines == [{"refundableQuantity": 2, "maxAmount": {"cents": 3000}, "openAfterSale": False}]


async def test_nothing_offered_when_every_unit_is_refunded(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)
    await _complete(db, order, days_ago=1)
    done(await api.as_staff(shop.a.id).execute(REFUND_LINES, input=_refund_all(order)), "refundLines")
    for viewer, command in (await _sides(api, shop)).values():
        actions, lines = await _view(viewer, order)
        assert actions[command] == (False, "REFUND_EXCEEDS_QUANTITY")
        assert lines == []
    r = await api.as_hq().execute(REFUND_LINES, input=_refund_all(order))
    assert codes(r, "refundLines") == ["REFUND_EXCEEDS_QUANTITY"]
    r = await api.as_shopper(shop.customer_id).execute(REQUEST, input=ask(order, "REFUND_ONLY"))
    assert codes(r, "requestAfterSale") == ["REFUND_EXCEEDS_QUANTITY"]


async def test_lines_in_after_sale_are_listed_but_not_offered(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    order = await shipped_order(api, shop)
    buyer = api.as_shopper(shop.customer_id)
    done(await buyer.execute(REQUEST, input=ask(order, "REFUND_ONLY")), "requestAfterSale")
    for viewer, command in (await _sides(api, shop)).values():
        actions, lines = await _view(viewer, order)
        assert actions[command] == (False, "LINE_HAS_OPEN_AFTER_SALE")
        assert lines == [{"refundableQuantity": 2, "maxAmount": {"cents": 3000}, "openAfterSale": True}]
    r = await api.as_staff(shop.a.id).execute(REFUND_LINES, input=_refund_all(order))
    assert codes(r, "refundLines") == ["LINE_HAS_OPEN_AFTER_SALE"]
