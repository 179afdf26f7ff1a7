"""The benchmark scenarios: what the three clients send most, as GraphQL documents with real ids.

Each scenario is one request shape (or a few rotating variable sets) that a client really sends:
the admin SPA's order list and detail and its status tabs, the mini-program's group-buy page,
the analysts' dashboard. Ids come from the benchmark database, so the bench runs against any
generated data set without hand-edited constants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.metrics_dashboard import DASHBOARD
from gql.ids import encode_id
from models.campaigns.rows import GroupBuyTeam
from models.date_ranges import local_day
from models.enums import TeamStatus
from models.orders.rows import Order
from models.orders.states import OrderStatus
from models.stores.rows import Store

# The admin order list as issue 10 measures it: a 50-order page, four scalars, the store, the
# customer and each line's SKU and product (about 1,900 fields). PostGraphile runs the same shape.
ORDER_LIST = """query OrderList($first: Int!, $filter: OrderFilter) {
  orders(first: $first, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        orderNo status createdAt payableAmount { cents }
        store { name }
        customer { nickname }
        lines { quantity sku { skuCode product { name } } }
      }
    }
  }
}"""

# The list as the SPA's "待发货 at my stores this week" tab sends it: the query language plus a filter.
ORDER_LIST_SEARCH = """query OrderSearch($query: String!, $first: Int!) {
  orders(query: $query, first: $first, sort: [{key: PAID_AT, direction: DESC}]) {
    totalCount
    edges {
      node {
        id orderNo status paidAt payableAmount { amount } fulfillment
        consignee { name phone }
        store { code name }
        lines { productName quantity paidAmount { amount } }
        availableActions { action allowed reason }
      }
    }
  }
}"""

ORDER_DETAIL = """query OrderDetail($id: ID!) {
  order(id: $id) {
    id orderNo status type fulfillment channel paymentMethod
    goodsAmount { amount } discountAmount { amount } deliveryFee { amount } packagingFee { amount }
    payableAmount { amount } paidAmount { amount } refundedAmount { amount }
    consignee { name phone address }
    buyerRemark createdAt paidAt acceptedAt shippedAt completedAt version pickupCode
    availableActions { action allowed reason }
    store { code name phone }
    customer { nickname phone memberLevel }
    lines {
      id productName spec quantity unitPrice { amount } paidAmount { amount }
      refundedQuantity refundedAmount { amount } isGift sku { skuCode barcode }
    }
    parcels { carrier trackingNo }
    events { action toStatus actorType createdAt }
    afterSales { id status type refundAmount { amount } }
  }
}"""

STATUS_COUNTS = """query StatusTabs($filter: OrderFilter) {
  orderStatusCounts(filter: $filter) {
    total
    tabs { tab count statuses }
  }
}"""

GROUP_BUY_PAGE = """query GroupBuyPage($c: ID!, $t: ID) {
  groupBuyPage(campaignId: $c, teamId: $t) {
    name status teamSize serverTime
    skus { productName groupPrice { amount } price { amount } }
    team { status memberCount slotsLeft expiresAt members { nickname avatarUrl isLeader } }
  }
}"""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    """Stable key in the JSON results."""
    query: str
    variables: list[dict[str, Any]]
    """Rotated over the connections, so caches see what a real mix of clients sends."""
    role: str
    """`hq` (the admin SPA as headquarters), `anonymous` (the mini-program before sign-in)."""
    seconds_factor: float = 1.0
    """Slow scenarios run a shorter share of the duration (the metrics dashboard)."""
    server: str = "default"
    """Which server configuration runs it: `default`, or `nocache` (group-buy page cache off)."""
    notes: dict[str, Any] = field(default_factory=dict)


async def build_scenarios(engine: AsyncEngine, zone_name: str, page_size: int = 50) -> list[Scenario]:
    """Pick real ids from the database: recent orders, stores, forming group-buy teams, the last days."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    async with engine.connect() as conn:
        newest = await conn.scalar(select(func.max(Order.created_at)))
        if newest is None:
            raise SystemExit("the benchmark database holds no orders: seed it first")
        recent = (await conn.scalars(select(Order.id).order_by(Order.created_at.desc()).limit(200))).all()
        store_codes = (await conn.scalars(select(Store.code).order_by(Store.id).limit(3))).all()
        teams = (
            await conn.execute(
                select(GroupBuyTeam.campaign_id, GroupBuyTeam.id)
                .where(GroupBuyTeam.status == TeamStatus.FORMING)
                .order_by(GroupBuyTeam.id.desc())
                .limit(20)
            )
        ).all()
        if not teams:
            teams = (
                await conn.execute(
                    select(GroupBuyTeam.campaign_id, GroupBuyTeam.id)
                    .order_by(GroupBuyTeam.id.desc())
                    .limit(20)
                )
            ).all()
    last_day = local_day(newest, zone) - timedelta(days=1)
    week = {"from": (last_day - timedelta(days=6)).isoformat(), "to": last_day.isoformat()}
    completed = {"status": [OrderStatus.COMPLETED.name]}
    search = f"status:PENDING_SHIPMENT,PENDING_PICKUP,SHIPPED,COMPLETED store:{','.join(store_codes)}"
    scenarios = [
        Scenario("order_list", ORDER_LIST, [{"first": page_size, "filter": completed}], "hq"),
        Scenario("order_list_search", ORDER_LIST_SEARCH, [{"query": search, "first": 20}], "hq"),
        Scenario("order_detail", ORDER_DETAIL, [{"id": encode_id("Order", i)} for i in recent], "hq"),
        Scenario(
            "status_counts", STATUS_COUNTS, [{"filter": None}, {"filter": {"storeCodes": store_codes}}], "hq"
        ),
    ]
    if teams:
        pages = [{"c": encode_id("Campaign", c), "t": encode_id("GroupBuyTeam", t)} for c, t in teams]
        scenarios.append(Scenario("group_buy_page_cached", GROUP_BUY_PAGE, pages, "anonymous"))
        scenarios.append(
            Scenario("group_buy_page_uncached", GROUP_BUY_PAGE, pages, "anonymous", server="nocache")
        )
    scenarios.append(Scenario("metrics_dashboard", DASHBOARD, [{"range": week}], "hq", seconds_factor=0.5))
    return scenarios
