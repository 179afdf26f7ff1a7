"""Coupon templates (券模板): create, update (by `models.coupon_rules.check_update`), stop, delete while
unused, list and search, and each template's figures.

HQ manages every template; store staff manage only 商家券 (STORE) limited to their own stores. The
back office sees every template (staff need to know which HQ coupons their stores honour).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.campaigns import Campaign
from models.catalog import Category, Product
from models.coupon_rules import CouponStatus, CouponThreshold, CouponType, TemplateShape, check_update
from models.coupon_rules import validate_template as validate_shape
from models.coupons import (
    CouponLedger,
    CouponLedgerAction,
    CouponTemplate,
    CustomerCoupon,
    IssueCause,
    OrderAdjustment,
)
from models.enums import ActorType, OrderChannel
from models.errors import DomainError, ErrorCode
from models.pricing.cart import Layer
from models.principals import Principal
from models.stores import Store
from services.commands import Result, Work
from services.coupons.claiming import locked_template
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import require_signed_in

TEMPLATES_NEWEST_FIRST = Sort(
    "CREATED_AT",
    (SortKey(CouponTemplate.created_at, True, datetime), SortKey(CouponTemplate.id, True)),
    lambda t: (t.created_at, t.id),
)


@dataclass(frozen=True, slots=True)
class TemplateDraft:
    name: str
    type: CouponType
    total_stock: int
    amount_off: int = 0
    percent_off: int | None = None
    cap: int | None = None
    threshold_kind: CouponThreshold = CouponThreshold.AMOUNT
    threshold: int = 0
    per_customer_limit: int = 1
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = None
    store_ids: tuple[int, ...] | None = None
    product_ids: tuple[int, ...] | None = None
    category_ids: tuple[int, ...] | None = None
    channels: tuple[OrderChannel, ...] | None = None
    campaign_id: int | None = None
    description: str | None = None
    code: str | None = None

    def shape(self) -> TemplateShape:
        return TemplateShape(
            type=self.type,
            amount_off=self.amount_off,
            percent_off=self.percent_off,
            cap=self.cap,
            threshold_kind=self.threshold_kind,
            threshold=self.threshold,
            total_stock=self.total_stock,
            per_customer_limit=self.per_customer_limit,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            valid_days=self.valid_days,
            store_ids=None if self.store_ids is None else frozenset(self.store_ids),
            campaign_id=self.campaign_id,
        )


def _check_manager(work: Work, draft_type: CouponType, store_ids: Sequence[int] | None) -> None:
    if work.actor.type is ActorType.STAFF and (
        draft_type is not CouponType.STORE or not store_ids or not set(store_ids) <= work.principal.store_ids
    ):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "store staff manage store coupons (商家券) of their own stores only",
            "storeIds",
        )


async def _check_refs(work: Work, d: TemplateDraft) -> None:
    refs: list[
        tuple[type[Store] | type[Product] | type[Category] | type[Campaign], Sequence[int] | None, str]
    ] = [
        (Store, d.store_ids, "storeIds"),
        (Product, d.product_ids, "productIds"),
        (Category, d.category_ids, "categoryIds"),
        (Campaign, (d.campaign_id,) if d.campaign_id else None, "campaignId"),
    ]
    for model, ids, field in refs:
        if not ids:
            continue
        found = set((await work.session.scalars(select(model.id).where(model.id.in_(set(ids))))).all())
        if missing := sorted(set(ids) - found):
            raise DomainError(ErrorCode.NOT_FOUND, f"unknown ids {missing}", field)
    if d.type is CouponType.PRODUCT and not (d.product_ids or d.category_ids):
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "a product coupon lists products or categories", "productIds"
        )


def _clean(d: TemplateDraft) -> TemplateDraft:
    name = d.name.strip()
    if not 1 <= len(name) <= 64:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "name is required (at most 64 characters)", "name")
    if d.description is not None and len(d.description) > 200:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "description is at most 200 characters", "description")
    code = d.code.strip().upper() if d.code else None
    if code is not None and not (code.isascii() and code.replace("-", "").isalnum() and 3 <= len(code) <= 32):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "code: 3 to 32 letters, digits or '-'", "code")
    return dataclasses.replace(d, name=name, code=code)


def _apply(row: CouponTemplate, d: TemplateDraft, now: datetime) -> None:
    row.name, row.type, row.description = d.name, d.type, d.description
    row.amount_off = 0 if d.percent_off is not None else d.amount_off
    row.percent_off, row.cap = d.percent_off, d.cap
    row.threshold_kind, row.threshold = d.threshold_kind, d.threshold
    row.total_stock, row.per_customer_limit = d.total_stock, d.per_customer_limit
    row.valid_from, row.valid_until, row.valid_days = d.valid_from, d.valid_until, d.valid_days
    row.store_ids = None if d.store_ids is None else sorted(set(d.store_ids))
    row.product_ids = None if d.product_ids is None else sorted(set(d.product_ids))
    row.category_ids = None if d.category_ids is None else sorted(set(d.category_ids))
    row.channels = None if d.channels is None else sorted({c.value for c in d.channels})
    row.campaign_id = d.campaign_id
    row.updated_at = now


@contextmanager
def _under_template() -> Iterator[None]:
    """Settings errors name their field inside the `template` input (`template.amountOff`)."""
    try:
        yield
    except DomainError as exc:
        if exc.field and exc.field not in ("templateId", "code"):
            exc.field = f"template.{exc.field}"
        raise


async def create(work: Work, draft: TemplateDraft) -> Result:
    with _under_template():
        d = _clean(draft)
        validate_shape(d.shape())
        _check_manager(work, d.type, d.store_ids)
        await _check_refs(work, d)
    code = d.code or f"CT{work.now:%y%m%d}{secrets.randbelow(10**6):06d}"
    if await work.session.scalar(select(CouponTemplate.id).where(CouponTemplate.code == code)):
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"the code {code} is taken", "code")
    row = CouponTemplate(code=code, issued_count=0, created_at=work.now)
    _apply(row, d, work.now)
    work.session.add(row)
    await work.session.flush()
    return {"templateId": row.id}


async def locked_for_manager(work: Work, template_id: int) -> CouponTemplate:
    """The template, row-locked, when the caller may manage it (FORBIDDEN otherwise)."""
    row = await locked_template(work, template_id)
    _check_manager(work, row.type, row.store_ids)
    return row


async def update(work: Work, template_id: int, draft: TemplateDraft) -> Result:
    """Replace the template's settings; once coupons are issued only what `check_update` allows."""
    row = await locked_for_manager(work, template_id)
    if row.stopped_at is not None:
        raise DomainError(ErrorCode.COUPON_NOT_EDITABLE, "the template is stopped", "templateId")
    with _under_template():
        d = dataclasses.replace(_clean(draft), code=None)
        check_update(row.shape(), d.shape(), row.issued_count + row.reserved_count)
        _check_manager(work, d.type, d.store_ids)
        await _check_refs(work, d)
        if row.issued_count and (
            _sorted(row.product_ids) != _sorted(d.product_ids)
            or _sorted(row.category_ids) != _sorted(d.category_ids)
            or (row.channels is None) != (d.channels is None)
            or sorted(row.channels or []) != sorted(c.value for c in d.channels or [])
        ):
            raise DomainError(
                ErrorCode.COUPON_NOT_EDITABLE, "the scope cannot change once issued", "productIds"
            )
    _apply(row, d, work.now)
    return {"templateId": row.id}


