"""Root fields of campaign administration: the list, one campaign, create / update / tiers / stop."""

from __future__ import annotations

import strawberry
from sqlalchemy import select

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import UseCase, run, user_error
from gql.schema.campaign_inputs import (
    BundlePriceInput,
    BuyGiftInput,
    CampaignFilter,
    CampaignPayload,
    CreateCampaignInput,
    MultiBuyDiscountInput,
    OrderDiscountInput,
    SetSpendRewardTiersInput,
    SpendRewardInput,
    StopCampaignInput,
    UpdateCampaignInput,
)
from gql.schema.campaigns import Campaign
from gql.schema.common import Connection
from models.base import utcnow
from models.campaigns.rows import Campaign as CampaignRow
from models.campaigns.rules import Tier
from models.errors import DomainError
from services.campaigns import admin as campaign_admin
from services.campaigns import item_prices as campaign_item_prices
from services.campaigns import order_discounts as campaign_order_discounts
from services.campaigns import search as campaign_search
from services.commands import Result, Work
from services.pagination import PageRequest


def _spend(s: SpendRewardInput) -> campaign_admin.SpendSettings:
    return campaign_admin.SpendSettings(
        threshold_kind=s.threshold_kind,
        tiers=tuple(
            Tier(
                0,
                t.threshold,
                t.reduction_cents,
                decode_id(t.gift_sku_id, "Sku", f"spendReward.tiers.{i}.giftSkuId")
                if t.gift_sku_id
                else None,
                t.gift_quantity,
            )
            for i, t in enumerate(s.tiers)
        ),
        product_ids=tuple(decode_id(p, "Product", "spendReward.productIds") for p in s.product_ids),
    )


def _products(ids: list[strawberry.ID], field: str) -> tuple[int, ...]:
    return tuple(decode_id(p, "Product", f"{field}.productIds") for p in ids)


def _order_discount(d: OrderDiscountInput) -> campaign_order_discounts.OrderDiscountSettings:
    return campaign_order_discounts.OrderDiscountSettings(
        d.threshold_kind,
        tuple((t.threshold, t.percent_off) for t in d.tiers),
        _products(d.product_ids, "orderDiscount"),
        d.cap_cents,
    )


def _multi_buy(m: MultiBuyDiscountInput) -> campaign_order_discounts.MultiBuySettings:
    return campaign_order_discounts.MultiBuySettings(
        tuple((t.quantity, t.percent_off) for t in m.tiers), _products(m.product_ids, "multiBuyDiscount")
    )


def _bundle(b: BundlePriceInput) -> campaign_order_discounts.BundleSettings:
    return campaign_order_discounts.BundleSettings(
        b.quantity, b.price_cents, _products(b.product_ids, "bundlePrice")
    )


def _buy_gift(g: BuyGiftInput) -> campaign_order_discounts.BuyGiftSettings:
    return campaign_order_discounts.BuyGiftSettings(
        _products(g.product_ids, "buyGift"),
        g.buy_quantity,
        decode_id(g.gift_sku_id, "Sku", "buyGift.giftSkuId"),
        g.gift_quantity,
        g.gift_stock,
    )


def _draft(i: CreateCampaignInput) -> campaign_admin.CampaignDraft:
    invite = group = None
    if i.invite_reward is not None:
        r = i.invite_reward
        invite = campaign_admin.InviteSettings(
            r.trigger,
            r.inviter_reward_kind,
            r.inviter_reward_value,
            r.invitee_reward_kind,
            r.invitee_reward_value,
            r.cap_per_inviter,
        )
    if i.group_buy is not None:
        g = i.group_buy
        group = campaign_admin.GroupBuySettings(
            g.kind,
            g.team_size,
            g.validity_hours,
            tuple((decode_id(s.sku_id, "Sku", "groupBuy.skus"), s.group_price_cents) for s in g.skus),
            g.per_customer_limit,
        )
    return campaign_admin.CampaignDraft(
        type=i.type,
        name=i.name,
        starts_at=i.starts_at,
        ends_at=i.ends_at,
        description=i.description,
        store_ids=tuple(decode_id(s, "Store", "storeIds") for s in i.store_ids),
        invite=invite,
        spend=_spend(i.spend_reward) if i.spend_reward else None,
        group_buy=group,
        price_cut=campaign_item_prices.PriceCutSettings(
            tuple(
                (decode_id(s.sku_id, "Sku", f"priceCut.skus.{n}.skuId"), s.item_price_cents)
                for n, s in enumerate(i.price_cut.skus)
            )
        )
        if i.price_cut
        else None,
        flash_sale=campaign_item_prices.FlashSaleSettings(
            tuple(
                (decode_id(s.sku_id, "Sku", f"flashSale.skus.{n}.skuId"), s.item_price_cents, s.stock)
                for n, s in enumerate(i.flash_sale.skus)
            ),
            i.flash_sale.per_customer_limit,
        )
        if i.flash_sale
        else None,
        product_discount=campaign_item_prices.DiscountSettings(
            i.product_discount.percent_off,
            tuple(
                decode_id(p, "Product", "productDiscount.productIds") for p in i.product_discount.product_ids
            ),
        )
        if i.product_discount
        else None,
        order_discount=_order_discount(i.order_discount) if i.order_discount else None,
        multi_buy=_multi_buy(i.multi_buy_discount) if i.multi_buy_discount else None,
        bundle=_bundle(i.bundle_price) if i.bundle_price else None,
        buy_gift=_buy_gift(i.buy_gift) if i.buy_gift else None,
        priority=i.priority,
        opt_in=i.opt_in,
    )


