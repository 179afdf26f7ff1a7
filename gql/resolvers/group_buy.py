"""Root fields of the mini-program's campaign pages: the group-buy page, open/join a team, invites,
and the checkout price preview."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.context import Info
from gql.engine import selected_paths
from gql.gate.permissions import Allowed
from gql.ids import decode_id, encode_id
from gql.mutations import UseCase, order_mutation, run, user_error, visible_order
from gql.schema.campaign_inputs import (
    AcceptInviteInput,
    AcceptInvitePayload,
    GroupBuyOrderInput,
    JoinTeamInput,
    OpenTeamInput,
    TeamOrderPayload,
)
from gql.schema.campaigns import share_url
from gql.schema.common import money
from gql.schema.coupons import Coupon, PriceAdjustment
from gql.schema.group_buy import (
    GroupBuyPage,
    NextTierHint,
    PricedLine,
    PricePreview,
    ViewerEligibility,
    sku_view,
    team_view,
)
from gql.schema.order_mutations import CancelAwaitingGroupOrderInput, CartLineInput, OrderPayload
from models.base import utcnow
from models.enums import Fulfillment
from models.errors import DomainError
from models.money import format_cents
from models.orders.states import OrderStatus
from services.checkout import preview as checkout_preview
from services.checkout import quoting as checkout_quote
from services.commands import Result, Work
from services.group_buy import teams as group_buy
from services.group_buy.page import page_campaign_status, shared_page, viewer_verdict
from services.invites import rewards as invites
from services.orders import lifecycle as order_service


def _member_order(o: GroupBuyOrderInput) -> group_buy.MemberOrder:
    return group_buy.MemberOrder(
        sku_id=decode_id(o.sku_id, "Sku", "order.skuId"),
        quantity=o.quantity,
        store_id=decode_id(o.store_id, "Store", "order.storeId") if o.store_id else None,
        fulfillment=o.fulfillment,
        consignee=checkout_quote.ConsigneeInput(**vars(o.consignee)),
        buyer_remark=o.buyer_remark,
    )


async def _team_payload(info: Info, operation: str, input_: object, use_case: UseCase) -> TeamOrderPayload:
    try:
        result = await run(info, operation, input_, use_case)
    except DomainError as error:
        return TeamOrderPayload(order=None, team_id=None, share_url=None, user_errors=[user_error(error)])
    team_id = int(result["teamId"])
    return TeamOrderPayload(
        order=await visible_order(info, int(result["orderId"])),
        team_id=strawberry.ID(encode_id("GroupBuyTeam", team_id)),
        share_url=share_url(info, int(result["campaignId"]), team_id),
        user_errors=[],
    )


def _hint(h: checkout_quote.TierHint | None) -> NextTierHint | None:
    if h is None:
        return None
    more = f"{h.missing}件" if h.by_quantity else f"¥{format_cents(h.missing)}"
    gives = h.gives or (f"减¥{format_cents(h.reduction)}" if h.reduction else "送赠品")
    return NextTierHint(
        campaign_id=strawberry.ID(encode_id("Campaign", h.campaign_id)),
        campaign_name=h.campaign_name,
        missing=h.missing,
        by_quantity=h.by_quantity,
        reduction=money(h.reduction),
        gift_sku_id=strawberry.ID(encode_id("Sku", h.gift_sku_id)) if h.gift_sku_id else None,
        text=f"再买{more}{gives}",
    )


@strawberry.type
class GroupBuyQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="A team's page (with teamId), else the campaign's page listing its forming teams.",
    )
    async def group_buy_page(
        self, info: Info, campaign_id: strawberry.ID, team_id: strawberry.ID | None = None
    ) -> GroupBuyPage | None:
        cid = decode_id(campaign_id, "Campaign", "campaignId")
        tid = decode_id(team_id, "GroupBuyTeam", "teamId") if team_id else None
        now = utcnow()
        page = await shared_page(info.context.deps, cid, tid, now)
        if page is None:
            return None
        viewer = None
        if info.context.principal.customer_id is not None and ("viewer",) in selected_paths(info):
            async with info.context.sessions() as session:
                allowed, reason = await viewer_verdict(session, info.context.principal, page, now)
            viewer = ViewerEligibility(can_join=allowed, reason=reason)
        c = page["campaign"]
        return GroupBuyPage(
            campaign_id=campaign_id,
            name=c["name"],
            description=c["description"],
            kind=c["kind"],
            status=page_campaign_status(page, now),
            team_size=c["teamSize"],
            ends_at=datetime.fromisoformat(c["endsAt"]),
            skus=[sku_view(s, encode_id) for s in page["skus"]],
            team=team_view(page["team"], share_url(info, cid, tid), encode_id) if page["team"] else None,
            open_teams=[team_view(t, share_url(info, cid, t["id"]), encode_id) for t in page["openTeams"]],
            server_time=now,
            share_url=share_url(info, cid, tid),
            qr_code_url=f"/campaigns/{cid}/teams/{tid}/qr.png" if tid else f"/campaigns/{cid}/qr.png",
            _viewer=viewer,
        )

    @strawberry.field(
        permission_classes=[Allowed], description="Price a cart now, with 满减赠 and the next tier."
    )
    async def preview_pricing(
        self,
        info: Info,
        lines: list[CartLineInput],
        fulfillment: Fulfillment,
        store_id: strawberry.ID | None = None,
        coupon_ids: list[strawberry.ID] | None = None,
    ) -> PricePreview:
        chosen = tuple(decode_id(c, "Coupon", f"couponIds.{i}") for i, c in enumerate(coupon_ids or ()))
        store = decode_id(store_id, "Store", "storeId") if store_id else None
        cart = [
            checkout_quote.CartLine(decode_id(line.sku_id, "Sku", f"lines.{i}.skuId"), line.quantity)
            for i, line in enumerate(lines)
        ]
        now = utcnow()
        async with info.context.sessions() as session:
            preview = await checkout_preview.preview_pricing(
                session,
                store_id=store,
                fulfillment=fulfillment,
                lines=cart,
                coupon_ids=chosen,
                customer_id=info.context.principal.customer_id,
                now=now,
                zone=info.context.deps.rules.zone,
            )
        q = preview.quote
        p = q.pricing
        return PricePreview(
            lines=[
                PricedLine(
                    sku_id=strawberry.ID(encode_id("Sku", line.sku.id)),
                    product_name=line.product.name,
                    spec=line.sku.spec,
                    quantity=line.quantity,
                    unit_price=money(line.unit_price),
                    discount=money(line.discount),
                    is_gift=line.is_gift,
                )
                for line in q.lines
            ],
            goods_amount=money(q.goods),
            discount_amount=money(q.discount),
            delivery_fee=money(q.delivery_fee),
            packaging_fee=money(q.packaging_fee),
            payable_amount=money(q.payable),
            campaign_id=strawberry.ID(encode_id("Campaign", q.campaign_id)) if q.campaign_id else None,
            gift_unavailable=q.gift_unavailable,
            next_tier=_hint(q.hint),
            adjustments=[
                PriceAdjustment.of(a.layer, a.label, a.amount, a.shares) for a in (p.adjustments if p else ())
            ],
            coupon_discount=money(p.coupon_discount() if p else 0),
            shipping_discount=money(q.shipping_discount),
            best_coupon=Coupon.from_row(preview.best_coupon, now) if preview.best_coupon else None,
            best_coupon_saving=money(preview.best_saving) if preview.best_saving is not None else None,
        )


@strawberry.type
class GroupBuyMutations:
    @strawberry.mutation(
        permission_classes=[Allowed], description="Open a team (开团) and place the leader's order."
    )
    async def open_team(self, info: Info, input: OpenTeamInput) -> TeamOrderPayload:
        async def use_case(work: Work) -> Result:
            return await group_buy.open_team(
                work, decode_id(input.campaign_id, "Campaign", "campaignId"), _member_order(input.order)
            )

        return await _team_payload(info, "openTeam", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="Join a forming team (参团).")
    async def join_team(self, info: Info, input: JoinTeamInput) -> TeamOrderPayload:
        async def use_case(work: Work) -> Result:
            return await group_buy.join_team(
                work, decode_id(input.team_id, "GroupBuyTeam", "teamId"), _member_order(input.order)
            )

        return await _team_payload(info, "joinTeam", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="HQ or the member cancels a paid order while its team forms (取消参团): "
        "slot freed, full refund once.",
    )
    async def cancel_awaiting_group_order(
        self, info: Info, input: CancelAwaitingGroupOrderInput
    ) -> OrderPayload:
        async def use_case(work: Work) -> Result:
            return await order_service.cancel(
                work,
                decode_id(input.order_id, "Order", "orderId"),
                input.reason,
                expected_version=input.expected_version,
                only_from=OrderStatus.AWAITING_GROUP,
            )

        return await order_mutation(info, "cancelAwaitingGroupOrder", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="The invitee accepts an invite code (邀请有礼)."
    )
    async def accept_invite(self, info: Info, input: AcceptInviteInput) -> AcceptInvitePayload:
        async def use_case(work: Work) -> Result:
            return await invites.accept_invite(work, input.invite_code)

        try:
            await run(info, "acceptInvite", input, use_case)
        except DomainError as error:
            return AcceptInvitePayload(accepted=False, user_errors=[user_error(error)])
        return AcceptInvitePayload(accepted=True, user_errors=[])
