"""Root fields of coupon operations: 卖券 (sale), 发券 (push jobs) and 扫码领券 (claim links)."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.http.qr import coupon_claim_link, coupon_claim_query
from gql.ids import decode_id
from gql.mutations import UseCase, run, user_error
from gql.resolvers.coupons import (
    KEY_HELP,
    CouponTemplateIdInput,
    shopper_id,
    template_id_of,
    template_payload,
)
from gql.resolvers.customers import customer_criteria
from gql.schema.coupon_ops import (
    CouponClaimLink,
    CouponPurchase,
    CouponPurchasePayload,
    CouponPushJob,
    CouponPushPayload,
)
from gql.schema.coupons import Coupon, CouponPayload, CouponTemplatePayload
from gql.schema.customers import CustomerFilter
from gql.schema.order_search import DateTimeRange
from gql.time_input import half_open
from models.coupons.pushes import CouponPushJob as PushRow
from models.coupons.rows import CustomerCoupon
from models.coupons.sales import CouponPurchase as PurchaseRow
from models.coupons.sales import PurchaseStatus
from models.enums import PaymentMethod, Role
from models.errors import DomainError
from services.commands import Result, Work
from services.coupons import claim_links, pushes, sales
from services.coupons.push_targets import OrderedWithin, PushTarget, Radius
from services.orders.payments import start_purchase_payment
from services.scoping import require_signed_in

MONEY_KEY_HELP = f"Required: money moves. {KEY_HELP}"


@strawberry.input(
    description="Put a template on sale (卖券) at a price, change it, or take it off sale (null)."
)
class SetCouponSalePriceInput:
    template_id: strawberry.ID
    price_cents: int | None
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input
class PayCouponPurchaseInput:
    purchase_id: strawberry.ID
    method: PaymentMethod
    idempotency_key: str = strawberry.field(description=MONEY_KEY_HELP)


@strawberry.input(
    description="Refund a bought coupon that is still unused: it is voided, the price returned."
)
class RefundCouponPurchaseInput:
    purchase_id: strawberry.ID
    reason: str
    idempotency_key: str = strawberry.field(description=MONEY_KEY_HELP)


@strawberry.input(description="Customers with a paid order at these stores and/or placed in this period.")
class OrderedWithinInput:
    store_ids: list[strawberry.ID] | None = None
    period: DateTimeRange | None = None


@strawberry.input(description="Customers placed at their latest delivery address: around a point or a store.")
class RadiusInput:
    radius_m: int = strawberry.field(description="1 to 50,000 metres.")
    latitude: float | None = None
    longitude: float | None = None
    store_id: strawberry.ID | None = None


@strawberry.input(
    description="Who a push goes to: exactly one of `customerIds`, a criteria set (`criteria` and/or "
    "`orderedWithin`) or `radius`. Store staff reach only the customers of their stores."
)
class CouponPushTargetInput:
    customer_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="At most 1,000.")
    criteria: CustomerFilter | None = strawberry.field(
        default=None, description="The customer list's filter: new vs returning, spend, segment …"
    )
    ordered_within: OrderedWithinInput | None = None
    radius: RadiusInput | None = None


@strawberry.input
class StartCouponPushInput:
    template_id: strawberry.ID
    target: CouponPushTargetInput
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="扫码领券: claim with the three parameters of a store's claim link.")
class ClaimCouponByLinkInput:
    template_id: strawberry.ID
    store_id: strawberry.ID
    signature: str
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


def _purchase_id(value: strawberry.ID) -> int:
    return decode_id(value, "CouponPurchase", "purchaseId")


def _link_key(info: Info) -> bytes:
    return claim_links.link_key(info.context.settings.jwt_secret)


def _target(info: Info, t: CouponPushTargetInput) -> PushTarget:
    zone = info.context.deps.rules.zone
    ordered = None
    if t.ordered_within is not None:
        o = t.ordered_within
        start, end = (None, None)
        if o.period is not None:
            start, end = half_open(o.period.from_, o.period.to, zone, "target.orderedWithin.period")
        stores = None
        if o.store_ids is not None:
            stores = tuple(decode_id(s, "Store", "target.orderedWithin.storeIds") for s in o.store_ids)
        ordered = OrderedWithin(stores, start, end)
    radius = None
    if t.radius is not None:
        r = t.radius
        store = decode_id(r.store_id, "Store", "target.radius.storeId") if r.store_id else None
        radius = Radius(r.radius_m, r.latitude, r.longitude, store)
    return PushTarget(
        customer_ids=None
        if t.customer_ids is None
        else tuple(decode_id(c, "Customer", "target.customerIds") for c in t.customer_ids),
        criteria=None if t.criteria is None else customer_criteria(t.criteria, zone),
        ordered=ordered,
        radius=radius,
    )


async def _purchase_payload(
    info: Info, operation: str, input_: object, use_case: UseCase
) -> CouponPurchasePayload:
    try:
        result = await run(info, operation, input_, use_case)
    except DomainError as error:
        return CouponPurchasePayload(
            purchase=None, payment_no=None, refund_no=None, user_errors=[user_error(error)]
        )
    async with info.context.sessions() as session:
        row = await session.get(PurchaseRow, int(result["purchaseId"]))
    return CouponPurchasePayload(
        purchase=CouponPurchase.from_row(row) if row else None,
        payment_no=result.get("paymentNo"),
        refund_no=result.get("refundNo"),
        user_errors=[],
    )


@strawberry.type
class CouponOpsQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Coupon purchases (卖券), newest first (at most 100): a shopper's own; HQ: all.",
    )
    async def coupon_purchases(
        self, info: Info, status: list[PurchaseStatus] | None = None
    ) -> list[CouponPurchase]:
        principal = info.context.principal
        customer_id = shopper_id(info) if principal.role is Role.SHOPPER else None
        rows = await sales.purchases_of(info.context.sessions, customer_id, status or ())
        return [CouponPurchase.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed], description="One push job (its starter's, or any for HQ)."
    )
    async def coupon_push_job(self, info: Info, id: strawberry.ID) -> CouponPushJob | None:
        job = await pushes.find_push(
            info.context.sessions, info.context.principal, decode_id(id, "CouponPushJob")
        )
        return CouponPushJob.from_row(job) if job else None

    @strawberry.field(
        permission_classes=[Allowed],
        description="Push jobs, newest first (100 at most): yours, or every one for HQ.",
    )
    async def coupon_push_jobs(
        self, info: Info, template_id: strawberry.ID | None = None
    ) -> list[CouponPushJob]:
        principal = info.context.principal
        require_signed_in(principal)
        stmt = select(PushRow)
        if principal.role is not Role.HQ_ADMIN:
            stmt = stmt.where(PushRow.owner_key == principal.key)
        if template_id is not None:
            stmt = stmt.where(PushRow.template_id == template_id_of(template_id))
        async with info.context.sessions() as session:
            rows = (await session.scalars(stmt.order_by(PushRow.id.desc()).limit(100))).all()
        return [CouponPushJob.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=[Allowed],
        description="扫码领券: the signed claim link of a template at a store, with its QR.",
    )
    async def coupon_claim_link(
        self, info: Info, template_id: strawberry.ID, store_id: strawberry.ID
    ) -> CouponClaimLink:
        store = decode_id(store_id, "Store", "storeId")
        async with info.context.sessions() as session:
            link = await claim_links.make_link(
                session, info.context.principal, _link_key(info), template_id_of(template_id), store
            )
        query = coupon_claim_query(link.template_id, link.store_id, link.signature)
        return CouponClaimLink(
            template_id=template_id,
            store_id=store_id,
            signature=link.signature,
            url=coupon_claim_link(info.context.settings, link.template_id, link.store_id, link.signature),
            qr_url=f"/coupons/claim-qr.png?{query}",
        )


@strawberry.type
class CouponOpsMutations:
    @strawberry.mutation(
        permission_classes=[Allowed], description="Put a template on sale (卖券) or take it off."
    )
    async def set_coupon_sale_price(
        self, info: Info, input: SetCouponSalePriceInput
    ) -> CouponTemplatePayload:
        async def use_case(work: Work) -> Result:
            return await sales.set_sale_price(work, template_id_of(input.template_id), input.price_cents)

        return await template_payload(info, "setCouponSalePrice", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Buy a coupon on sale: an UNPAID purchase holding one unit (your open one, if any).",
    )
    async def buy_coupon(self, info: Info, input: CouponTemplateIdInput) -> CouponPurchasePayload:
        async def use_case(work: Work) -> Result:
            return await sales.buy(work, shopper_id(info), template_id_of(input.template_id))

        return await _purchase_payload(info, "buyCoupon", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Pay a coupon purchase; the coupon is issued when the gateway confirms.",
    )
    async def pay_coupon_purchase(self, info: Info, input: PayCouponPurchaseInput) -> CouponPurchasePayload:
        async def use_case(work: Work) -> Result:
            return await start_purchase_payment(work, _purchase_id(input.purchase_id), input.method)

        return await _purchase_payload(info, "payCouponPurchase", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Refund a PAID purchase whose coupon is unused (buyer or HQ).",
    )
    async def refund_coupon_purchase(
        self, info: Info, input: RefundCouponPurchaseInput
    ) -> CouponPurchasePayload:
        async def use_case(work: Work) -> Result:
            return await sales.refund(work, _purchase_id(input.purchase_id), input.reason)

        return await _purchase_payload(info, "refundCouponPurchase", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Push (发券) a template to a target as a background job (store staff: their 商家券).",
    )
    async def start_coupon_push(self, info: Info, input: StartCouponPushInput) -> CouponPushPayload:
        async def use_case(work: Work) -> Result:
            return await pushes.start_push(
                work, template_id_of(input.template_id), _target(info, input.target)
            )

        try:
            result = await run(info, "startCouponPush", input, use_case)
        except DomainError as error:
            return CouponPushPayload(job=None, user_errors=[user_error(error)])
        async with info.context.sessions() as session:
            row = await session.get(PushRow, int(result["jobId"]))
        return CouponPushPayload(job=CouponPushJob.from_row(row) if row else None, user_errors=[])

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="扫码领券: claim through a store's claim link (as claimCoupon).",
    )
    async def claim_coupon_by_link(self, info: Info, input: ClaimCouponByLinkInput) -> CouponPayload:
        async def use_case(work: Work) -> Result:
            link = claim_links.ClaimLink(
                template_id_of(input.template_id),
                decode_id(input.store_id, "Store", "storeId"),
                input.signature,
            )
            return await claim_links.claim_by_link(work, shopper_id(info), _link_key(info), link)

        try:
            result = await run(info, "claimCouponByLink", input, use_case)
        except DomainError as error:
            return CouponPayload(coupon=None, user_errors=[user_error(error)])
        async with info.context.sessions() as session:
            row = await session.scalar(
                select(CustomerCoupon).where(CustomerCoupon.id == int(result["couponId"]))
            )
        return CouponPayload(coupon=Coupon.from_row(row) if row else None, user_errors=[])