async def _campaign_payload(info: Info, operation: str, input_: object, use_case: UseCase) -> CampaignPayload:
    try:
        result = await run(info, operation, input_, use_case)
    except DomainError as error:
        return CampaignPayload(campaign=None, user_errors=[user_error(error)])
    async with info.context.sessions() as session:
        row = await session.scalar(select(CampaignRow).where(CampaignRow.id == int(result["campaignId"])))
    return CampaignPayload(campaign=Campaign.from_row(row) if row else None, user_errors=[])


def _id(value: strawberry.ID) -> int:
    return decode_id(value, "Campaign", "campaignId")


@strawberry.type
class CampaignQueries:
    @strawberry.field(
        permission_classes=[Allowed], description="Campaigns the caller manages or sees, newest first."
    )
    async def campaigns(
        self,
        info: Info,
        filter: CampaignFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Campaign]:
        f = filter or CampaignFilter()
        criteria = campaign_search.CampaignCriteria(
            types=tuple(f.type or ()),
            statuses=tuple(f.status or ()),
            name=f.name,
            active_from=f.active_from,
            active_to=f.active_to,
        )
        page = await campaign_search.list_campaigns(
            info.context.sessions,
            info.context.principal,
            criteria,
            PageRequest(first, after, last, before),
            utcnow(),
        )
        return Connection[Campaign].of(page, Campaign.from_row)

    @strawberry.field(permission_classes=[Allowed], description="One campaign (public: its figures are not).")
    async def campaign(self, info: Info, id: strawberry.ID) -> Campaign | None:
        row = await info.context.loaders.campaign.load(_id(id))
        return Campaign.from_row(row) if row else None


@strawberry.type
class CampaignMutations:
    @strawberry.mutation(
        permission_classes=[Allowed], description="Create a campaign (store staff: their stores)."
    )
    async def create_campaign(self, info: Info, input: CreateCampaignInput) -> CampaignPayload:
        async def use_case(work: Work) -> Result:
            return await campaign_admin.create(work, _draft(input))

        return await _campaign_payload(info, "createCampaign", input, use_case)

    @strawberry.mutation(permission_classes=[Allowed], description="Change what is still editable.")
    async def update_campaign(self, info: Info, input: UpdateCampaignInput) -> CampaignPayload:
        async def use_case(work: Work) -> Result:
            patch = campaign_admin.CampaignPatch(
                name=input.name,
                description=input.description,
                ends_at=input.ends_at,
                priority=input.priority,
                group_prices=tuple(
                    (decode_id(p.sku_id, "Sku", f"groupPrices.{i}.skuId"), p.group_price_cents)
                    for i, p in enumerate(input.group_prices)
                ),
            )
            return await campaign_admin.update(work, _id(input.campaign_id), patch)

        return await _campaign_payload(info, "updateCampaign", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Replace 满减赠 tiers (before the start only)."
    )
    async def set_spend_reward_tiers(self, info: Info, input: SetSpendRewardTiersInput) -> CampaignPayload:
        async def use_case(work: Work) -> Result:
            return await campaign_admin.replace_tiers(
                work, _id(input.campaign_id), _spend(input.spend_reward)
            )

        return await _campaign_payload(info, "setSpendRewardTiers", input, use_case)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Stop early; forming teams finish by their rules."
    )
    async def stop_campaign(self, info: Info, input: StopCampaignInput) -> CampaignPayload:
        async def use_case(work: Work) -> Result:
            return await campaign_admin.stop(work, _id(input.campaign_id))

        return await _campaign_payload(info, "stopCampaign", input, use_case)