def _sorted(ids: Sequence[int] | None) -> list[int] | None:
    return None if ids is None else sorted(set(ids))


async def stop(work: Work, template_id: int) -> Result:
    """No more claims or issues; coupons already held stay valid until their own end."""
    row = await locked_for_manager(work, template_id)
    if row.stopped_at is None:
        row.stopped_at = row.updated_at = work.now
    return {"templateId": row.id}


async def delete(work: Work, template_id: int) -> Result:
    """Only a template that never issued a coupon may be deleted."""
    row = await locked_for_manager(work, template_id)
    if row.issued_count or row.reserved_count:
        raise DomainError(
            ErrorCode.COUPON_NOT_EDITABLE, "coupons were issued: stop the template instead", "templateId"
        )
    await work.session.delete(row)
    return {"templateId": template_id, "deleted": True}


async def list_templates(
    sessions: SessionFactory,
    principal: Principal,
    query: str | None,
    types: Sequence[CouponType],
    page: PageRequest,
) -> Page[CouponTemplate]:
    """Newest first; `query` is a part of the name or the start of the code."""
    require_signed_in(principal)
    stmt = select(CouponTemplate)
    if query:
        stmt = stmt.where(
            or_(
                CouponTemplate.name.contains(query.strip(), autoescape=True),
                CouponTemplate.code.startswith(query.strip().upper(), autoescape=True),
            )
        )
    if types:
        stmt = stmt.where(CouponTemplate.type.in_(types))
    return await paginate(sessions, stmt, TEMPLATES_NEWEST_FIRST, page)


