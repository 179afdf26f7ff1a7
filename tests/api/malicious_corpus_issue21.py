"""Issue 21's attacks, and every bug the fuzz suite (tests/fuzz/) finds, each with the code it must be
refused with (the families refused at the gate: tests/api/malicious_corpus.py)."""

from __future__ import annotations

import base64
from typing import Any

from models.enums import Role
from tests.api.malicious_corpus import Attack, _query

# Unlike `corpus()` (refused before any resolver runs, so it needs no rows), some of these are refused
# while a resolver reads its input, after the gate: they are replayed against a seeded database by
# tests/fuzz/test_fuzz_corpus.py, and against a live server by bench/hostile.py.
# Mutations refuse in `userErrors`; a refusal's code may be there or in `errors`.

OVERFLOW_PK = 2**63
"""One past the largest signed 64-bit key: no database column holds it."""


def global_id(type_name: str, pk: int | str) -> str:
    """A Relay global id as the API writes them (`gql/ids.py`): base64 of `Type:pk`."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def fragment_bomb(levels: int = 10, fan: int = 10) -> str:
    """`Q{i}` spreads `Q{i-1}` `fan` times; `Q0` selects `categories { name }`: fan^(levels-1) fields."""
    fragments = ["fragment Q0 on Query { categories { name } }"]
    for i in range(1, levels):
        fragments.append(f"fragment Q{i} on Query {{ {' '.join([f'...Q{i - 1}'] * fan)} }}")
    return f"{{ ...Q{levels - 1} }} " + " ".join(fragments)


PLACE_ORDER = (
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) "
    "{ order { id } userErrors { code field message } } }"
)
CANCEL_ORDER = (
    "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) "
    "{ order { id } userErrors { code field message } } }"
)


def place_order_input(store: str, sku: str, consignee_name: str = "张三") -> dict[str, Any]:
    return {
        "storeId": store,
        "fulfillment": "STORE_DELIVERY",
        "lines": [{"skuId": sku, "quantity": 1}],
        "consignee": {
            "name": consignee_name,
            "phone": "13800138000",
            "city": "上海市",
            "address": "张江路1号",
        },
        "idempotencyKey": f"fuzz-{consignee_name.encode().hex()}-{store}-{sku}",
    }


def issue21_attacks(store_pk: int = 1, sku_pk: int = 1) -> list[Attack]:
    """The seven attacks of issue 21, against rows that exist (`*_pk`) where the attack needs one."""
    store, sku = global_id("Store", store_pk), global_id("Sku", sku_pk)
    big = {t: global_id(t, OVERFLOW_PK) for t in ("Store", "Product", "Order", "Campaign", "Sku")}
    shopper = Role.SHOPPER
    attacks = [
        Attack("fragment bomb", "DOCUMENT_TOO_LARGE", _query(fragment_bomb())),
        Attack(
            "huge filter list",
            "BAD_USER_INPUT",
            _query(
                "query($f: OrderFilter) { orders(first: 1, filter: $f) { totalCount } }",
                f={"or": [{"text": f"x{i}"} for i in range(5_000)]},
            ),
            role=shopper,
        ),
        Attack(
            "NUL byte",
            "BAD_USER_INPUT",
            _query('{ stores(first: 1, filter: { search: "SH\\u0000" }) { totalCount } }'),
        ),
        Attack(
            "NUL byte",
            "BAD_USER_INPUT",
            _query(
                "query($n: String) { products(first: 1, filter: { name: $n }) { totalCount } }", n="苹果\x00"
            ),
        ),
        Attack(
            "NUL byte",
            "BAD_USER_INPUT",
            _query(PLACE_ORDER, input=place_order_input(store, sku, consignee_name="张\x00三")),
            role=shopper,
        ),
    ]
    id_probes = [
        ("query($id: ID) { store(id: $id) { id } }", big["Store"], None),
        ("query($id: ID!) { product(id: $id) { id } }", big["Product"], None),
        ("query($id: ID!) { node(id: $id) { id } }", big["Store"], None),
        ("query($id: ID!) { groupBuyPage(campaignId: $id) { __typename } }", big["Campaign"], None),
        ("query($id: ID) { order(id: $id) { id } }", big["Order"], shopper),
    ]
    attacks += [Attack("64-bit id", "BAD_USER_INPUT", _query(q, id=i), role=r) for q, i, r in id_probes]
    cancel = {"orderId": big["Order"], "reason": "不想要了", "idempotencyKey": "fuzz-cancel-overflow"}
    attacks += [
        Attack("64-bit id", "BAD_USER_INPUT", _query(CANCEL_ORDER, input=cancel), role=shopper),
        Attack(
            "64-bit id",
            "BAD_USER_INPUT",
            _query(PLACE_ORDER, input=place_order_input(big["Store"], sku)),
            role=shopper,
        ),
        Attack(
            "64-bit id",
            "BAD_USER_INPUT",
            _query(PLACE_ORDER, input=place_order_input(store, big["Sku"])),
            role=shopper,
        ),
    ]
    attacks += [Attack("non-object body", "BAD_REQUEST", body, status=400) for body in (None, 42, True, "x")]
    attacks += [
        Attack(
            "subscription over POST",
            "GRAPHQL_VALIDATION_FAILED",
            _query("subscription { myOrderUpdates { __typename } }"),
            role=shopper,
        ),
        Attack(
            "operations without a name",
            "GRAPHQL_VALIDATION_FAILED",
            _query("query A { viewer { role } } query B { categories { name } }"),
        ),
    ]
    return attacks


def fuzz_findings() -> list[Attack]:
    """Bugs the fuzz suite found, shrunk, each with the code it must be refused with once fixed."""
    shopper, staff = Role.SHOPPER, Role.STORE_STAFF
    nul_key = place_order_input(global_id("Store", 1), global_id("Sku", 1))
    nul_key["idempotencyKey"] = "\x00"
    refuse_receipt = (
        "mutation($input: AfterSaleReasonInput!) { refuseReturnReceipt(input: $input) "
        "{ afterSale { id } userErrors { code field message } } }"
    )
    receipt = {"afterSaleId": global_id("AfterSale", 1), "reason": "", "idempotencyKey": "\x00"}
    return [
        # PostgreSQL: a NUL in the idempotency key reached the INSERT of the claim (2026-12-06)
        Attack("NUL byte", "BAD_USER_INPUT", _query(PLACE_ORDER, input=nul_key), role=shopper),
        Attack("NUL byte", "BAD_USER_INPUT", _query(refuse_receipt, input=receipt), role=staff),
    ]
