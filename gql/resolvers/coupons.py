"""Root fields of coupons: templates for the back office, 领券 and 我的券 for shoppers."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import UseCase, run, user_error
from gql.schema.campaigns import Campaign
from gql.schema.common import Connection
from gql.schema.coupons import Coupon, CouponPayload, CouponTemplate, CouponTemplatePayload
from models.base import utcnow
from models.coupons.rows import CouponTemplate as TemplateRow
from models.coupons.rows import CustomerCoupon
from models.coupons.rules import (
    CouponClaimPath,
    CouponRestorePolicy,
    CouponStatus,
    CouponThreshold,
    CouponType,
)
from models.enums import Fulfillment, OrderChannel
from models.errors import DomainError, ErrorCode
from services.commands import Result, Work
from services.coupons import claiming, product_promotions, redemption, templates
from services.pagination import PageRequest

KEY_HELP = "Same key + same input returns the first result without acting again."


@strawberry.input(description="A coupon template's settings (券模板). Money in cents.")
class CouponTemplateInput:
    name: str
    type: CouponType
    total_stock: int = strawberry.field(description="Coupons that may ever be issued.")
    amount_off_cents: int = strawberry.field(default=0, description="Face value (or give percentOff).")
    percent_off: int | None = strawberry.field(default=None, description="1-99: 12 takes 12 % off (88折).")
    cap_cents: int | None = strawberry.field(default=None, description="Most a percentage coupon takes off.")
    threshold_kind: CouponThreshold = CouponThreshold.AMOUNT
    threshold: int = strawberry.field(default=0, description="Cents (AMOUNT) or units (QUANTITY); 0: none.")
    per_customer_limit: int = 1
    valid_from: datetime | None = None
    valid_until: datetime | None = strawberry.field(default=None, description="A fixed window's end …")
    valid_days: int | None = strawberry.field(default=None, description="… or valid N days after the claim.")
    store_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Null: every store.")
    product_ids: list[strawberry.ID] | None = None
    category_ids: list[strawberry.ID] | None = None
    channels: list[OrderChannel] | None = strawberry.field(default=None, description="Null: every channel.")
    fulfillments: list[Fulfillment] | None = strawberry.field(
        default=None, description="Scenes (适用场景): the fulfilments it may be used with; null: every one."
    )
    claim_path: CouponClaimPath = strawberry.field(
        default=CouponClaimPath.CENTER,
        description="How shoppers may claim it for free: the coupon centre, only a store's link, or never.",
    )
    campaign_id: strawberry.ID | None = strawberry.field(default=None, description="活动券: its campaign.")
    description: str | None = None
    restore_on_refund: CouponRestorePolicy = strawberry.field(
        default=CouponRestorePolicy.FULL_REFUND_BEFORE_COMPLETION,
        description="When a refund gives a used coupon back; fixed once coupons are issued.",
    )


@strawberry.input
class CreateCouponTemplateInput:
    template: CouponTemplateInput
    code: str | None = strawberry.field(default=None, description="Your own template code (else generated).")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(
    description="Replace the settings; once coupons are issued only the name, a larger stock, "
    "a higher per-customer limit, a later end and the description may change (COUPON_NOT_EDITABLE); "
    "the value, threshold, scope, validity rule and restoreOnRefund stay."
)
class UpdateCouponTemplateInput:
    template_id: strawberry.ID
    template: CouponTemplateInput
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input
class CouponTemplateIdInput:
    template_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="Void (作废) a coupon that is not in an order; the ledger keeps the reason.")
class VoidCouponInput:
    coupon_id: strawberry.ID
    reason: str
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.type(description="The running or upcoming promotions a product takes part in.")
class ProductPromotions:
    campaigns: list[Campaign] = strawberry.field(
        description="满减赠 and 拼团 campaigns covering it, newest first; at checkout only one "
        "order-level promotion applies (the best for the buyer)."
    )
    coupons: list[CouponTemplate] = strawberry.field(description="Coupon templates valid for it.")


@strawberry.type(description="A coupon a shopper may claim (领券) here, and whether they still can.")
class ClaimableCoupon:
    template: CouponTemplate
    claimed: int = strawberry.field(description="How many of it the viewer already holds.")
    can_claim: bool


def _draft(t: CouponTemplateInput, code: str | None = None) -> templates.TemplateDraft:
    def ids(values: list[strawberry.ID] | None, type_name: str, field: str) -> tuple[int, ...] | None:
        return None if values is None else tuple(decode_id(v, type_name, field) for v in values)

    return templates.TemplateDraft(
        name=t.name,
        type=t.type,
        total_stock=t.total_stock,
        amount_off=t.amount_off_cents,
        percent_off=t.percent_off,
        cap=t.cap_cents,
        threshold_kind=t.threshold_kind,
        threshold=t.threshold,
        per_customer_limit=t.per_customer_limit,
        valid_from=t.valid_from,
        valid_until=t.valid_until,
        valid_days=t.valid_days,
        store_ids=ids(t.store_ids, "Store", "storeIds"),
        product_ids=ids(t.product_ids, "Product", "productIds"),
        category_ids=ids(t.category_ids, "Category", "categoryIds"),
        channels=None if t.channels is None else tuple(t.channels),
        campaign_id=decode_id(t.campaign_id, "Campaign", "campaignId") if t.campaign_id else None,
        description=t.description,
        code=code,
        restore_on_refund=t.restore_on_refund,
        claim_path=t.claim_path,
        fulfillments=None if t.fulfillments is None else tuple(t.fulfillments),
    )


def template_id_of(value: strawberry.ID) -> int:
    return decode_id(value, "CouponTemplate", "templateId")


async def template_payload(
    info: Info, operation: str, input_: object, use_case: UseCase
) -> CouponTemplatePayload:
    try:
        result = await run(info, operation, input_, use_case)
    except DomainError as error:
        return CouponTemplatePayload(template=None, user_errors=[user_error(error)])
    async with info.context.sessions() as session:
        row = await session.get(TemplateRow, int(result["templateId"]))
    return CouponTemplatePayload(template=CouponTemplate.from_row(row) if row else None, user_errors=[])


def shopper_id(info: Info) -> int:
    customer_id = info.context.principal.customer_id
    if customer_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "sign in as a shopper")
    return customer_id


@strawberry.type
class CouponQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Coupon templates, newest first; `query`: part of the name or start of the code.",
    )
    async def coupon_templates(
        self,
        info: Info,
        query: str | None = None,
        type: list[CouponType] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CouponTemplate]:
        page = await templates.list_templates(
            info.context.sessions,
            info.context.principal,
            query,
            type or (),
            PageRequest(first, after, last, before),
        )
        return Connection[CouponTemplate].of(page, CouponTemplate.from_row)

    @strawberry.field(permission_classes=[Allowed], description="One coupon template.")
    async def coupon_template(self, info: Info, id: strawberry.ID) -> CouponTemplate | None:
        async with info.context.sessions() as session:
            row = await session.get(TemplateRow, template_id_of(id))
        return CouponTemplate.from_row(row) if row else None

    @strawberry.field(
        permission_classes=[Allowed],
        description="Coupons open for claiming (领券) at a store and/or for a product.",
    )
    async def available_coupons(
        self, info: Info, store_id: strawberry.ID | None = None, product_id: strawberry.ID | None = None
    ) -> list[ClaimableCoupon]:
        async with info.context.sessions() as session:
            found = await claiming.available(
                session,
                info.context.principal.customer_id,
                decode_id(store_id, "Store", "storeId") if store_id else None,
                decode_id(product_id, "Product", "productId") if product_id else None,
                utcnow(),
            )
        return [
            ClaimableCoupon(
                template=CouponTemplate.from_row(c.template), claimed=c.claimed, can_claim=c.can_claim
            )
            for c in found
        ]

    @strawberry.field(
        permission_classes=[Allowed],
        description="Which promotions a product is in (商品参与的活动), at one store when given.",
    )
    async def product_promotions(
        self, info: Info, product_id: strawberry.ID, store_id: strawberry.ID | None = None
    ) -> ProductPromotions:
        async with info.context.sessions() as session:
            found = await product_promotions.promotions_of(
                session,
                decode_id(product_id, "Product", "productId"),
                decode_id(store_id, "Store", "storeId") if store_id else None,
                utcnow(),
            )
        return ProductPromotions(
            campaigns=[Campaign.from_row(c) for c in found.campaigns],
            coupons=[CouponTemplate.from_row(t) for t in found.coupons],
        )

    @strawberry.field(
        permission_classes=[Allowed],
        description="The shopper's coupons (我的券), soonest to expire first; filter by status.",
    )
    async def my_coupons(self, info: Info, status: list[CouponStatus] | None = None) -> list[Coupon]:
        now = utcnow()
        async with info.context.sessions() as session:
            rows = await claiming.mine(session, shopper_id(info), status or (), now)
        return [Coupon.from_row(r, now) for r in rows]


@strawberry.type
class CouponMutations:
    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Create a coupon template (store staff: 商家券 of their stores).",
    )
    async def create_coupon_template(
        self, info: Info, input: CreateCouponTemplateInput
    ) -> CouponTemplatePayload:
        async def use_case(work: Work) -> Result:
            return await templates.create(work, _draft(input.template, input.code))

        return await template_payload(info, "createCouponTemplate", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="Change a template by the update rules.")
    async def update_coupon_template(
        self, info: Info, input: UpdateCouponTemplateInput
    ) -> CouponTemplatePayload:
        async def use_case(work: Work) -> Result:
            return await templates.update(work, template_id_of(input.template_id), _draft(input.template))

        return await template_payload(info, "updateCouponTemplate", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Stop issuing; coupons already held stay valid."
    )
    async def stop_coupon_template(self, info: Info, input: CouponTemplateIdInput) -> CouponTemplatePayload:
        async def use_case(work: Work) -> Result:
            return await templates.stop(work, template_id_of(input.template_id))

        return await template_payload(info, "stopCouponTemplate", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Delete a template that never issued a coupon."
    )
    async def delete_coupon_template(self, info: Info, input: CouponTemplateIdInput) -> CouponTemplatePayload:
        async def use_case(work: Work) -> Result:
            return await templates.delete(work, template_id_of(input.template_id))

        try:
            await run(info, "deleteCouponTemplate", input, use_case)
        except DomainError as error:
            return CouponTemplatePayload(template=None, user_errors=[user_error(error)])
        return CouponTemplatePayload(template=None, user_errors=[])

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Claim a coupon (领券), within its stock and per-customer limit.",
    )
    async def claim_coupon(self, info: Info, input: CouponTemplateIdInput) -> CouponPayload:
        async def use_case(work: Work) -> Result:
            return await claiming.claim(work, shopper_id(info), template_id_of(input.template_id))

        try:
            result = await run(info, "claimCoupon", input, use_case)
        except DomainError as error:
            return CouponPayload(coupon=None, user_errors=[user_error(error)])
        async with info.context.sessions() as session:
            row = await session.scalar(
                select(CustomerCoupon).where(CustomerCoupon.id == int(result["couponId"]))
            )
        return CouponPayload(coupon=Coupon.from_row(row) if row else None, user_errors=[])

    @strawberry.mutation(permission_classes=[Allowed], description="HQ voids an UNUSED (or EXPIRED) coupon.")
    async def void_coupon(self, info: Info, input: VoidCouponInput) -> CouponPayload:
        async def use_case(work: Work) -> Result:
            return await redemption.void_coupon(
                work, decode_id(input.coupon_id, "Coupon", "couponId"), input.reason
            )

        try:
            result = await run(info, "voidCoupon", input, use_case)
        except DomainError as error:
            return CouponPayload(coupon=None, user_errors=[user_error(error)])
        async with info.context.sessions() as session:
            row = await session.get(CustomerCoupon, int(result["couponId"]))
        return CouponPayload(coupon=Coupon.from_row(row) if row else None, user_errors=[])
