"""Coupon templates (券模板): create, update (by `models.coupons.rules.check_update`), stop, delete while
unused, list and search, and each template's figures.

HQ manages every template; store staff manage only 商家券 (STORE) limited to their own stores. The
back office sees every template (staff need to know which HQ coupons their stores honour).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.campaigns.rows import Campaign
from models.catalog.rows import Category, Product
from models.coupons.rows import CouponTemplate, CustomerCoupon, OrderAdjustment
from models.coupons.rules import (
    CouponClaimPath,
    CouponIssueCause,
    CouponRestorePolicy,
    CouponStatus,
    CouponThreshold,
    CouponType,
    TemplateShape,
    check_update,
)
from models.coupons.rules import validate_template as validate_shape
from models.enums import ActorType, Fulfillment, OrderChannel
from models.errors import DomainError, ErrorCode
from models.metrics.rules import ratio
from models.orders.rows import Order
from models.pricing.cart import COUPON_LAYERS
from models.principals import Principal
from models.stores.rows import Store
from services.commands import Result, Work
from services.coupons.claiming import locked_template
from services.coupons.costs import net_coupon_cost
from services.db import SessionFactory
from services.metrics.sql import dialect_of
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
    restore_on_refund: CouponRestorePolicy = CouponRestorePolicy.FULL_REFUND_BEFORE_COMPLETION
    claim_path: CouponClaimPath = CouponClaimPath.CENTER
    fulfillments: tuple[Fulfillment, ...] | None = None

    def shape(self) -> TemplateShape:
        return TemplateShape.of(self)


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
    row.restore_on_refund = d.restore_on_refund
    row.claim_path = d.claim_path
    row.fulfillments = _scenes(d.fulfillments)
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
        if row.issued_count and row.fulfillments != _scenes(d.fulfillments):
            raise DomainError(
                ErrorCode.COUPON_NOT_EDITABLE, "the scenes cannot change once issued", "fulfillments"
            )
    _apply(row, d, work.now)
    return {"templateId": row.id}


def _scenes(fulfillments: Sequence[Fulfillment] | None) -> list[str] | None:
    return None if fulfillments is None else sorted({f.value for f in fulfillments})


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
    """What a template's coupons did (docs/coupons.md defines each figure)."""

    issued: int = 0
    by_cause: tuple[tuple[CouponIssueCause, int], ...] = ()
    unused: int = 0
    locked: int = 0
    used: int = 0
    expired: int = 0
    voided: int = 0
    discount_given: int = 0
    orders: int = 0
    sales: int = 0

    @property
    def claimed(self) -> int:
        return dict(self.by_cause).get(CouponIssueCause.CLAIM, 0)

    @property
    def sold(self) -> int:
        return dict(self.by_cause).get(CouponIssueCause.SALE, 0)

    @property
    def pushed(self) -> int:
        return dict(self.by_cause).get(CouponIssueCause.PUSH, 0)

    @property
    def usage_rate(self) -> float | None:
        return ratio(self.used, self.issued)


async def figures_of(session: AsyncSession, template_ids: Sequence[int], now: datetime) -> dict[int, Figures]:
    """Figures of a page of templates in two statements: the coupons by state and cause (UNUSED
    past its end counts as expired), and the paid orders their USED coupons are in (the discount
    net of refunds, `services.coupons.costs`)."""
    if not template_ids:
        return {}
    c = CustomerCoupon
    overdue = and_(c.status == CouponStatus.UNUSED, c.expires_at <= now)
    counted = (
        await session.execute(
            select(c.template_id, c.status, c.issue_cause, overdue, func.count())
            .where(c.template_id.in_(template_ids))
            .group_by(c.template_id, c.status, c.issue_cause, overdue)
        )
    ).all()
    states: dict[int, Counter[CouponStatus]] = defaultdict(Counter)
    causes: dict[int, Counter[CouponIssueCause]] = defaultdict(Counter)
    for template_id, status, cause, late, n in counted:
        assert template_id is not None, "filtered by template"
        states[template_id][CouponStatus.EXPIRED if late else CouponStatus(status)] += n
        causes[template_id][CouponIssueCause(cause)] += n
    a = OrderAdjustment
    money = {
        t: (int(g), int(o), int(v))
        for t, g, o, v in (
            await session.execute(
                select(
                    c.template_id,
                    func.sum(net_coupon_cost(a, dialect_of(session))),
                    func.count(func.distinct(Order.id)),
                    func.sum(Order.paid_amount - Order.refunded_amount),
                )
                .join(Order, Order.id == c.used_order_id)
                .join(a, and_(a.order_id == Order.id, a.source_id == c.id, a.layer.in_(COUPON_LAYERS)))
                .where(
                    c.template_id.in_(template_ids), c.status == CouponStatus.USED, Order.paid_at.is_not(None)
                )
                .group_by(c.template_id)
            )
        ).all()
        if t is not None
    }
    found: dict[int, Figures] = {}
    for t in template_ids:
        by_state, (given, orders, sales) = states.get(t, Counter()), money.get(t, (0, 0, 0))
        found[t] = Figures(
            issued=sum(by_state.values()),
            by_cause=tuple((k, causes[t][k]) for k in CouponIssueCause if causes[t][k]),
            unused=by_state[CouponStatus.UNUSED],
            locked=by_state[CouponStatus.LOCKED],
            used=by_state[CouponStatus.USED],
            expired=by_state[CouponStatus.EXPIRED],
            voided=by_state[CouponStatus.VOIDED],
            discount_given=given,
            orders=orders,
            sales=sales,
        )
    return found
