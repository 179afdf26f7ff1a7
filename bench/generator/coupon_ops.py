"""Demo 卖券 and 发券: purchases of DEMO-SALE in each state (PAID by the demo shopper, UNPAID,
REFUNDED, EXPIRED) with their gateway rows, and a finished push job of DEMO-PUSH to customers 1-8
whose counts come from the push rule itself (`models.coupons.pushes.push_outcome`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from bench.generator.common import DAY, HOUR, MINUTE, dt, json_text
from models.coupons.pushes import PushOutcome, PushState, PushTargetKind, push_outcome
from models.coupons.rules import CouponIssueCause, CouponStatus
from models.coupons.sales import PurchaseStatus
from models.enums import PaymentKind, PaymentMethod, PaymentStatus, Role

if TYPE_CHECKING:
    from bench.generator.coupons import Coupons

# (customer, state, hours since the purchase)
PURCHASES: Final = (
    (1, PurchaseStatus.PAID, 48.0),
    (2, PurchaseStatus.UNPAID, 0.05),
    (3, PurchaseStatus.REFUNDED, 72.0),
    (4, PurchaseStatus.EXPIRED, 24.0),
)
PUSHED_TO: Final = tuple(range(1, 9))
CLAIMED_BEFORE: Final = (3,)
"""Customers who claimed DEMO-PUSH before the push (the push skips them: ALREADY_HAS)."""
PAY_WINDOW: Final = 30 * MINUTE


@dataclass(frozen=True, slots=True)
class Sales:
    now: float

    @property
    def issued(self) -> int:
        return sum(s in (PurchaseStatus.PAID, PurchaseStatus.REFUNDED) for _, s, _ in PURCHASES)

    @property
    def reserved(self) -> int:
        return sum(s is PurchaseStatus.UNPAID for _, s, _ in PURCHASES)

    def write(self, out: Coupons, index: int, price: int) -> None:
        for customer_id, status, hours_ago in PURCHASES:
            created = self.now - hours_ago * HOUR
            purchase_id = out.ids.next("coupon_purchases")
            number = f"Q{dt(created):%Y%m%d%H%M%S}{purchase_id:04d}"
            paid = created + 2 * MINUTE if status in (PurchaseStatus.PAID, PurchaseStatus.REFUNDED) else None
            refunded = paid + DAY if paid is not None and status is PurchaseStatus.REFUNDED else None
            coupon_id = None
            if paid is not None:
                state = CouponStatus.VOIDED if refunded else CouponStatus.UNUSED
                coupon_id = out.coupon(
                    index, customer_id, state, paid, 30, CouponIssueCause.SALE, f"卖券 {number}"
                )
            expired = created + PAY_WINDOW if status is PurchaseStatus.EXPIRED else None
            out.batch.add(
                "coupon_purchases",
                (
                    purchase_id,
                    number,
                    out.template_ids[index],
                    customer_id,
                    price,
                    status.value,
                    coupon_id,
                    dt(created + PAY_WINDOW),
                    dt(created),
                    dt(paid) if paid else None,
                    dt(refunded) if refunded else None,
                    dt(expired) if expired else None,
                ),
            )
            if paid is not None:
                _payment(out, purchase_id, f"P{number}01", PaymentKind.PAY, price, created, paid)
            if refunded is not None:
                _payment(out, purchase_id, f"RP{number}01", PaymentKind.REFUND, price, refunded, refunded)


def _payment(
    out: Coupons, purchase_id: int, number: str, kind: PaymentKind, amount: int, at: float, done: float
) -> None:
    out.batch.add(
        "payment_transactions",
        (
            out.ids.next("payment_transactions"),
            number,
            kind.value,
            None,
            None,
            PaymentMethod.WECHAT_PAY.value,
            amount,
            PaymentStatus.SUCCEEDED.value,
            1,
            None,
            f"demo-{number}",
            None,
            dt(at),
            dt(done + MINUTE),
            purchase_id,
        ),
    )


@dataclass(frozen=True, slots=True)
class Push:
    now: float
    outcomes: tuple[PushOutcome, ...]

    @property
    def issued(self) -> int:
        return self.outcomes.count(PushOutcome.ISSUED)

    @property
    def claimed_before(self) -> tuple[int, ...]:
        return CLAIMED_BEFORE

    def write(self, out: Coupons, index: int) -> None:
        for customer_id in CLAIMED_BEFORE:
            out.coupon(
                index,
                customer_id,
                CouponStatus.UNUSED,
                self.now - 5 * DAY,
                30,
                CouponIssueCause.CLAIM,
                "领券",
            )
        job_id = out.ids.next("coupon_push_jobs")
        started = self.now - 2 * DAY
        coupons = {
            c: out.coupon(
                index, c, CouponStatus.UNUSED, started, 30, CouponIssueCause.PUSH, f"发券 #{job_id}"
            )
            for c, outcome in zip(PUSHED_TO, self.outcomes, strict=True)
            if outcome is PushOutcome.ISSUED
        }
        count = self.outcomes.count
        out.batch.add(
            "coupon_push_jobs",
            (
                job_id,
                out.template_ids[index],
                f"{Role.HQ_ADMIN.value}:demo",
                Role.HQ_ADMIN.value,
                json_text([]),
                PushTargetKind.CUSTOMERS.value,
                json_text({"customer_ids": list(PUSHED_TO)}),
                PushState.SUCCEEDED.value,
                len(PUSHED_TO),
                count(PushOutcome.ISSUED),
                count(PushOutcome.ALREADY_HAS),
                count(PushOutcome.LIMIT),
                count(PushOutcome.STOCK),
                1,
                None,
                dt(started - MINUTE),
                dt(started),
                dt(started + MINUTE),
                dt(started + MINUTE),
            ),
        )
        for customer_id, outcome in zip(PUSHED_TO, self.outcomes, strict=True):
            row = (out.ids.next("coupon_push_recipients"), job_id, customer_id, outcome.value)
            out.batch.add("coupon_push_recipients", (*row, coupons.get(customer_id)))


def build_sales(now: float) -> Sales:
    return Sales(now)


def build_push(now: float, stock: int, limit: int = 1) -> Push:
    """The outcome of each customer in turn, by the push rule, after the claims before it."""
    remaining = stock - len(CLAIMED_BEFORE)
    outcomes = []
    for customer_id in PUSHED_TO:
        held = customer_id in CLAIMED_BEFORE
        outcome = push_outcome(held, int(held), 0, limit, remaining)
        remaining -= outcome is PushOutcome.ISSUED
        outcomes.append(outcome)
    return Push(now, tuple(outcomes))
