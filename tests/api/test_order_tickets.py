"""Printable picking tickets: HTML under the staff's token, one order or a batch, PII as the API shows it."""

from __future__ import annotations

import httpx

from gql.ids import encode_id
from models.enums import Role
from tests.api.conftest import Api
from tests.api.delivery_flow import accepted_delivery
from tests.api.order_flow import PAY, PLACE, key, ok, open_shop, place_and_pay
from tests.factories import Seed


async def _get(api: Api, path: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {api.token}"} if api.token else {}
    return await api.http.get(path, headers=headers)


async def test_one_ticket_and_a_batch(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    first = await accepted_delivery(api, shop)
    second = await accepted_delivery(api, shop)
    staff = api.as_staff(shop.a.id)

    one = await _get(staff, f"/orders/{first['id']}/ticket")
    assert one.status_code == 200
    assert one.headers["content-type"].startswith("text/html")
    assert one.text.count('class="ticket"') == 1
    assert "13800138000" in one.text  # the store sees its own order's consignee in full
    assert "预计送达" in one.text
    assert "×2" in one.text

    both = await _get(staff, f"/tickets?id={first['id']}&id={second['id']}")
    assert both.status_code == 200
    assert both.text.count('class="ticket"') == 2


async def test_who_may_print(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order = await place_and_pay(api, shop)
    path = f"/orders/{order['id']}/ticket"
    assert (await _get(api, path)).status_code == 401
    assert (await _get(api.as_shopper(shop.customer_id), path)).status_code == 403
    assert (await _get(api.as_role(Role.ANALYST), path)).status_code == 403
    assert (await _get(api.as_staff(shop.b.id), path)).status_code == 404  # another store's order
    hq = await _get(api.as_hq(), path)
    assert hq.status_code == 200
    assert "13800138000" in hq.text
    bad = await _get(api.as_hq(), f"/tickets?id={encode_id('Store', 1)}")
    assert (bad.status_code, bad.json()["code"]) == (400, "BAD_USER_INPUT")
    assert (await _get(api.as_hq(), "/tickets")).status_code == 400


async def test_values_are_escaped(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    shopper = api.as_shopper(shop.customer_id)
    order_input = shop.order_input()
    order_input["buyerRemark"] = "<script>alert(1)</script>"
    placed = ok(await shopper.execute(PLACE, input=order_input), "placeOrder")
    ok(
        await shopper.execute(
            PAY, input={"orderId": placed["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ),
        "payOrder",
    )
    page = await _get(api.as_staff(shop.a.id), f"/orders/{placed['id']}/ticket")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text
