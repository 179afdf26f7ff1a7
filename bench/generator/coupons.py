"""Demo coupons: one template of each claimable type (codes DEMO-ALL, DEMO-PRODUCT, DEMO-SHIPPING,
DEMO-STORE), one on sale (DEMO-SALE, 卖券) and one pushed (DEMO-PUSH, 发券); coupons of the demo
shopper (customer 1) in the states a shopper meets (UNUSED, EXPIRED, VOIDED), and DEMO-ALL coupons
spent by real orders (`coupon_orders`: USED by a completed order, RESTORED by a full refund, LOCKED
by an unpaid order), each with its ledger. The sales and the push are in `coupon_ops`. Written only
with the demo handles, after the simulated orders, so their ids are what they would be without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bench.generator.common import DAY, HOUR, Batch, Ids, dt, json_text
from bench.generator.coupon_ops import build_push, build_sales
from bench.generator.coupon_orders import COUPON_ORDERS, CouponOrders, Spent
from bench.generator.demo import DEMO_CUSTOMER_ID, DEMO_SKU_ID, DEMO_STORE_ID
from bench.generator.world import World
from models.coupons.rows import CouponLedgerAction
from models.coupons.rules import (
    CouponClaimPath,
    CouponIssueCause,
    CouponRestorePolicy,
    CouponStatus,
    CouponTerms,
    CouponThreshold,
    CouponType,
)


@dataclass(frozen=True, slots=True)
class DemoTemplate:
    code: str
    name: str
    type: CouponType
    amount_off: int
    threshold: int
    stock: int
    limit: int
    by_store: bool = False
    by_product: bool = False
    sale_price: int | None = None


TEMPLATES: Final = (
    DemoTemplate("DEMO-ALL", "全场满50减5", CouponType.ALL, 500, 5000, 1000, 2),
    DemoTemplate("DEMO-PRODUCT", "招牌单品立减3元", CouponType.PRODUCT, 300, 0, 500, 1, by_product=True),
    DemoTemplate("DEMO-SHIPPING", "免运费券", CouponType.SHIPPING, 1000, 0, 1000, 3),
    DemoTemplate("DEMO-STORE", "SH001 店铺满30减4", CouponType.STORE, 400, 3000, 200, 1, by_store=True),
    DemoTemplate("DEMO-SALE", "9.9元购 满50减10", CouponType.ALL, 1000, 5000, 100, 3, sale_price=990),
    DemoTemplate("DEMO-PUSH", "老客回馈 满40减6", CouponType.ALL, 600, 4000, 7, 1),
)
RESTORE_DEFAULT: Final = CouponRestorePolicy.FULL_REFUND_BEFORE_COMPLETION.value
"""Every demo template keeps the default restore policy (and so does each coupon it issued)."""
SALE, PUSH = 4, 5
CLAIM_PATH: Final = tuple(
    (CouponClaimPath.LINK if t.by_store else CouponClaimPath.CENTER).value for t in TEMPLATES
)
"""The store's own coupon is claimed by its QR at the till (扫码领券); the others in the coupon centre.
The 返券 rules' templates (`template_row`) are ISSUE_ONLY: given by their rules, never claimed."""
"""Indexes of the template on sale and of the pushed one."""
# (template index, status, days since the claim, days valid)
HELD: Final = (
    (0, CouponStatus.UNUSED, 1, 30),
    (2, CouponStatus.UNUSED, 1, 30),
    (3, CouponStatus.EXPIRED, 40, 30),
    (2, CouponStatus.VOIDED, 5, 30),
)
_AFTER: Final = {
    CouponStatus.USED: CouponLedgerAction.USED,
    CouponStatus.EXPIRED: CouponLedgerAction.EXPIRED,
    CouponStatus.VOIDED: CouponLedgerAction.VOIDED,
}


