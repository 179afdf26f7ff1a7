"""商家订单号: the store or HQ sets the merchant's reference; the order search finds it exactly."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.order_flow import open_shop, place_and_pay
from tests.factories import Seed

SET = """mutation($input: SetMerchantOrderNoInput!) { setMerchantOrderNo(input: $input) {
  order { orderNo merchantOrderNo version } userErrors { code field } } }"""
FIND = """query($filter: OrderFilter, $q: String) {
  orders(filter: $filter, query: $q, first: 5) { edges { node { orderNo merchantOrderNo } } } }"""


async def test_set_search_and_clear(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order = await place_and_pay(api, shop)
    other = await place_and_pay(api, shop)
    staff = api.as_staff(shop.a.id)

    r = await staff.execute(SET, input={"orderId": order["id"], "merchantOrderNo": " POS-2026_001 "})
    set_ = r.data["setMerchantOrderNo"]
    assert set_["userErrors"] == []
    assert set_["order"]["merchantOrderNo"] == "POS-2026_001"
    version = set_["order"]["version"]
    assert version == order["version"] + 1
    again = await staff.execute(SET, input={"orderId": order["id"], "merchantOrderNo": "POS-2026_001"})
    assert again.data["setMerchantOrderNo"]["order"]["version"] == version  # nothing changed

    hq = api.as_hq()
    for variables in ({"q": "merchantno:POS-2026_001"}, {"filter": {"merchantOrderNo": "POS-2026_001"}}):
        r = await hq.execute(FIND, **variables)
        assert [e["node"]["orderNo"] for e in r.data["orders"]["edges"]] == [set_["order"]["orderNo"]]
    r = await hq.execute(FIND, q="merchantno:POS-2026")  # exact, not a prefix
    assert r.data["orders"]["edges"] == []
    r = await hq.execute(FIND, q="-merchantno:POS-2026_001")
    assert [e["node"]["orderNo"] for e in r.data["orders"]["edges"]] == [other["orderNo"]]

    for bad in ("-POS", "POS 1", "P" * 33, "单号1"):
        r = await staff.execute(SET, input={"orderId": other["id"], "merchantOrderNo": bad})
        assert r.data["setMerchantOrderNo"]["userErrors"] == [
            {"code": "BAD_USER_INPUT", "field": ["input", "merchantOrderNo"]}
        ]
    r = await api.as_staff(shop.b.id).execute(SET, input={"orderId": order["id"], "merchantOrderNo": "X1"})
    assert r.data["setMerchantOrderNo"]["userErrors"] == [
        {"code": "NOT_FOUND", "field": ["input", "orderId"]}
    ]
    shopper = api.as_shopper(shop.customer_id)
    assert (
        await shopper.execute(SET, input={"orderId": order["id"], "merchantOrderNo": "X1"})
    ).error_codes == ["FORBIDDEN"]

    r = await hq.execute(SET, input={"orderId": order["id"], "merchantOrderNo": "  "})
    assert r.data["setMerchantOrderNo"]["order"]["merchantOrderNo"] is None
