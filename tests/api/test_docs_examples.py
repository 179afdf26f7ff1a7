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
import io
import json
import re
import shlex
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import DocumentNode, FragmentDefinitionNode, OperationDefinitionNode, parse, print_ast, validate

from adapters.strawberry import graphql_schema_of
from bench.generator import generate
from bench.generator.demo import DEMO_ORDERS
from cli import main as cli_main
from cli.cheatsheet import cheat_sheet, dev_subject, render
from gql.app import Resources, create_app
from gql.gate.auth import mint_token, principal_from_token
from gql.schema import schema
from gql.settings import PROJECT_ROOT, Settings, load_settings
from models.enums import Role
from services.cache import MemoryCache
from services.db import create_engine, session_factory
from services.migrations import upgrade
from services.payments import DevPaymentGateway
from services.stores.reads import store_by_code

DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
DEMO_ORDER_COUNT = 3000  # the Makefile's DEMO_ORDERS
_ANNOTATION = re.compile(r"<!--\s*example:(?P<args>.*?)-->")
_FENCE = re.compile(r"^```(?P<lang>\w*)\s*$")


@dataclass
class Example:
    path: Path
    line: int
    lang: str
    body: str
    options: dict[str, str] = field(default_factory=dict)
    binds: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(PROJECT_ROOT)}:{self.line}"


def examples(path: Path) -> Iterator[Example]:
    """The fenced blocks of a Markdown file with the annotation just above each (if any)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence is None or not fence["lang"]:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        example = Example(path, i + 1, fence["lang"], "\n".join(lines[i + 1 : end]))
        above = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        note = _ANNOTATION.search(above)
        if note is not None:
            for word in note["args"].split():
                key, _, value = word.partition("=")
                if key == "bind":
                    var, _, source = value.partition(":")
                    example.binds[var] = source
                else:
                    example.options[key] = value
        yield example
        i = end + 1


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
        assert _dig(data, path) == expected, (path, data)

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


def _dig(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def _nonempty(value: Any) -> None:
    assert value, value


def _user_errors(data: Any, at: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("userErrors", "rowErrors") and value:
                yield f"{at}.{key}", value
            else:
                yield from _user_errors(value, f"{at}.{key}")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _user_errors(value, f"{at}.{index}")


# -- the demo database and a server over a copy of it --------------------------------------------


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


@dataclass
class Server:
    http: httpx.AsyncClient
    settings: Settings
    url: str

    async def token(self, example: Example) -> str | None:
        role = example.options.get("role", "HQ_ADMIN")
        if role == "ANONYMOUS":
            return None
        store_ids: list[int] | None = None
        if "store" in example.options:
            engine = create_engine(self.url)
            try:
                store = await store_by_code(session_factory(engine), example.options["store"])
            finally:
                await engine.dispose()
            assert store is not None, example.where
            store_ids = [store.id]
        customer = int(example.options["customer"]) if "customer" in example.options else None
        subject = dev_subject(Role(role), customer)
        return mint_token(self.settings, Role(role), subject, store_ids=store_ids, customer_id=customer)

    async def run(self, query: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        r = await self.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


@asynccontextmanager
async def served_copy(demo: Path, tmp: Path) -> AsyncIterator[Server]:
    copy = tmp / "copy.db"
    shutil.copyfile(demo, copy)
    url = f"sqlite+aiosqlite:///{copy}"
    settings = load_settings(database_url=url, environment="dev", sweep_interval_seconds=0)
    engine = create_engine(url)
    app = create_app(
        resources=Resources(settings, engine, session_factory(engine), MemoryCache(), DevPaymentGateway())
    )
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
        ):
            yield Server(http, settings, url)
    finally:
        await engine.dispose()


def _operations(document: DocumentNode) -> Iterator[tuple[str, str, OperationDefinitionNode]]:
    """(name, text to send, node) per operation, each with the fragments of the block."""
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    for op in document.definitions:
        if isinstance(op, OperationDefinitionNode):
            name = op.name.value if op.name else ""
            yield name, print_ast(DocumentNode(definitions=(op, *fragments))), op


async def _run_graphql(server: Server, example: Example, answers: dict[str, Any], file: str) -> None:
    document = parse(example.body)
    problems = validate(graphql_schema_of(schema), document)
    assert not problems, f"{example.where}: the block is not one valid GraphiQL document: {problems}"
    if "validate" in example.options:
        return
    token = await server.token(example)
    for name, text, op in _operations(document):
        variables: dict[str, Any] = {}
        for definition in op.variable_definitions or ():
            var = definition.variable.name.value
            if var in example.binds:
                source, _, path = example.binds[var].partition(".")
                assert source in answers, f"{example.where}: ${var} comes from {source}, which has not run"
                variables[var] = _dig(answers[source], path)
            else:
                assert definition.default_value is not None or not _required(definition), (
                    f"{example.where}: {name or 'the operation'} needs ${var}: give it a default or a bind"
                )
        body = await server.run(text, variables, token)
        assert not body.get("errors"), f"{example.where} {name}: {body['errors']}"
        data = body["data"]
        bad = list(_user_errors(data))
        assert not bad, f"{example.where} {name}: {bad}"
        if name:
            answers[name] = data
        for check in PROMISES.get((file, name), []):
            check(data)


def _required(definition: Any) -> bool:
    return type(definition.type).__name__ == "NonNullTypeNode"


async def _run_curl(server: Server, example: Example, monkeypatch: pytest.MonkeyPatch) -> None:
    command = re.search(r"mallgraph (token [^)]*)\)", example.body)
    payload = re.search(r"-d '(?P<json>[^']*)'", example.body)
    assert command is not None, f"{example.where}: no `mallgraph token` command"
    assert payload is not None, f"{example.where}: no -d body"
    monkeypatch.setenv("DATABASE_URL", server.url)
    out = io.StringIO()
    with redirect_stdout(out):
        assert await asyncio.to_thread(cli_main, shlex.split(command[1])) == 0
    token = out.getvalue().strip()
    principal_from_token(server.settings, token)
    request = json.loads(payload["json"])
    body = await server.run(request["query"], request.get("variables") or {}, token)
    assert not body.get("errors"), f"{example.where}: {body['errors']}"


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
                await _run_curl(server, example, monkeypatch)
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