@dataclass
class Coupons:
    """Writes templates, coupons and ledger rows; remembers each customer's claims per template."""

    ids: Ids
    world: World
    batch: Batch
    template_ids: list[int]
    seq: dict[tuple[int, int], int]

    def coupon(
        self,
        index: int,
        customer_id: int,
        status: CouponStatus,
        claimed: float,
        valid_days: int,
        cause: CouponIssueCause,
        note: str,
        *,
        coupon_id: int | None = None,
        spent: Spent | None = None,
    ) -> int:
        """One coupon of template `index` with its ISSUED ledger row and one for its state, or, when
        `spent` by an order, the rows of that order's steps (LOCKED, USED, RESTORED)."""
        t = TEMPLATES[index]
        coupon_id = coupon_id or self.ids.next("customer_coupons")
        seq = self.seq[(index, customer_id)] = self.seq.get((index, customer_id), 0) + 1
        claim_seq = seq if cause is CouponIssueCause.CLAIM else None  # as services.coupons.claiming
        used_at = spent.paid if spent is not None and status is CouponStatus.USED else None
        order_id = spent.order_id if spent is not None else None
        own_store = DEMO_STORE_ID if t.by_store else None
        product_id = next(s.product_id for s in self.world.skus if s.id == DEMO_SKU_ID)
        self.batch.add(
            "customer_coupons",
            (
                coupon_id,
                customer_id,
                t.amount_off,
                t.threshold,
                t.name,
                None,
                None,
                status.value,
                dt(claimed),
                dt(claimed + valid_days * DAY),
                order_id if status is CouponStatus.USED else None,
                f"DEMO{coupon_id:08d}",
                self.template_ids[index],
                t.type.value,
                None,
                None,
                CouponThreshold.AMOUNT.value,
                json_text([product_id]) if t.by_product else None,
                None,
                json_text([DEMO_STORE_ID]) if t.by_store else None,
                None,
                claim_seq,
                dt(claimed),
                order_id if status is CouponStatus.LOCKED else None,
                dt(used_at) if used_at else None,
                cause.value,
                RESTORE_DEFAULT,
                None,
            ),
        )
        self.ledger(coupon_id, CouponLedgerAction.ISSUED, claimed, note, store_id=own_store)
        if spent is not None:
            for action, at in (
                (CouponLedgerAction.LOCKED, spent.placed),
                (CouponLedgerAction.USED, spent.paid),
                (CouponLedgerAction.RESTORED, spent.restored),
            ):
                if at is not None:
                    self.ledger(
                        coupon_id, action, at, "demo", order_id=spent.order_id, store_id=spent.store_id
                    )
            return coupon_id
        after = _AFTER.get(status)
        if after is not None:
            self.ledger(coupon_id, after, min(self.world.now, claimed + DAY), "demo", store_id=own_store)
        return coupon_id

    def ledger(
        self,
        coupon_id: int,
        action: CouponLedgerAction,
        at: float,
        note: str,
        *,
        order_id: int | None = None,
        store_id: int | None = None,
    ) -> None:
        """A ledger row; `store_id` as `services.coupons.ledger.record` sets it (the order's store,
        else the coupon's only store)."""
        row = (
            self.ids.next("coupon_ledger"),
            coupon_id,
            action.value,
            order_id,
            "SYSTEM:demo",
            note,
            dt(at),
            store_id,
        )
        self.batch.add("coupon_ledger", row)


def build_coupons(ids: Ids, world: World, orders: CouponOrders) -> Batch:
    """Templates, held coupons, sales, a push, and the `COUPON_ORDERS` placed with `orders`."""
    now = world.now
    out = Coupons(ids, world, Batch(), [], {})
    product_id = next(s.product_id for s in world.skus if s.id == DEMO_SKU_ID)
    sales = build_sales(now)
    push = build_push(now, TEMPLATES[PUSH].stock)
    issued = [sum(1 for h in HELD if h[0] == i) for i in range(len(TEMPLATES))]
    issued[0] += len(COUPON_ORDERS)
    issued[SALE] += sales.issued
    issued[PUSH] += push.issued + len(push.claimed_before)
    for i, t in enumerate(TEMPLATES):
        template_id = ids.next("coupon_templates")
        out.template_ids.append(template_id)
        out.batch.add(
            "coupon_templates",
            (
                template_id,
                t.code,
                t.name,
                t.type.value,
                t.amount_off,
                None,
                None,
                CouponThreshold.AMOUNT.value,
                t.threshold,
                t.stock,
                issued[i],
                t.limit,
                None,
                None,
                30,
                json_text([product_id]) if t.by_product else None,
                None,
                json_text([DEMO_STORE_ID]) if t.by_store else None,
                None,
                None,
                None,
                None,
                dt(now - 60 * DAY),
                dt(now - 60 * DAY),
                sales.reserved if i == SALE else 0,
                t.sale_price,
                RESTORE_DEFAULT,
                CLAIM_PATH[i],
                None,
            ),
        )
    for index, status, days_ago, valid in HELD:
        claimed = now - days_ago * DAY
        out.coupon(index, DEMO_CUSTOMER_ID, status, claimed, valid, CouponIssueCause.CLAIM, "领券")
    goods = TEMPLATES[0]
    for spec in COUPON_ORDERS:
        order_id, coupon_id = orders.next_id(), ids.next("customer_coupons")
        terms = CouponTerms(
            coupon_id, goods.type, goods.name, amount_off=goods.amount_off, threshold=goods.threshold
        )
        spent = orders.place(spec, order_id, terms, out.batch)
        claimed = spent.placed - HOUR
        cause = CouponIssueCause.CLAIM
        out.coupon(
            0, spec.customer_id, spec.coupon, claimed, 30, cause, "领券", coupon_id=coupon_id, spent=spent
        )
    sales.write(out, SALE, TEMPLATES[SALE].sale_price or 0)
    push.write(out, PUSH)
    return out.batch


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
        0,
        None,
        RESTORE_DEFAULT,
        CouponClaimPath.ISSUE_ONLY.value,
        None,
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
        RESTORE_DEFAULT,
        None,
    )


def ledger_row(
    batch: Batch, ids: Ids, coupon_id: int, action: CouponLedgerAction, at: float, note: str
) -> None:
    batch.add(
        "coupon_ledger",
        (ids.next("coupon_ledger"), coupon_id, action.value, None, "SYSTEM:demo", note, dt(at), None),
    )
