"""领券: the coupons a shopper may claim at a store or for a product, claiming one, and 我的券.

Every issue of a template — a claim, a paid purchase (卖券, `sales`), a push (发券, `pushes`) —
locks the template row (`FOR UPDATE`) and mints through `issue`, so concurrent issues queue: the
issued count (plus units unpaid purchases reserve) never passes the stock and a customer never
passes the per-customer limit. The unique (template, customer, claim_seq) index is the database's
own guard for the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog.rows import Product
from models.coupons.rows import CouponTemplate, CustomerCoupon
from models.coupons.rules import CouponClaimPath, CouponIssueCause, CouponStatus, CouponType
from models.coupons.sales import CouponPurchase, PurchaseStatus
from models.errors import DomainError, ErrorCode
from services.commands import Result, Work
from services.coupons import ledger

CLAIMABLE = (CouponType.ALL, CouponType.PRODUCT, CouponType.SHIPPING, CouponType.STORE)
"""活动券 (CAMPAIGN) are issued by their campaign, never claimed."""
MAX_LISTED = 100


@dataclass(frozen=True, slots=True)
class Claimable:
    template: CouponTemplate
    claimed: int
    """How many of it the viewer already holds (0 when anonymous)."""

    @property
    def can_claim(self) -> bool:
        t = self.template
        return t.issued_count + t.reserved_count < t.total_stock and self.claimed < t.per_customer_limit


def _open_now(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        CouponTemplate.stopped_at.is_(None),
        CouponTemplate.sale_price.is_(None),
        CouponTemplate.type.in_(CLAIMABLE),
        or_(CouponTemplate.valid_until.is_(None), CouponTemplate.valid_until > now),
    )


async def available(
    session: AsyncSession,
    customer_id: int | None,
    store_id: int | None,
    product_id: int | None,
    now: datetime,
) -> list[Claimable]:
    """Templates of the coupon centre (claim path CENTER) open for claiming now, valid at `store_id`
    and covering `product_id` when given."""
    rows = (
        await session.scalars(
            select(CouponTemplate)
            .where(*_open_now(now), CouponTemplate.claim_path == CouponClaimPath.CENTER)
            .order_by(CouponTemplate.created_at.desc(), CouponTemplate.id.desc())
            .limit(MAX_LISTED * 2)
        )
    ).all()
    category_id = None
    if product_id is not None:
        category_id = await session.scalar(select(Product.category_id).where(Product.id == product_id))
    chosen = []
    for t in rows:
        if store_id is not None and t.store_ids is not None and store_id not in t.store_ids:
            continue
        if product_id is not None and (t.product_ids is not None or t.category_ids is not None):
            in_products = t.product_ids is not None and product_id in t.product_ids
            in_categories = t.category_ids is not None and category_id in t.category_ids
            if not (in_products or in_categories):
                continue
        chosen.append(t)
    held: dict[int, int] = {}
    if customer_id is not None and chosen:
        held = {
            tid: int(n)
            for tid, n in (
                await session.execute(
                    select(CustomerCoupon.template_id, func.count())
                    .where(
                        CustomerCoupon.customer_id == customer_id,
                        CustomerCoupon.template_id.in_([t.id for t in chosen]),
                    )
                    .group_by(CustomerCoupon.template_id)
                )
            ).all()
            if tid is not None
        }
    return [Claimable(t, held.get(t.id, 0)) for t in chosen[:MAX_LISTED]]


async def locked_template(work: Work, template_id: int) -> CouponTemplate:
    """The template, row-locked: every issue of it (claim, sale, push) queues on this lock."""
    t = await work.session.scalar(
        select(CouponTemplate).where(CouponTemplate.id == template_id).with_for_update()
    )
    if t is None:
        raise DomainError(ErrorCode.NOT_FOUND, "coupon template not found", "templateId")
    return t


def check_open(t: CouponTemplate, now: datetime, field: str = "templateId") -> None:
    """Refuse a template that issues no more: stopped, a 活动券, or past its window."""
    if t.stopped_at is not None or t.type not in CLAIMABLE:
        raise DomainError(ErrorCode.COUPON_UNAVAILABLE, "this coupon cannot be issued", field)
    if t.valid_until is not None and now >= t.valid_until:
        raise DomainError(ErrorCode.COUPON_EXPIRED, "this coupon's window has ended", field)


def check_claim_path(t: CouponTemplate, by_link: bool, field: str = "templateId") -> None:
    """A shopper's free claim takes the template's claim path: the centre (or a link to it), only a
    store's link, or none (COUPON_UNAVAILABLE)."""
    allowed = {CouponClaimPath.CENTER, CouponClaimPath.LINK} if by_link else {CouponClaimPath.CENTER}
    if t.claim_path not in allowed:
        how = "only through a store's claim link" if t.claim_path is CouponClaimPath.LINK else "not claimed"
        raise DomainError(ErrorCode.COUPON_UNAVAILABLE, f"this coupon is {how}", field)


