"""Registers the domain enums as GraphQL enums (with descriptions), once.

Types annotate fields with the model enums themselves (`models.orders.states.OrderStatus`), so
there is one enum per concept in Python and in GraphQL. `gql/schema/common.py` imports this
module, so the registration happens before any type is converted.
"""

from __future__ import annotations

import strawberry

from models.after_sales.states import AfterSaleInitiator, AfterSaleStatus, AfterSaleType
from models.coupons.issue_rules import AssistStatus, InviteRole, IssueRuleKind, SkipReason
from models.coupons.rows import CouponLedgerAction
from models.coupons.rules import (
    CouponClaimPath,
    CouponIssueCause,
    CouponRestorePolicy,
    CouponStatus,
    CouponThreshold,
    CouponType,
)
from models.deliveries.queues import DeliveryQueue, FollowUp
from models.deliveries.stages import DeliveryStage, RiderSource
from models.enums import (
    ActorType,
    CampaignStatus,
    CampaignType,
    Fulfillment,
    GroupBuyKind,
    InviteTrigger,
    MemberLevel,
    OrderChannel,
    OrderType,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    ProductScope,
    ProductStatus,
    RewardKind,
    RewardStatus,
    Role,
    StoreSize,
    StoreStatus,
    TeamStatus,
    ThresholdKind,
    TraceState,
)
from models.errors import ErrorCode
from models.orders.actions import OrderCommand
from models.orders.states import OrderAction, OrderStatus
from models.pre_orders import BookingState
from models.pricing.cart import Layer

strawberry.enum(ErrorCode, description="Stable error codes of userErrors and extensions.code.")
strawberry.enum(Role, description="Role carried by the bearer token.")
strawberry.enum(StoreStatus, description="OPEN takes orders; PAUSED (暂停营业) and CLOSED do not.")
strawberry.enum(StoreSize, description="LARGE stores get a 30 min picking allowance, others 15 min.")
strawberry.enum(Fulfillment, description="SELF_PICKUP 自提, STORE_DELIVERY 门店配送, EXPRESS 快递.")
strawberry.enum(
    ProductStatus, description="HQ listing state of a product (per-store shelf state is separate)."
)
strawberry.enum(MemberLevel)
strawberry.enum(
    OrderStatus,
    description="待付款 PENDING_PAYMENT, 待成团 AWAITING_GROUP, 待接单 PENDING_ACCEPTANCE, "
    "待分配 PENDING_ALLOCATION, 待发货 PENDING_SHIPMENT, 待提货 PENDING_PICKUP, 已发货 SHIPPED, "
    "交易完成 COMPLETED, 已取消 CANCELLED, 已关闭 CLOSED (every unit refunded).",
)
strawberry.enum(OrderAction, description="A transition of the order state machine (SPEC §3).")
strawberry.enum(
    DeliveryStage,
    description="Store delivery under 待发货 / 已发货: PICKING 拣货中, PICKED 待配送, "
    "RIDER_ASSIGNED 骑手已接单, DELIVERING 配送中, DELIVERED 已送达.",
)
strawberry.enum(
    DeliveryQueue,
    description="OVERDUE 催单 (past the promised time), NO_RIDER 配送异常 (no rider after N minutes).",
)
strawberry.enum(FollowUp, description="联系骑手, 联系顾客, 发送配送进度 (the buyer's feed carries the note).")
strawberry.enum(RiderSource, description="STORE 自配 (the store's own rider), PLATFORM a courier platform.")
strawberry.enum(OrderCommand, description="A user-facing order action (one mutation each).")
strawberry.enum(OrderType)
strawberry.enum(OrderChannel)
strawberry.enum(PaymentMethod)
strawberry.enum(PaymentKind, description="PAY: the buyer pays; REFUND: money goes back.")
strawberry.enum(PaymentStatus, description="Gateway state of a payment or refund.")
strawberry.enum(ActorType, description="Who caused an event.")
strawberry.enum(TraceState, description="Carrier tracking state of a parcel.")
strawberry.enum(
    AfterSaleType,
    description="REFUND_ONLY 仅退款, RETURN_AND_REFUND 退款退货, PRICE_DIFFERENCE 退差价 (money back "
    "on units the buyer keeps).",
)
strawberry.enum(AfterSaleInitiator)
strawberry.enum(AfterSaleStatus)
strawberry.enum(
    CampaignType,
    description="INVITE_REWARD 邀请有礼, SPEND_REWARD 满减赠, GROUP_BUY 拼团, PRICE_CUT 单品直降 / 爆品价, "
    "FLASH_SALE 限时抢, PRODUCT_DISCOUNT 商品折扣.",
)
strawberry.enum(CampaignStatus, description="Derived from the dates and the stop time.")
strawberry.enum(GroupBuyKind, description="NORMAL, or NEW_USER_LED (老带新: only new customers may join).")
strawberry.enum(TeamStatus)
strawberry.enum(InviteTrigger)
strawberry.enum(RewardKind)
strawberry.enum(RewardStatus)
strawberry.enum(ThresholdKind, description="满 an AMOUNT of goods (cents) or a QUANTITY of units.")
strawberry.enum(ProductScope)
strawberry.enum(CouponStatus, description="UNUSED → LOCKED (by an unpaid order) → USED, or EXPIRED / VOIDED.")
strawberry.enum(
    CouponType, description="全场券 ALL, 商品券 PRODUCT, 运费券 SHIPPING, 商家券 STORE, 活动券 CAMPAIGN."
)
strawberry.enum(CouponThreshold, description="A coupon's threshold: AMOUNT of goods (cents) or QUANTITY.")
strawberry.enum(
    CouponLedgerAction,
    name="CouponEventType",
    description="What happened to a coupon: ISSUED (领券, 发券, 返券 …), LOCKED by an unpaid order, UNLOCKED "
    "(cancelled or timed out), USED (paid), RESTORED (given back by a refund), EXPIRED, VOIDED.",
)
strawberry.enum(
    CouponClaimPath,
    description="How shoppers claim a template for free: CENTER (领券中心 and store links), LINK (only a "
    "store's signed link / QR), ISSUE_ONLY (never: pushes, rules and sales only).",
)
strawberry.enum(
    CouponRestorePolicy,
    description="When a refund gives a used coupon back: NEVER, FULL_REFUND_BEFORE_COMPLETION (every "
    "unit refunded before the order completes; the default) or FULL_REFUND (also after completion).",
)
strawberry.enum(
    IssueRuleKind,
    description="返券 rule kinds: 新客 ON_REGISTRATION, 邀请有礼 ON_INVITE, ON_ORDER_COMPLETED, "
    "好评返券 ON_GOOD_REVIEW, 助力 ASSIST.",
)
strawberry.enum(InviteRole, description="Whose granted 邀请有礼 reward an ON_INVITE rule follows.")
strawberry.enum(SkipReason, description="Why a 返券 rule recorded a cause without issuing.")
strawberry.enum(
    AssistStatus, description="助力: OPEN until its helpers joined (COMPLETED) or its time is up."
)
strawberry.enum(
    CouponIssueCause,
    description="The path a coupon was issued by: 领券 CLAIM, 邀请有礼 INVITE, 返券 RULE, 助力 ASSIST, "
    "卖券 SALE, 发券 PUSH.",
)
strawberry.enum(Layer, name="PricingLayer", description="The pricing layers, applied in this order.")
strawberry.enum(
    BookingState,
    description="预订单 booking state: NOT_YET 未到时, SOON 即将到时 (within the hour), OVERDUE 已超时.",
)
