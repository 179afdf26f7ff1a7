"""`node`, `nodes` and `viewer`: fetch anything by global id, within the caller's visibility."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import strawberry
from strawberry import relay

from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import parse_global_id, primary_key
from gql.resolvers.invites import viewer_invites
from gql.schema.after_sales import AfterSale
from gql.schema.campaigns import Campaign
from gql.schema.catalog import Category, Product, Sku, StoreSku
from gql.schema.claims import Claim
from gql.schema.customers import Customer
from gql.schema.escalations import AfterSaleEscalation
from gql.schema.invites import InviteCenter
from gql.schema.order_lines import OrderLine
from gql.schema.order_records import Parcel
from gql.schema.orders import Order
from gql.schema.reviews import Review
from gql.schema.staff import ActionLog, StaffAccount
from gql.schema.stores import Store
from models.enums import Role
from models.errors import DomainError, ErrorCode
from services import claims
from services.after_sales import escalations

NodeFetcher = Callable[[Info, int], Awaitable[relay.Node | None]]


async def _order(info: Info, pk: int) -> Order | None:
    row = await info.context.loaders.visible_order.load(pk)
    return Order.from_row(row) if row else None


async def _order_line(info: Info, pk: int) -> OrderLine | None:
    row = await info.context.loaders.line.load(pk)
    if row is None or await info.context.loaders.visible_order.load(row.order_id) is None:
        return None
    return OrderLine.from_row(row)


async def _parcel(info: Info, pk: int) -> Parcel | None:
    row = await info.context.loaders.parcel.load(pk)
    if row is None or await info.context.loaders.visible_order.load(row.order_id) is None:
        return None
    return Parcel.from_row(row)


async def _after_sale(info: Info, pk: int) -> AfterSale | None:
    row = await info.context.loaders.visible_after_sale.load(pk)
    return AfterSale.from_row(row) if row else None


async def _escalation(info: Info, pk: int) -> AfterSaleEscalation | None:
    row = await escalations.visible_escalation(info.context.sessions, info.context.principal, pk)
    return AfterSaleEscalation.from_row(row) if row else None


async def _campaign(info: Info, pk: int) -> Campaign | None:
    row = await info.context.loaders.campaign.load(pk)
    return Campaign.from_row(row) if row else None


async def _customer(info: Info, pk: int) -> Customer | None:
    row = await info.context.loaders.visible_customer.load(pk)
    return Customer.from_row(row) if row else None


async def _store(info: Info, pk: int) -> Store | None:
    row = await info.context.loaders.store.load(pk)
    return Store.from_row(row) if row else None


async def _category(info: Info, pk: int) -> Category | None:
    row = await info.context.loaders.category.load(pk)
    return Category.from_row(row) if row else None


async def _product(info: Info, pk: int) -> Product | None:
    row = await info.context.loaders.product.load(pk)
    return Product.from_row(row) if row else None


async def _sku(info: Info, pk: int) -> Sku | None:
    row = await info.context.loaders.sku.load(pk)
    return Sku.from_row(row) if row else None


async def _store_sku(info: Info, pk: int) -> StoreSku | None:
    row = await info.context.loaders.store_sku.load(pk)
    return StoreSku.from_row(row) if row else None


async def _staff_account(info: Info, pk: int) -> StaffAccount | None:
    if info.context.principal.is_anonymous:
        return None
    row = await info.context.loaders.visible_staff_account.load(pk)
    return StaffAccount.from_row(row) if row else None


async def _action_log(info: Info, pk: int) -> ActionLog | None:
    if info.context.principal.is_anonymous:
        return None
    row = await info.context.loaders.visible_action_log.load(pk)
    return ActionLog.from_row(row) if row else None


async def _review(info: Info, pk: int) -> Review | None:
    row = await info.context.loaders.visible_review.load(pk)
    return Review.from_row(row) if row else None


async def _claim(info: Info, pk: int) -> Claim | None:
    row = await claims.visible_claim(info.context.sessions, info.context.principal, pk)
    return Claim.from_row(row) if row else None


NODE_FETCHERS: dict[str, NodeFetcher] = {
    "Order": _order,
    "OrderLine": _order_line,
    "Parcel": _parcel,
    "AfterSale": _after_sale,
    "Campaign": _campaign,
    "Customer": _customer,
    "Store": _store,
    "Category": _category,
    "Product": _product,
    "Sku": _sku,
    "StoreSku": _store_sku,
    "StaffAccount": _staff_account,
    "ActionLog": _action_log,
    "Review": _review,
    "Claim": _claim,
    "AfterSaleEscalation": _escalation,
}
"""Every Node type and how to fetch it; a test checks this covers every type implementing Node."""


async def fetch_node(info: Info, global_id: str) -> relay.Node | None:
    """A node the caller may see, or None (unknown, deleted, or outside the caller's scope alike).

    An id that names no possible row (not a node type, not a key) is BAD_USER_INPUT.
    """
    gid = parse_global_id(global_id)
    fetcher = NODE_FETCHERS.get(gid.type_name)
    if fetcher is None:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"{gid.type_name!r} is not a node type", "id")
    pk = primary_key(gid)
    if (
        fetcher in (_order, _order_line, _parcel, _after_sale, _customer)
        and info.context.principal.is_anonymous
    ):
        return None
    return await fetcher(info, pk)


@strawberry.type(description="The caller, as the server sees the bearer token.")
class Viewer:
    role: Role | None = strawberry.field(description="Null when anonymous.")
    subject: str | None
    _store_ids: strawberry.Private[frozenset[int]]
    _customer_id: strawberry.Private[int | None]

    @strawberry.field(description="Stores a STORE_STAFF account acts on.")
    async def stores(self, info: Info) -> list[Store]:
        found = await info.context.loaders.store.load_many(sorted(self._store_ids))
        return [Store.from_row(s) for s in found if s is not None]

    @strawberry.field(description="The signed-in shopper.")
    async def customer(self, info: Info) -> Customer | None:
        if self._customer_id is None:
            return None
        return await _customer(info, self._customer_id)

    @strawberry.field(
        description="我的邀请 (邀请有礼): the signed-in shopper's own code, link, invitees, rewards."
    )
    async def invites(self, info: Info) -> InviteCenter | None:
        return await viewer_invites(info)


@strawberry.type
class NodeQueries:
    @strawberry.field(permission_classes=[Allowed], description="Fetch any object by its global id.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return await fetch_node(info, id)

    @strawberry.field(permission_classes=[Allowed], description="Fetch up to 100 objects by global id.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > 100:
            raise DomainError(ErrorCode.PAGE_SIZE_EXCEEDED, "at most 100 ids", "ids")
        return list(await asyncio.gather(*(fetch_node(info, i) for i in ids)))

    @strawberry.field(permission_classes=[Allowed])
    def viewer(self, info: Info) -> Viewer:
        p = info.context.principal
        return Viewer(role=p.role, subject=p.subject, _store_ids=p.store_ids, _customer_id=p.customer_id)
