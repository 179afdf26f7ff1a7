"""Root fields of the admin order list: `orders`, `orderStatusCounts` and `orderBookingCounts`.

The resolvers only translate input: the typed `OrderFilter` becomes the filter AST here (global
ids decoded, each bad value a BAD_USER_INPUT error naming its input path), the `query:` string is
parsed by `models/orders/query_language.py`, and `services/orders/search.py` does the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Annotated, Any, Final

import strawberry

from gql.context import Info
from gql.engine import answer_of, selected_columns, selected_paths
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.resolvers.order_prefetch import order_page_read, prefetch_orders, whole_orders
from gql.schema.common import Connection
from gql.schema.order_search import (
    QUERY_DESCRIPTION,
    BookingStateCount,
    OrderFilter,
    OrderSort,
    OrderStatusCounts,
    RegionFilter,
)
from gql.schema.orders import ORDER_ROW_FIELDS, Order
from models.base import utcnow
from models.errors import DomainError, ErrorCode
from models.orders import filters as f
from models.orders.query_language import parse_query
from models.orders.sorting import OrderSortSpec
from models.pre_orders import BOOKING_LABELS, BookingState
from services import pre_orders
from services.orders import search as order_search
from services.orders.search import OrderCriteria
from services.pagination import PageRequest

MAX_FILTER_DEPTH: Final = 8
MAX_FILTER_TERMS: Final = f.MAX_CONDITIONS
"""Bounds on a typed filter, so one request cannot build an unbounded SQL condition."""

QueryArgument = Annotated[str | None, strawberry.argument(description=QUERY_DESCRIPTION)]
SortArgument = Annotated[
    list[OrderSort] | None,
    strawberry.argument(
        description="Sort keys in priority order; default CREATED_AT DESC; ties end with id."
    ),
]


@strawberry.type
class OrderSearchQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Orders the caller may see (HQ and analysts all, staff their stores, shoppers their "
        "own), filtered by `filter` AND `query`, newest first unless `sort` says otherwise.",
    )
    async def orders(
        self,
        info: Info,
        filter: OrderFilter | None = None,
        query: QueryArgument = None,
        sort: SortArgument = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Order]:
        paths = selected_paths(info)
        whole = whole_orders(info)
        page = await order_search.list_orders(
            info.context.sessions,
            info.context.principal,
            PageRequest(first, after, last, before),
            criteria(info, filter, query),
            [OrderSortSpec(s.key, s.direction) for s in sort or ()],
            # an order rendered whole reads its columns in SQL: the page keeps its cursor's only
            columns=frozenset()
            if whole is not None
            else selected_columns(info, paths, ("edges", "node"), ORDER_ROW_FIELDS),
            zone=info.context.settings.zone,
            read=order_page_read(info, paths, whole),
        )
        await prefetch_orders(info, page.rows, paths=paths)
        return Connection[Order].of(page, answer_of(whole, Order.from_row))

    @strawberry.field(
        permission_classes=[Allowed],
        description="How many orders each status and each tab of the admin list holds, in one query, "
        "within the caller's scope and `filter` AND `query` (pass the list's filter without its status).",
    )
    async def order_status_counts(
        self, info: Info, filter: OrderFilter | None = None, query: QueryArgument = None
    ) -> OrderStatusCounts:
        counts = await order_search.count_by_status(
            info.context.sessions,
            info.context.principal,
            criteria(info, filter, query),
            zone=info.context.settings.zone,
        )
        return OrderStatusCounts.of(counts)

    @strawberry.field(
        permission_classes=[Allowed],
        description="The 预订单 tabs: pre-orders per booking state now (NOT_YET, SOON, OVERDUE, zeros "
        "included), within the caller's scope and `filter` AND `query`; list one with "
        "`orders(filter: {bookingState: [...]})`.",
    )
    async def order_booking_counts(
        self, info: Info, filter: OrderFilter | None = None, query: QueryArgument = None
    ) -> list[BookingStateCount]:
        counts = await pre_orders.count_by_booking(
            info.context.sessions, info.context.principal, criteria(info, filter, query), utcnow()
        )
        return [BookingStateCount(state=s, label=BOOKING_LABELS[s], count=counts[s]) for s in BookingState]


def criteria(info: Info, typed: OrderFilter | None, query: str | None) -> OrderCriteria:
    zone = info.context.settings.zone
    return OrderCriteria(
        filter=None if typed is None else filter_node(typed, zone),
        query=parse_query(query, zone),
    )


class _Conditions:
    """The leaves a filter may still add; the first one past MAX_FILTER_TERMS is refused at once."""

    def __init__(self) -> None:
        self.left = MAX_FILTER_TERMS

    def take(self, path: str) -> None:
        self.left -= 1
        if self.left < 0:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"a filter has at most {MAX_FILTER_TERMS} conditions", path
            )


def filter_node(
    typed: OrderFilter,
    zone: tzinfo,
    path: str = "filter",
    depth: int = 0,
    conditions: _Conditions | None = None,
) -> f.Node | None:
    """The AST of a typed filter (None when it sets nothing); every given field is ANDed.

    Empty lists and blank strings count as not given: that is what a cleared SPA control sends.
    Conditions are counted as they are read, so the work done before a filter with too many is
    refused is O(MAX_FILTER_TERMS), and building one within the bounds is linear (`f.all_of`).
    """
    if depth > MAX_FILTER_DEPTH:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"filters nest at most {MAX_FILTER_DEPTH} levels", path)
    budget = conditions or _Conditions()
    parts: list[f.Node] = []

    def leaf(name: str, build: Callable[..., f.Node], *args: Any) -> None:
        budget.take(f"{path}.{name}")
        try:
            parts.append(build(*args))
        except f.FilterValueError as exc:
            raise DomainError(ErrorCode.BAD_USER_INPUT, str(exc), f"{path}.{name}") from None

    def ids(name: str, values: Sequence[str], type_name: str) -> list[int]:
        return [decode_id(v, type_name, f"{path}.{name}.{i}") for i, v in enumerate(values)]

    def nested(name: str, subs: Sequence[OrderFilter]) -> list[f.Node]:
        nodes = [
            filter_node(sub, zone, f"{path}.{name}.{i}", depth + 1, budget) for i, sub in enumerate(subs)
        ]
        for i, node in enumerate(nodes):
            if node is None:
                raise DomainError(
                    ErrorCode.BAD_USER_INPUT, "an empty filter means nothing here", f"{path}.{name}.{i}"
                )
        return [n for n in nodes if n is not None]

    t = typed
    for name, kind, values in (
        ("status", f.EnumField.STATUS, t.status),
        ("paymentMethod", f.EnumField.PAYMENT, t.payment_method),
        ("type", f.EnumField.TYPE, t.type),
        ("fulfillment", f.EnumField.FULFILLMENT, t.fulfillment),
        ("channel", f.EnumField.CHANNEL, t.channel),
        ("afterSaleStatus", f.EnumField.AFTER_SALE, t.after_sale_status),
        ("bookingState", f.EnumField.BOOKING, t.booking_state),
    ):
        if values:
            leaf(name, f.enum_in, kind, values)
    if t.store_ids:
        leaf("storeIds", f.id_in, f.IdField.STORE, ids("storeIds", t.store_ids, "Store"))
    for name, flag, value in (
        ("hqWarehouse", f.FlagField.HQ_WAREHOUSE, t.hq_warehouse),
        ("hasCampaign", f.FlagField.HAS_CAMPAIGN, t.has_campaign),
        ("watched", f.FlagField.WATCHED, t.watched),
        ("preOrder", f.FlagField.PRE_ORDER, t.pre_order),
    ):
        if value is not None:
            leaf(name, f.flag_is, flag, value)
    if t.campaign_ids:
        leaf("campaignIds", f.id_in, f.IdField.CAMPAIGN, ids("campaignIds", t.campaign_ids, "Campaign"))
    region = t.region or RegionFilter()
    for name, level, names in (
        ("storeCodes", f.NameField.STORE_CODE, t.store_codes or []),
        ("region.province", f.NameField.PROVINCE, [region.province]),
        ("region.city", f.NameField.CITY, [region.city]),
        ("region.district", f.NameField.DISTRICT, [region.district]),
    ):
        given = [(i, n) for i, n in enumerate(names) if n and n.strip()]
        if given:
            where = [f"{path}.{name}.{i}" if name == "storeCodes" else f"{path}.{name}" for i, _ in given]
            leaf(name, f.name_in, level, [n for _, n in given], where)
    for name, field, text in (
        ("orderNo", f.TextField.ORDER_NO, t.order_no),
        ("orderNoPrefix", f.TextField.ORDER_NO_PREFIX, t.order_no_prefix),
        ("phone", f.TextField.PHONE, t.phone),
        ("buyerPhone", f.TextField.BUYER_PHONE, t.buyer_phone),
        ("storeName", f.TextField.STORE_NAME, t.store_name),
        ("paymentSerialNo", f.TextField.SERIAL, t.payment_serial_no),
        ("merchantOrderNo", f.TextField.MERCHANT_NO, t.merchant_order_no),
        ("consigneeName", f.TextField.CONSIGNEE, t.consignee_name),
        ("product", f.TextField.PRODUCT, t.product),
        ("sku", f.TextField.SKU, t.sku),
        ("text", f.TextField.ANY, t.text),
    ):
        if text and text.strip():
            leaf(name, f.text_match, field, text)
    for name, when, span in (
        ("createdAt", f.TimeField.CREATED, t.created_at),
        ("paidAt", f.TimeField.PAID, t.paid_at),
    ):
        if span is not None:
            leaf(name, f.time_in, when, span.from_, span.to, zone)
    if t.payable_amount is not None:
        leaf("payableAmount", f.amount_in, t.payable_amount.min, t.payable_amount.max)
    if t.and_:
        parts.append(f.all_of(*nested("and", t.and_)))
    if t.or_:
        parts.append(f.any_of(*nested("or", t.or_)))
    if t.not_ is not None:
        parts.append(f.negate(nested("not", [t.not_])[0]))
    if not parts:
        return None
    return f.all_of(*parts)
