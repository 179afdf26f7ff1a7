"""Per-template coupon figures (read by a loader, checked against hand SQL) and each refund's
split by pricing layer."""

from __future__ import annotations

from sqlalchemy import text

from gql.ids import parse_global_id
from services.db import count_statements
from tests.api.conftest import Api
from tests.api.coupon_flow import REFUND_LAYERS, cents, coupon_orders, create_template
from tests.conftest import Database
from tests.factories import Seed

TEMPLATE_PAGE = """{ couponTemplates(first: 20) { edges { node { id figures {
  issued claimed byCause { cause count } unused locked used expired voided usageRate
  discountGiven { cents } orders sales { cents } } } } } }"""

HAND = text(
    """
    SELECT t.id,
      (SELECT count(*) FROM customer_coupons c WHERE c.template_id = t.id),
      (SELECT count(*) FROM customer_coupons c WHERE c.template_id = t.id AND c.issue_cause = 'CLAIM'),
      (SELECT count(*) FROM customer_coupons c WHERE c.template_id = t.id AND c.status = 'USED'),
      (SELECT count(*) FROM customer_coupons c WHERE c.template_id = t.id AND c.status = 'UNUSED'),
      (SELECT coalesce(sum(a.amount), 0) FROM order_adjustments a
         JOIN customer_coupons c ON c.id = a.source_id AND c.used_order_id = a.order_id
        WHERE c.template_id = t.id AND c.status = 'USED' AND a.layer IN ('COUPON', 'SHIPPING_COUPON')),
      (SELECT count(*) FROM orders o JOIN customer_coupons c ON c.used_order_id = o.id
        WHERE c.template_id = t.id AND c.status = 'USED' AND o.paid_at IS NOT NULL),
      (SELECT coalesce(sum(o.paid_amount - o.refunded_amount), 0) FROM orders o
         JOIN customer_coupons c ON c.used_order_id = o.id
        WHERE c.template_id = t.id AND c.status = 'USED' AND o.paid_at IS NOT NULL)
    FROM coupon_templates t ORDER BY t.id
    """
)


async def test_template_figures_match_sql_in_constant_statements(api: Api, seed: Seed, db: Database) -> None:
    world = await coupon_orders(api, seed)
    with count_statements() as counted:
        r = await api.as_hq().execute(TEMPLATE_PAGE)
    assert r.errors == [], r.errors
    statements = counted.count
    async with db.sessions() as s:
        want = {int(row[0]): tuple(int(v) for v in row[1:]) for row in (await s.execute(HAND)).all()}
    got = {}
    for edge in r.data["couponTemplates"]["edges"]:
        f = edge["node"]["figures"]
        key = int(parse_global_id(edge["node"]["id"]).node_id)
        got[key] = (
            f["issued"],
            f["claimed"],
            f["used"],
            f["unused"],
            f["discountGiven"]["cents"],
            f["orders"],
            f["sales"]["cents"],
        )
    # the coupon layers net of what refunds took back: `kept`'s refund of 1 unit took back the goods
    # coupon's 1.25 (its refundLayers.goodsCoupon), `returned`'s coupons are unused again
    layers = (await api.as_hq().execute(REFUND_LAYERS, id=world.refunds[0])).data["afterSale"]["refundLayers"]
    back = layers["goodsCoupon"]["cents"]
    goods_id = int(parse_global_id(world.goods["id"]).node_id)
    want[goods_id] = (*want[goods_id][:4], want[goods_id][4] - back, *want[goods_id][5:])
    assert got == want
    edges = r.data["couponTemplates"]["edges"]
    goods = next(e["node"]["figures"] for e in edges if e["node"]["id"] == world.goods["id"])
    # 3 claimed; `kept` still uses one (¥5.00 off, 1.25 of it taken back with the refunded unit; paid
    # 50.00 − 12.25 refunded), `returned`'s came back
    assert goods == {
        "issued": 3,
        "claimed": 3,
        "byCause": [{"cause": "CLAIM", "count": 3}],
        "unused": 2,
        "locked": 0,
        "used": 1,
        "expired": 0,
        "voided": 0,
        "usageRate": 1 / 3,
        "discountGiven": {"cents": 500 - 125},
        "orders": 1,
        "sales": {"cents": 5000 - 1225},
    }
    # the same page with more templates costs no more statements
    for name in ("又一张", "再一张"):
        await create_template(api, name=name)
    with count_statements() as again:
        assert (await api.as_hq().execute(TEMPLATE_PAGE)).errors == []
    assert again.count == statements


async def test_refund_layers_add_up_to_each_refund(api: Api, seed: Seed) -> None:
    world = await coupon_orders(api, seed)
    hq = api.as_hq()
    layers = []
    for after_sale in world.refunds:
        got = (await hq.execute(REFUND_LAYERS, id=after_sale)).data["afterSale"]
        assert got["refundLayers"]["amount"] == got["refundAmount"]
        layers.append(cents(got["refundLayers"]))
    # line: 4 × 15.00 = 60.00, 满60减6 took 6.00, the coupon 5.00: paid 49.00; 1 unit = 1/4 of each
    one_unit = {"goods": 1500, "orderPromotion": 150, "goodsCoupon": 125}
    assert layers[0] == {**one_unit, "amount": 1225}
    assert layers[1] == {**one_unit, "lowered": 225, "amount": 1000}
    # the last 3 units: their share, the fees (delivery 5.00 all paid by the shipping coupon,
    # packaging 1.00) and the 2.25 the lowered refund held back
    assert layers[2] == {
        "goods": 4500,
        "orderPromotion": 450,
        "goodsCoupon": 375,
        "deliveryFee": 500,
        "shippingCoupon": 500,
        "packagingFee": 100,
        "heldBack": 225,
        "amount": 4000,
    }


PAGE_LAYERS = (
    """query($n: Int!) { afterSales(first: $n) { edges { node { refundLayers { amount { cents } } } } } }"""
)


async def test_a_page_of_refund_layers_is_read_in_constant_statements(api: Api, seed: Seed) -> None:
    await coupon_orders(api, seed)
    counts = []
    for n in (1, 3):
        with count_statements() as counted:
            r = await api.as_hq().execute(PAGE_LAYERS, n=n)
        assert r.errors == [], r.errors
        assert len(r.data["afterSales"]["edges"]) == n
        counts.append(counted.count)
    assert counts[0] == counts[1]