@dataclass(frozen=True, slots=True)
class Figures:
    issued: int
    claimed: int
    sold: int
    pushed: int
    unused: int
    locked: int
    used: int
    expired: int
    voided: int
    discount_given: int
    orders: int


async def figures(session: AsyncSession, template_id: int, now: datetime) -> Figures:
    """Counts by state (UNUSED past its end counts as expired), by how they were issued (claimed,
    sold, pushed; the rest were granted by campaigns), and the discount its used coupons gave."""
    c = CustomerCoupon
    of_template = c.template_id == template_id
    rows = (
        await session.execute(
            select(c.status, func.count(), func.count(c.claim_seq)).where(of_template).group_by(c.status)
        )
    ).all()
    counts = {CouponStatus(s): int(n) for s, n, _ in rows}
    overdue = int(
        await session.scalar(
            select(func.count()).where(of_template, c.status == CouponStatus.UNUSED, c.expires_at <= now)
        )
        or 0
    )
    by_cause: dict[IssueCause | None, int] = {
        cause: int(n)
        for cause, n in (
            await session.execute(
                select(CouponLedger.cause, func.count())
                .join(c, c.id == CouponLedger.coupon_id)
                .where(
                    of_template,
                    CouponLedger.action == CouponLedgerAction.ISSUED,
                    CouponLedger.cause.in_((IssueCause.SALE, IssueCause.PUSH)),
                )
                .group_by(CouponLedger.cause)
            )
        ).all()
    }
    sold, pushed = by_cause.get(IssueCause.SALE, 0), by_cause.get(IssueCause.PUSH, 0)
    used_ids = select(c.id).where(of_template, c.status == CouponStatus.USED)
    given, orders = (
        await session.execute(
            select(
                func.coalesce(func.sum(OrderAdjustment.amount), 0),
                func.count(func.distinct(OrderAdjustment.order_id)),
            ).where(
                OrderAdjustment.layer.in_((Layer.COUPON, Layer.SHIPPING_COUPON)),
                OrderAdjustment.source_id.in_(used_ids),
            )
        )
    ).one()
    return Figures(
        issued=sum(counts.values()),
        claimed=sum(int(k) for _, _, k in rows) - sold - pushed,
        sold=sold,
        pushed=pushed,
        unused=counts.get(CouponStatus.UNUSED, 0) - overdue,
        locked=counts.get(CouponStatus.LOCKED, 0),
        used=counts.get(CouponStatus.USED, 0),
        expired=counts.get(CouponStatus.EXPIRED, 0) + overdue,
        voided=counts.get(CouponStatus.VOIDED, 0),
        discount_given=int(given),
        orders=int(orders),
    )
