"""Demo coupons: one template of each claimable type (codes DEMO-ALL, DEMO-PRODUCT, DEMO-SHIPPING,
DEMO-STORE) and coupons of the demo shopper (customer 1) in the states a shopper meets: UNUSED,
USED, EXPIRED and VOIDED, each with its ledger. Written only with the demo handles, after the
orders, so the orders' ids are what they would be without them.
"""

from __future__ import annotations

from typing import Final

from bench.generator.common import DAY, Batch, Ids, dt, json_text
from bench.generator.demo import DEMO_CUSTOMER_ID, DEMO_SKU_ID, DEMO_STORE_ID
from bench.generator.world import World
from models.coupon_rules import CouponIssueCause, CouponStatus, CouponThreshold, CouponType
from models.coupons import CouponLedgerAction

# (code, name, type, amount off, threshold, stock, limit, scope: stores?, products?)
TEMPLATES: Final = (
    ("DEMO-ALL", "全场满50减5", CouponType.ALL, 500, 5000, 1000, 2, False, False),
    ("DEMO-PRODUCT", "招牌单品立减3元", CouponType.PRODUCT, 300, 0, 500, 1, False, True),
    ("DEMO-SHIPPING", "免运费券", CouponType.SHIPPING, 1000, 0, 1000, 3, False, False),
    ("DEMO-STORE", "SH001 店铺满30减4", CouponType.STORE, 400, 3000, 200, 1, True, False),
)
# (template index, status, days since the claim, days valid)
HELD: Final = (
    (0, CouponStatus.UNUSED, 1, 30),
    (2, CouponStatus.UNUSED, 1, 30),
    (0, CouponStatus.USED, 10, 30),
    (3, CouponStatus.EXPIRED, 40, 30),
    (2, CouponStatus.VOIDED, 5, 30),
)


def build_coupons(ids: Ids, world: World) -> Batch:
    batch = Batch()
    now = world.now
    product_id = next(s.product_id for s in world.skus if s.id == DEMO_SKU_ID)
    template_ids = []
    issued = [sum(1 for h in HELD if h[0] == i) for i in range(len(TEMPLATES))]
    for i, (code, name, kind, off, threshold, stock, limit, by_store, by_product) in enumerate(TEMPLATES):
        template_id = ids.next("coupon_templates")
        template_ids.append(template_id)
        batch.add(
            "coupon_templates",
            template_row(
                template_id,
                code,
                name,
                kind,
                off,
                threshold,
                stock,
                issued[i],
                limit,
                now - 60 * DAY,
                product_ids=[product_id] if by_product else None,
                store_ids=[DEMO_STORE_ID] if by_store else None,
            ),
        )
    seq: dict[int, int] = {}
    for index, status, days_ago, valid in HELD:
        by_store, by_product = TEMPLATES[index][7], TEMPLATES[index][8]
        coupon_id = ids.next("customer_coupons")
        seq[index] = seq.get(index, 0) + 1
        claimed = now - days_ago * DAY
        used_at = claimed + DAY if status is CouponStatus.USED else None
        batch.add(
            "customer_coupons",
            coupon_row(
                coupon_id,
                DEMO_CUSTOMER_ID,
                template_ids[index],
                TEMPLATES[index],
                status,
                claimed,
                claimed + valid * DAY,
                claim_seq=seq[index],
                used_at=used_at,
                product_ids=[product_id] if by_product else None,
                store_ids=[DEMO_STORE_ID] if by_store else None,
            ),
        )
        ledger_row(batch, ids, coupon_id, CouponLedgerAction.ISSUED, claimed, "领券")
        after = {
            CouponStatus.USED: CouponLedgerAction.USED,
            CouponStatus.EXPIRED: CouponLedgerAction.EXPIRED,
            CouponStatus.VOIDED: CouponLedgerAction.VOIDED,
        }.get(status)
        if after is not None:
            ledger_row(batch, ids, coupon_id, after, min(now, claimed + DAY), "demo")
    return batch


def template_row(
    template_id: int,
    code: str,
    name: str,
    kind: CouponType,
    off: int,
    threshold: int,
    stock: int,
    issued: int,
    limit: int,
    created: float,
    *,
    product_ids: list[int] | None = None,
    store_ids: list[int] | None = None,
    valid_days: int = 30,
) -> tuple[object, ...]:
    """A `coupon_templates` row: a face-value AMOUNT template valid `valid_days` after each issue."""
    return (
        template_id,
        code,
        name,
        kind.value,
        off,
        None,
        None,
        CouponThreshold.AMOUNT.value,
        threshold,
        stock,
        issued,
        limit,
        None,
        None,
        valid_days,
        json_text(product_ids) if product_ids else None,
        None,
        json_text(store_ids) if store_ids else None,
        None,
        None,
        None,
        None,
        dt(created),
        dt(created),
    )


def coupon_row(
    coupon_id: int,
    customer_id: int,
    template_id: int,
    template: tuple[object, ...],
    status: CouponStatus,
    issued: float,
    expires: float,
    *,
    claim_seq: int | None,
    cause: CouponIssueCause = CouponIssueCause.CLAIM,
    used_at: float | None = None,
    product_ids: list[int] | None = None,
    store_ids: list[int] | None = None,
) -> tuple[object, ...]:
    """A `customer_coupons` row of `template` (code, name, type, amount off, threshold, …)."""
    _code, name, kind, off, threshold, *_rest = template
    assert isinstance(kind, CouponType)
    return (
        coupon_id,
        customer_id,
        off,
        threshold,
        name,
        None,
        None,
        status.value,
        dt(issued),
        dt(expires),
        None,
        f"DEMO{coupon_id:08d}",
        template_id,
        kind.value,
        None,
        None,
        CouponThreshold.AMOUNT.value,
        json_text(product_ids) if product_ids else None,
        None,
        json_text(store_ids) if store_ids else None,
        None,
        claim_seq,
        dt(issued),
        None,
        dt(used_at) if used_at else None,
        cause.value,
    )


def ledger_row(
    batch: Batch, ids: Ids, coupon_id: int, action: CouponLedgerAction, at: float, note: str
) -> None:
    batch.add(
        "coupon_ledger",
        (ids.next("coupon_ledger"), coupon_id, action.value, None, "SYSTEM:demo", note, dt(at)),
    )
