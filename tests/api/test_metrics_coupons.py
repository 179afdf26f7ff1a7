"""Coupon figures of `metrics` on the coupon orders of tests/api/coupon_flow.py, checked against
hand SQL and worked out by hand, for HQ and for a store's staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from tests.api.conftest import Api
from tests.api.coupon_flow import REFUND_LAYERS, claim, claimed, coupon_orders, create_template, store_gid
from tests.conftest import Database
from tests.factories import Seed

COUPONS = """query ($range: DateRange!, $storeIds: [ID!]) { metrics(range: $range, storeIds: $storeIds) {
  coupons { issued { value } used { value } usageRate { value } discountCost { value { cents } }
    orders { value } sales { value { cents } series(granularity: DAY) { value { cents } } } } } }"""

HAND = text(
    """
    SELECT
      (SELECT count(*) FROM customer_coupons),
      (SELECT count(*) FROM customer_coupons c JOIN orders o ON o.id = c.used_order_id
        WHERE c.status = 'USED' AND o.paid_at IS NOT NULL),
      (SELECT coalesce(sum(a.amount), 0) FROM order_adjustments a
         JOIN customer_coupons c ON c.id = a.source_id AND c.used_order_id = a.order_id
        WHERE c.status = 'USED' AND a.layer IN ('COUPON', 'SHIPPING_COUPON')),
      (SELECT count(*) FROM orders o WHERE o.paid_at IS NOT NULL
         AND EXISTS (SELECT 1 FROM customer_coupons c WHERE c.used_order_id = o.id AND c.status = 'USED')),
      (SELECT coalesce(sum(o.paid_amount - o.refunded_amount), 0) FROM orders o WHERE o.paid_at IS NOT NULL
         AND EXISTS (SELECT 1 FROM customer_coupons c WHERE c.used_order_id = o.id AND c.status = 'USED'))
    """
)


def _days() -> dict[str, str]:
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}


def _flat(r: dict[str, Any]) -> tuple[int, ...]:
    c = r["metrics"]["coupons"]
    return (
        c["issued"]["value"],
        c["used"]["value"],
        c["discountCost"]["value"]["cents"],
        c["orders"]["value"],
        c["sales"]["value"]["cents"],
    )


async def test_coupon_figures_match_sql_and_follow_the_store_scope(
    api: Api, seed: Seed, db: Database
) -> None:
    world = await coupon_orders(api, seed)
    own = await create_template(api, name="A店券", type="STORE", storeIds=[store_gid(world.shop.a.id)])
    claimed(await claim(api, world.shop.customer_id, own["id"]))
    r = await api.as_hq().execute(COUPONS, range=_days())
    assert r.errors == [], r.errors
    async with db.sessions() as s:
        hand = [int(v) for v in (await s.execute(HAND)).one()]
    # the coupon layers less what `kept`'s refund took back of the goods coupon (its refund layers)
    refund = await api.as_hq().execute(REFUND_LAYERS, id=world.refunds[0])
    hand[2] -= refund.data["afterSale"]["refundLayers"]["goodsCoupon"]["cents"]
    want = tuple(hand)
    assert _flat(r.data) == want
    # 3 goods + 2 shipping + 1 store coupon issued; `kept`'s two coupons are used (5.00 + 5.00 off,
    # 1.25 taken back with the refunded unit), `returned`'s came back; kept paid 50.00, got 12.25 back.
    assert want == (6, 2, 875, 1, 3775)
    coupons = r.data["metrics"]["coupons"]
    assert coupons["usageRate"]["value"] == 2 / 6
    assert sum(p["value"]["cents"] for p in coupons["sales"]["series"]) == 3775
    # store B's staff: every coupon but A's own is valid at B; nothing was used at B
    b = await api.as_staff(world.shop.b.id).execute(COUPONS, range=_days())
    assert b.errors == [], b.errors
    assert _flat(b.data) == (5, 0, 0, 0, 0)
    a = await api.as_staff(world.shop.a.id).execute(COUPONS, range=_days())
    assert _flat(a.data) == want
