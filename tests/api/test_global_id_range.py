"""Global ids whose number names no possible row: past 64 bits, zero, negative, or not written as
a plain decimal. Each is a coded BAD_USER_INPUT naming the argument (a `userErrors` entry in a
mutation), like any other malformed id — never a statement the database refuses."""

from __future__ import annotations

import base64

import pytest

from tests.api.conftest import Api
from tests.api.order_flow import CANCEL, PLACE, key, open_shop
from tests.factories import Seed

BAD_NUMBERS = ("9223372036854775808", "99999999999999999999999", "0", "-1", "+1", " 1", "01", "1_0", "١")
"""2^63 and beyond (no BIGINT holds them), no row has key 0 or below, and spellings `int()` would
accept but `encode_id` never writes."""


def raw_id(type_name: str, number: str) -> str:
    return base64.b64encode(f"{type_name}:{number}".encode()).decode()


LOOKUPS = {
    "store": ("Store", "query($id: ID) { store(id: $id) { id } }"),
    "product": ("Product", "query($id: ID!) { product(id: $id) { id } }"),
    "node": ("Store", "query($id: ID!) { node(id: $id) { id } }"),
    "order": ("Order", "query($id: ID) { order(id: $id) { id } }"),
    "groupBuyPage": ("Campaign", "query($id: ID!) { groupBuyPage(campaignId: $id) { __typename } }"),
}


@pytest.mark.parametrize("number", BAD_NUMBERS)
@pytest.mark.parametrize("field", list(LOOKUPS))
async def test_a_lookup_by_an_impossible_id_is_bad_user_input(
    api: Api, seed: Seed, field: str, number: str
) -> None:
    await seed.store("SH001")
    type_name, document = LOOKUPS[field]
    r = await api.as_hq().execute(document, id=raw_id(type_name, number))
    assert r.status == 200
    assert r.error_codes == ["BAD_USER_INPUT"], r.errors
    assert r.errors[0]["extensions"]["field"] in ("id", "campaignId")
    assert r.data in (None, {field: None})


async def test_the_largest_key_is_still_an_id(api: Api, seed: Seed) -> None:
    await seed.store("SH001")
    r = await api.as_hq().execute(LOOKUPS["store"][1], id=raw_id("Store", str(2**63 - 1)))
    assert r.errors == []
    assert r.data == {"store": None}


@pytest.mark.parametrize("number", BAD_NUMBERS[:4])
async def test_mutation_inputs_with_an_impossible_id_are_user_errors(
    api: Api, seed: Seed, number: str
) -> None:
    shop = await open_shop(seed)
    shopper = api.as_shopper(shop.customer_id)
    cancel = await shopper.execute(
        CANCEL, input={"orderId": raw_id("Order", number), "reason": "不想要了", "idempotencyKey": key()}
    )
    assert cancel.errors == []
    assert [(e["code"], e["field"]) for e in cancel.data["cancelOrder"]["userErrors"]] == [
        ("BAD_USER_INPUT", ["input", "orderId"])
    ]
    for path, bad in (("storeId", {"storeId": raw_id("Store", number)}), ("lines.0.skuId", None)):
        order_input = shop.order_input()
        if bad is None:
            order_input["lines"][0]["skuId"] = raw_id("Sku", number)
        else:
            order_input.update(bad)
        placed = await shopper.execute(PLACE, input=order_input)
        assert placed.errors == []
        errors = placed.data["placeOrder"]["userErrors"]
        assert [e["code"] for e in errors] == ["BAD_USER_INPUT"], errors
        assert ".".join(errors[0]["field"]) == f"input.{path}"
