"""Every GraphQL example in README.md and docs/ runs as written against `make run`'s demo data.

The demo database is generated once per session with `make run`'s settings (3,000 orders, seed
42, the current hour); each Markdown file then runs against a fresh copy of it, its examples in
the order a reader meets them, so a mutation acts once on fresh data as the text says. An example
is a fenced block preceded by an HTML comment (Markdown hides it) saying how to run it:

    <!-- example: role=STORE_STAFF store=SH001 bind=order:Place.placeOrder.order.id -->

`role` (HQ_ADMIN, STORE_STAFF, ANALYST, SHOPPER, ANONYMOUS), `store` (a code), `customer` (an id),
`bind=VAR:Operation.path` (a variable the reader copies from an earlier answer), `validate`
(subscriptions: checked against the schema, not run) and `curl` (an ```sh block: its
`mallgraph token` command and `-d` body are run). A block is one GraphiQL document: it must
validate as a whole; each operation must answer without errors and with empty `userErrors`, and
the answers the text promises are asserted below.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from adapters.strawberry import graphql_schema_of
from bench.generator import generate
from bench.generator.demo import DEMO_ORDERS
from cli.cheatsheet import cheat_sheet, render
from gql.gate.auth import principal_from_token
from gql.schema import schema
from gql.settings import PROJECT_ROOT, load_settings
from models.enums import Role
from services.db import create_engine, session_factory
from services.migrations import upgrade
from tests.api.docs_runner import (
    DEMO_ORDER_COUNT,
    DOCS,
    Example,
    Server,
    dig,
    examples,
    operations,
    required,
    run_curl,
    served_copy,
    user_errors,
)

# -- what the text promises, by (file, operation) ------------------------------------------------

Check = Callable[[Any], None]


def _all_demo_orders_found(data: Any) -> None:
    numbers = {edge["node"]["orderNo"] for edge in data["orders"]["edges"]}
    assert "2026112300000003" in numbers, numbers


def _every_purchase_state(data: Any) -> None:
    states = {p["status"] for p in data["couponPurchases"]}
    assert states == {"UNPAID", "PAID", "REFUNDED", "EXPIRED"}, states


def _no_price_cut(data: Any) -> None:
    labels = [a["label"] for a in data["previewPricing"]["adjustments"]]
    assert "单品直降" not in labels, labels


def _eq(path: str, expected: object) -> Check:
    def check(data: Any) -> None:
        assert dig(data, path) == expected, (path, data)

    return check


def _refund_layers_add_up(data: Any) -> None:
    nodes = [edge["node"] for edge in data["afterSales"]["edges"]]
    _nonempty([n for n in nodes if n["refundLayers"] is not None])
    for node in nodes:
        if node["refundLayers"] is not None:
            assert node["refundLayers"]["amount"] == node["refundAmount"], node


def _positive(value: float) -> None:
    assert value > 0, value


PROMISES: dict[tuple[str, str], list[Check]] = {
    ("README.md", "Viewer"): [_eq("viewer.role", "HQ_ADMIN")],
    ("README.md", "Order"): [
        _eq("order.orderNo", "2026112300000003"),
        _eq("order.consignee.name", "张三"),
        lambda d: _nonempty(d["order"]["parcels"]),
    ],
    ("README.md", "Node"): [_eq("node.code", "SH001")],
    ("README.md", "Products"): [lambda d: _nonempty(d["products"]["edges"])],
    ("README.md", "Shelf"): [
        _eq("store.id", "U3RvcmU6MQ=="),
        _eq("products.edges.0.node.skus.0.id", "U2t1OjE="),
        _eq("products.edges.0.node.skus.0.skuCode", "XF00000101"),
    ],
    ("README.md", "Place"): [_eq("placeOrder.order.status", "PENDING_PAYMENT")],
    ("orders.md", "Slots"): [
        _eq("store.takesPreOrders", True),
        lambda d: _nonempty(d["store"]["bookingSlots"]),
    ],
    ("orders.md", "Book"): [_eq("placeOrder.order.status", "PENDING_PAYMENT")],
    ("orders.md", "PreOrderSettings"): [_eq("updateStore.store.preOrderDays", 3)],
    ("back_office.md", "Support"): [lambda d: _nonempty(d["supportLog"])],
    ("orders.md", "ByMerchantNo"): [_eq("orders.edges.0.node.merchantOrderNo", "POS-DEMO-0001")],
    ("orders.md", "BatchApprove"): [_eq("batchApproveAfterSales.succeeded", 1)],
    ("orders.md", "Reship"): [
        _eq("shipReplacement.afterSale.status", "RESHIPPED"),
        _eq("shipReplacement.afterSale.refundAmount.cents", 0),
    ],
    ("orders.md", "Escalations"): [lambda d: _nonempty(d["afterSaleEscalations"]["edges"])],
    ("orders.md", "Verdict"): [
        _eq("decideEscalation.escalation.state", "BUYER_SUPPORTED"),
        _eq("decideEscalation.escalation.afterSale.status", "REFUNDED"),
    ],
    ("orders.md", "Difference"): [
        _eq("refundLines.afterSale.type", "PRICE_DIFFERENCE"),
        _eq("refundLines.order.lines.0.refundedQuantity", 0),
        _eq("refundLines.order.lines.0.refundedAmount.cents", 100),
    ],
    ("README.md", "Pay"): [
        _eq("payOrder.order.status", "PENDING_ACCEPTANCE"),
        _eq("payOrder.order.version", 3),
    ],
    ("README.md", "Accept"): [
        _eq("acceptOrder.order.status", "PENDING_PICKUP"),
        _eq("acceptOrder.order.version", 4),
    ],
    ("README.md", "ToShip"): [
        _eq("order.id", "T3JkZXI6MQ=="),
        _eq("order.lines.0.id", "T3JkZXJMaW5lOjE="),
        _eq("order.lines.1.id", "T3JkZXJMaW5lOjI="),
        _eq("order.status", "PENDING_SHIPMENT"),
    ],
    ("README.md", "Ship"): [_eq("shipOrder.order.status", "SHIPPED")],
    ("README.md", "Pickup"): [_eq("verifyPickup.order.status", "COMPLETED")],
    ("README.md", "Search"): [_all_demo_orders_found],
    ("coupons.md", "Templates"): [_eq("couponTemplates.totalCount", 6)],
    ("coupons.md", "MoreStock"): [_eq("updateCouponTemplate.template.remaining", 800)],
    ("coupons.md", "ProductPromotions"): [
        lambda d: _nonempty([c for c in d["productPromotions"]["coupons"] if c["code"] == "DEMO-PRODUCT"])
    ],
    ("coupons.md", "Claim"): [_eq("claimCoupon.coupon.status", "UNUSED")],
    ("coupons.md", "Preview"): [lambda d: _nonempty(d["previewPricing"]["bestCoupon"])],
    ("coupons.md", "PlaceWithCoupon"): [
        _eq("placeOrder.order.status", "PENDING_PAYMENT"),
        lambda d: _nonempty([p for p in d["placeOrder"]["order"]["pricing"] if p["layer"] == "COUPON"]),
    ],
    ("coupons.md", "Locked"): [_eq("myCoupons.0.status", "LOCKED")],
    ("coupons.md", "Rules"): [
        _eq("couponIssueRules.totalCount", 5),
        lambda d: _nonempty(
            [
                e
                for e in d["couponIssueRules"]["edges"]
                if e["node"]["kind"] == "ON_REGISTRATION"
                and e["node"]["figures"]["skippedByReason"] == [{"reason": "OUT_OF_STOCK", "count": 2}]
            ]
        ),
    ],
    ("coupons.md", "OrderRebate"): [_eq("createCouponIssueRule.rule.running", True)],
    ("coupons.md", "StopRebate"): [_eq("stopCouponIssueRule.rule.running", False)],
    ("coupons.md", "MyAssists"): [_eq("myAssists.0.status", "OPEN"), _eq("myAssists.0.helperCount", 1)],
    ("coupons.md", "Share"): [_eq("startAssist.assist.id", "QXNzaXN0OjE=")],
    ("coupons.md", "Help"): [
        _eq("joinAssist.assist.helperCount", 2),
        _eq("joinAssist.assist.helpedByMe", True),
    ],
    ("coupons.md", "TemplateFigures"): [
        _eq("couponTemplate.figures.issued", 4),
        _eq("couponTemplate.figures.used", 1),
        _eq("couponTemplate.figures.locked", 1),
        _eq("couponTemplate.figures.orders", 1),
        _eq("couponTemplate.figures.discountGiven.amount", "5.00"),
        lambda d: _positive(float(d["couponTemplate"]["figures"]["sales"]["amount"])),
    ],
    ("coupons.md", "RefundLayers"): [_refund_layers_add_up],
    ("metrics.md", "CouponFigures"): [
        lambda d: _positive(d["metrics"]["coupons"]["issued"]["value"]),
        lambda d: _positive(d["metrics"]["coupons"]["orders"]["value"]),
        lambda d: _positive(float(d["metrics"]["coupons"]["discountCost"]["value"]["amount"])),
        lambda d: _positive(float(d["metrics"]["coupons"]["sales"]["value"]["amount"])),
    ],
    ("analytics.md", "CouponsByTemplate"): [lambda d: _nonempty(d["couponAggregate"]["rows"])],
    ("analytics.md", "PayersByStoreDayAndChannel"): [_eq("orderAggregate.source", "ROLLUP")],
    ("coupons.md", "PutOnSale"): [_eq("setCouponSalePrice.template.salePrice.amount", "5.00")],
    ("coupons.md", "Purchases"): [_every_purchase_state],
    ("coupons.md", "Buy"): [_eq("buyCoupon.purchase.status", "UNPAID")],
    ("coupons.md", "PayPurchase"): [
        _eq("payCouponPurchase.purchase.status", "PAID"),
        _eq("payCouponPurchase.purchase.coupon.status", "UNUSED"),
    ],
    ("coupons.md", "RefundPurchase"): [
        _eq("refundCouponPurchase.purchase.status", "REFUNDED"),
        _eq("refundCouponPurchase.purchase.coupon.status", "VOIDED"),
    ],
    ("coupons.md", "PushJob"): [
        _eq("couponPushJob.state", "SUCCEEDED"),
        _eq("couponPushJob.targeted", 8),
        _eq("couponPushJob.issued", 6),
        _eq("couponPushJob.skipped", {"alreadyHas": 1, "limit": 0, "stock": 1}),
    ],
    ("coupons.md", "PushFigures"): [_eq("couponTemplate.figures", {"issued": 7, "claimed": 1, "pushed": 6})],
    ("coupons.md", "PushToTwo"): [_eq("startCouponPush.job.targetKind", "CUSTOMERS")],
    ("coupons.md", "ClaimByQr"): [_eq("claimCouponByLink.coupon.status", "UNUSED")],
    ("promotions.md", "PriceCut"): [_eq("createCampaign.campaign.type", "PRICE_CUT")],
    ("promotions.md", "InPromotions"): [
        lambda d: _nonempty([c for c in d["productPromotions"]["campaigns"] if c["type"] == "PRICE_CUT"])
    ],
    ("promotions.md", "CutPreview"): [
        lambda d: _nonempty([a for a in d["previewPricing"]["adjustments"] if a["label"] == "单品直降"])
    ],
    ("promotions.md", "FlashSale"): [_eq("createCampaign.campaign.flashSale.skus.0.stock", 50)],
    ("promotions.md", "FlashPreview"): [
        lambda d: _nonempty([a for a in d["previewPricing"]["adjustments"] if a["label"] == "限时抢"])
    ],
    ("promotions.md", "Discount"): [_eq("createCampaign.campaign.productDiscount.percentOff", 10)],
    ("campaign_opt_in.md", "OptInCut"): [_eq("createCampaign.campaign.optIn", True)],
    ("campaign_opt_in.md", "CartBefore"): [_no_price_cut],
    ("campaign_opt_in.md", "Invitations"): [
        lambda d: _nonempty([i for i in d["campaignInvitations"] if i["optedIn"]]),
        lambda d: _nonempty([i for i in d["campaignInvitations"] if not i["optedIn"]]),
    ],
    ("campaign_opt_in.md", "OptIn"): [_eq("optInCampaign.optIn.optedIn", True)],
    ("campaign_opt_in.md", "CartAfter"): [
        lambda d: _nonempty([a for a in d["previewPricing"]["adjustments"] if a["label"] == "单品直降"])
    ],
    ("campaign_opt_in.md", "WhoOptedIn"): [_eq("campaign.optIns.0.store.code", "SH001")],
    ("campaign_opt_in.md", "OptOut"): [_eq("optOutCampaign.optIn.optedIn", False)],
    ("order_promotions.md", "MultiBuy"): [_eq("createCampaign.campaign.orderDiscount.tiers.1.label", "8折")],
    ("order_promotions.md", "MultiBuyPreview"): [
        _eq("previewPricing.adjustments.0.text", "多买多折: 满3件8折 −¥17.94"),
        _eq("previewPricing.discountAmount.amount", "17.94"),
    ],
    ("order_promotions.md", "BundlePreview"): [
        _eq("previewPricing.adjustments.0.text", "任选2件: 50元2件 ×1 −¥36.80"),
        lambda d: _nonempty([x for x in d["previewPricing"]["lines"] if x["isGift"]]),
    ],
    ("order_promotions.md", "PlaceWithGift"): [
        _eq("placeOrder.order.status", "PENDING_PAYMENT"),
        _eq("placeOrder.order.pricing.0.text", "任选2件: 50元2件 ×1 −¥9.80"),
        lambda d: _nonempty([x for x in d["placeOrder"]["order"]["lines"] if x["isGift"]]),
    ],
    ("order_promotions.md", "ProductIsIn"): [
        lambda d: _nonempty(
            [
                c
                for c in d["productPromotions"]["campaigns"]
                if c["type"] == "BUNDLE_PRICE" and c["priority"] == 20
            ]
        ),
        lambda d: _nonempty([c for c in d["productPromotions"]["campaigns"] if c["type"] == "BUY_GIFT"]),
    ],
    ("fulfilment.md", "Picking"): [
        _eq("order.deliveryStage", "PICKING"),
        _eq("order.id", "T3JkZXI6MQ=="),
    ],
    ("fulfilment.md", "Buttons"): [
        lambda d: _nonempty(
            {"FINISH_PICKING", "FOLLOW_UP_DELIVERY"}
            <= {a["action"] for a in d["order"]["availableActions"] if a["allowed"]}
        )
    ],
    ("fulfilment.md", "Picked"): [_eq("finishPicking.order.deliveryStage", "PICKED")],
    ("fulfilment.md", "OwnRider"): [
        _eq("assignOwnRider.order.deliveryStage", "RIDER_ASSIGNED"),
        _eq("assignOwnRider.order.delivery.riderPhone", "13700001111"),
    ],
    ("fulfilment.md", "OnTheWay"): [
        _eq("markOrderDelivering.order.status", "SHIPPED"),
        _eq("markOrderDelivering.order.deliveryStage", "DELIVERING"),
    ],
    ("fulfilment.md", "AtTheDoor"): [_eq("markOrderDelivered.order.deliveryStage", "DELIVERED")],
    ("fulfilment.md", "RaiseClaim"): [_eq("raiseClaim.claim.state", "PENDING")],
    ("fulfilment.md", "ApproveClaim"): [_eq("approveClaim.claim.compensationAmount.cents", 300)],
    ("fulfilment.md", "PayClaim"): [_eq("payClaim.claim.state", "PAID")],
    ("fulfilment.md", "ClaimList"): [lambda d: _nonempty(d["claims"]["edges"])],
}


def _nonempty(value: Any) -> None:
    assert value, value


# -- the demo database ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "mallgraph.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)  # as `mallgraph seed`
        await generate(engine, orders=DEMO_ORDER_COUNT, seed=42, now=now, progress=False)
    finally:
        await engine.dispose()
    return path


async def _run_graphql(server: Server, example: Example, answers: dict[str, Any], file: str) -> None:
    document = parse(example.body)
    problems = validate(graphql_schema_of(schema), document)
    assert not problems, f"{example.where}: the block is not one valid GraphiQL document: {problems}"
    if "validate" in example.options:
        return
    token = await server.token(example)
    for name, text, op in operations(document):
        variables: dict[str, Any] = {}
        for definition in op.variable_definitions or ():
            var = definition.variable.name.value
            if var in example.binds:
                source, _, path = example.binds[var].partition(".")
                assert source in answers, f"{example.where}: ${var} comes from {source}, which has not run"
                variables[var] = dig(answers[source], path)
            else:
                assert definition.default_value is not None or not required(definition), (
                    f"{example.where}: {name or 'the operation'} needs ${var}: give it a default or a bind"
                )
        body = await server.run(text, variables, token)
        assert not body.get("errors"), f"{example.where} {name}: {body['errors']}"
        data = body["data"]
        bad = list(user_errors(data))
        assert not bad, f"{example.where} {name}: {bad}"
        if name:
            answers[name] = data
        for check in PROMISES.get((file, name), []):
            check(data)


# -- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
async def test_examples_run_as_written(
    path: Path, demo_database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = path.name
    answers: dict[str, Any] = {}
    ran: set[str] = set()
    async with served_copy(demo_database, tmp_path) as server:
        for example in examples(path):
            if example.lang == "graphql":
                assert example.options, f"{example.where}: annotate the block (<!-- example: role=… -->)"
                await _run_graphql(server, example, answers, file)
                ran.update(answers)
            elif "curl" in example.options:
                await run_curl(server, example, monkeypatch)
    promised = {name for (doc, name) in PROMISES if doc == file}
    assert promised <= ran, f"{file}: promised operations not found: {sorted(promised - ran)}"


def test_docs_stand_alone() -> None:
    """The product's docs never send the reader outside the repository."""
    outside = re.compile(r"\.\./shared|\bSPEC\b|seeds/|§")
    for path in DOCS:
        found = outside.search(path.read_text(encoding="utf-8"))
        assert found is None, f"{path.relative_to(PROJECT_ROOT)} points outside the repository: {found}"


async def test_cheat_sheet_tokens_and_handles(demo_database: Path) -> None:
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{demo_database}", environment="dev")
    engine = create_engine(settings.database_url)
    try:
        sheet = await cheat_sheet(settings, session_factory(engine), url="http://127.0.0.1:8000/graphql")
    finally:
        await engine.dispose()
    assert sheet.complete
    roles = {principal_from_token(settings, t.token).role for t in sheet.tokens}
    assert roles == {Role.HQ_ADMIN, Role.STORE_STAFF, Role.ANALYST, Role.SHOPPER}
    assert [no for no, _, _ in sheet.orders] == [spec.order_no for spec in DEMO_ORDERS]
    text = render(sheet)
    for shown in ("http://127.0.0.1:8000/graphql", "SH001", "2026112300000002"):
        assert shown in text
    assert all(t.token in text for t in sheet.tokens)