def check_not_sold(t: CouponTemplate, field: str = "templateId") -> None:
    """A template on sale (卖券) is bought, not claimed for free (a push may still give it)."""
    if t.sale_price is not None:
        raise DomainError(ErrorCode.COUPON_UNAVAILABLE, "this coupon is sold, not claimed", field)


async def holdings(session: AsyncSession, template_id: int, customer_id: int) -> tuple[int, int, bool]:
    """(coupons of the template the customer holds in any state, units their unpaid purchases
    reserve, whether one held coupon is UNUSED)."""
    c = CustomerCoupon
    held, unused = (
        await session.execute(
            select(func.count(), func.count().filter(c.status == CouponStatus.UNUSED)).where(
                c.template_id == template_id, c.customer_id == customer_id
            )
        )
    ).one()
    reserved = await session.scalar(
        select(func.count()).where(
            CouponPurchase.template_id == template_id,
            CouponPurchase.customer_id == customer_id,
            CouponPurchase.status == PurchaseStatus.UNPAID,
        )
    )
    return int(held), int(reserved or 0), bool(unused)


def check_room(t: CouponTemplate, held: int, reserved: int, field: str = "templateId") -> None:
    """One more unit for this customer: within the stock (unpaid purchases hold theirs) and the limit."""
    if t.issued_count + t.reserved_count >= t.total_stock:
        raise DomainError(ErrorCode.COUPON_OUT_OF_STOCK, "all of these coupons are taken", field)
    if held + reserved >= t.per_customer_limit:
        raise DomainError(
            ErrorCode.COUPON_LIMIT_REACHED, f"at most {t.per_customer_limit} per customer", field
        )


async def held_of(session: AsyncSession, template_id: int, customer_id: int) -> int:
    """What counts against the per-customer limit: coupons held in any state plus units the
    customer's unpaid purchases reserve."""
    held, reserved, _ = await holdings(session, template_id, customer_id)
    return held + reserved


async def issue(
    work: Work, t: CouponTemplate, customer_id: int, held: int, cause: CouponIssueCause, note: str
) -> CustomerCoupon:
    """Mint one coupon of the locked template `t` for a customer holding `held` of it. A claim
    takes sequence held + 1, so the unique (template, customer, claim_seq) index refuses a
    concurrent claim past the limit (COUPON_LIMIT_REACHED)."""
    claim_seq = held + 1 if cause is CouponIssueCause.CLAIM else None
    try:
        async with work.session.begin_nested():
            return await ledger.issue(work, t, customer_id, cause, note=note, claim_seq=claim_seq)
    except IntegrityError as exc:
        raise DomainError(
            ErrorCode.COUPON_LIMIT_REACHED, f"at most {t.per_customer_limit} per customer", "templateId"
        ) from exc


async def claim(
    work: Work, customer_id: int, template_id: int, note: str = "领券", *, by_link: bool = False
) -> Result:
    """Issue one coupon of the template to the customer, within stock and the per-customer limit
    (`by_link`: through a store's claim link, which a LINK template also allows)."""
    t = await locked_template(work, template_id)
    check_open(t, work.now)
    check_claim_path(t, by_link)
    check_not_sold(t)
    held, reserved, _ = await holdings(work.session, t.id, customer_id)
    check_room(t, held, reserved)
    coupon = await issue(work, t, customer_id, held, CouponIssueCause.CLAIM, note)
    return {"couponId": coupon.id}


async def mine(
    session: AsyncSession, customer_id: int, statuses: Sequence[CouponStatus], now: datetime
) -> list[CustomerCoupon]:
    """The shopper's coupons (我的券): usable first by nearest end, then the rest, newest first."""
    rows = (
        await session.scalars(
            select(CustomerCoupon)
            .where(CustomerCoupon.customer_id == customer_id)
            .order_by(CustomerCoupon.expires_at, CustomerCoupon.id)
            .limit(500)
        )
    ).all()
    wanted = set(statuses)
    return [r for r in rows if not wanted or r.status_at(now) in wanted][:MAX_LISTED]
