"""Live events over graphql-transport-ws: orders (`orderEvents` for staff and HQ, `myOrderUpdates`
for shoppers) and coupons (`couponEvents`, `myCouponUpdates`).

The connection authenticates once, with the bearer token in the `connection_init` payload
(`{"Authorization": "Bearer …"}` or `{"token": "…"}`); a missing or bad token closes it with
4403. The feeds themselves (replay, live, catch-up) are `services/timeline_feed.py` over the order
timeline (`services/orders/feed.py`) and the coupon ledger (`services/coupons/feed.py`); this module maps them
to GraphQL, keeps the connection alive with server pings, and closes a connection whose
subscriber cannot keep up with 4413 (see docs/deployment.md for every close code).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Callable
from datetime import timedelta
from typing import Any, Final, TypeVar, cast

import strawberry
from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from gql.context import Context, Info
from gql.errors import CodedError
from gql.gate.admission import GatedGraphQL
from gql.gate.auth import AuthError, principal_from_header
from gql.gate.permissions import check_audience
from gql.ids import decode_id
from gql.schema.coupon_events import CouponEventMessage
from gql.schema.order_records import OrderEvent
from gql.schema.orders import Order
from loaders import Loaders
from models.coupons.rows import CouponLedgerAction
from models.enums import Role
from models.errors import DomainError, ErrorCode
from models.orders.event_types import OrderEventType
from services.coupons.feed import CouponFeedScope
from services.orders.feed import FeedEvent, FeedScope
from services.telemetry import ACTIVE_SUBSCRIPTIONS
from services.timeline_feed import SlowConsumer, TimelineFeed, parse_since

log = logging.getLogger("mallgraph.subscriptions")

SLOW_CONSUMER_CLOSE_CODE: Final = 4413
"""Close code for a subscriber that fell `SUBSCRIPTION_QUEUE_SIZE` events behind (not a fatal code
for the `graphql-ws` client, so it reconnects and resumes with `since`)."""

LOADER_TTL: Final = 0.5
"""Seconds a subscription's loaders (and what they cached) live before the next event renews them."""

strawberry.enum(OrderEventType, description="What happened to an order, as staff watching the feed see it.")


@strawberry.type(description="One order event delivered live or replayed (新订单提醒, 取消, 退款申请, …).")
class OrderEventMessage:
    cursor: str = strawberry.field(
        description="The event's id in the timeline: pass it as `since` to resume after this event."
    )
    type: OrderEventType
    event: OrderEvent
    order: Order = strawberry.field(description="The order as it is now (not as it was at the event).")

    @classmethod
    def from_feed(cls, item: FeedEvent) -> OrderEventMessage:
        return cls(
            cursor=str(item.event.id),
            type=item.type,
            event=OrderEvent.from_row(item.event),
            order=Order.from_row(item.order),
        )


async def authenticate_connection(context: Context) -> None:
    """`on_ws_connect`: the token in the connection_init payload becomes the connection's principal."""
    params: dict[str, Any] = context.connection_params or {}
    header = params.get("Authorization") or params.get("authorization")
    token = params.get("token")
    if not header and isinstance(token, str):
        header = f"Bearer {token}"
    if not isinstance(header, str) or not header:
        raise ConnectionRejectionError({"reason": "a bearer token is required"})
    try:
        context.principal = principal_from_header(context.settings, header)
    except AuthError as exc:
        raise ConnectionRejectionError({"reason": str(exc)}) from None
    context.loaders = Loaders(context.sessions, context.principal)


def _staff_scope(info: Info, store_ids: list[strawberry.ID] | None) -> frozenset[int] | None:
    principal = info.context.principal
    asked = (
        frozenset(decode_id(v, "Store", f"storeIds.{i}") for i, v in enumerate(store_ids))
        if store_ids
        else None
    )
    if principal.role is Role.HQ_ADMIN:
        return asked
    if asked is not None and not asked <= principal.store_ids:
        raise DomainError(ErrorCode.FORBIDDEN, "you may watch only your own stores", "storeIds")
    return asked or principal.store_ids


ScopeT = TypeVar("ScopeT")
ItemT = TypeVar("ItemT")
MessageT = TypeVar("MessageT")


async def _messages(
    info: Info,
    field: str,
    feed: TimelineFeed[ScopeT, ItemT] | None,
    scope_of: Callable[[], ScopeT],
    message_of: Callable[[ItemT], MessageT],
    since: str | None,
) -> AsyncGenerator[MessageT]:
    """The stream of one subscription.

    Errors of a stream do not pass through the ErrorCodes extension, so the audience check
    (ROOT_FIELD_AUDIENCE, done here rather than by a permission class) and every DomainError
    leave as coded GraphQL errors, and anything unexpected is logged and masked here.
    """
    try:
        async for message in _stream(info, field, feed, scope_of, message_of, since):
            yield message
    except DomainError as exc:
        extra = {"field": exc.field} if exc.field else {}
        raise CodedError(exc.code, exc.message, **extra) from None
    except GraphQLError:
        raise
    except Exception:
        request_id = info.context.request_id
        log.exception("subscription %s failed", field, extra={"request_id": request_id})
        raise CodedError(
            ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error", requestId=request_id
        ) from None


async def _stream(
    info: Info,
    field: str,
    feed: TimelineFeed[ScopeT, ItemT] | None,
    scope_of: Callable[[], ScopeT],
    message_of: Callable[[ItemT], MessageT],
    since: str | None,
) -> AsyncGenerator[MessageT]:
    context = info.context
    check_audience(field, context.principal.role)
    scope = scope_of()
    cursor = parse_since(since)
    if feed is None:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "subscriptions run over WebSocket (graphql-transport-ws)")
    max_queue = feed.config.max_queue

    def overflow() -> None:
        context.close_connection(SLOW_CONSUMER_CLOSE_CODE, f"slow consumer: over {max_queue} events behind")

    ACTIVE_SUBSCRIPTIONS.inc()
    loaders_since = -LOADER_TTL  # the first event always gets fresh loaders
    try:
        async for item in feed.stream(scope, cursor, overflow):
            # The connection lives for hours and nested fields (store, lines, …) must show the
            # data as it is now, so loaders (and their caches) are renewed — but at most once a
            # LOADER_TTL: a replay burst of thousands of events then shares one store lookup.
            if time.monotonic() - loaders_since > LOADER_TTL:
                context.loaders = Loaders(context.sessions, context.principal)
                loaders_since = time.monotonic()
            yield message_of(item)
    except SlowConsumer as exc:
        context.close_connection(SLOW_CONSUMER_CLOSE_CODE, f"slow consumer: {exc}")
    finally:
        ACTIVE_SUBSCRIPTIONS.dec()


@strawberry.type(name="Subscription")
class OrderSubscriptions:
    @strawberry.subscription(
        description="Staff and HQ: order events of the stores in scope (staff: their own stores). "
        "`since`: an event cursor (replay every event after it, then live, without gaps or "
        "duplicates) or an ISO 8601 time with offset (replay events after that moment); "
        "omitted: live events from now on.",
    )
    async def order_events(
        self,
        info: Info,
        store_ids: list[strawberry.ID] | None = None,
        types: list[OrderEventType] | None = None,
        since: str | None = None,
    ) -> AsyncGenerator[OrderEventMessage]:
        async for message in _messages(
            info,
            "Subscription.orderEvents",
            info.context.feed,
            lambda: FeedScope(
                store_ids=_staff_scope(info, store_ids), types=frozenset(types) if types else None
            ),
            OrderEventMessage.from_feed,
            since,
        ):
            yield message

    @strawberry.subscription(
        description="Shoppers: every change of their own orders (`since` as in orderEvents).",
    )
    async def my_order_updates(
        self, info: Info, since: str | None = None
    ) -> AsyncGenerator[OrderEventMessage]:
        async for message in _messages(
            info,
            "Subscription.myOrderUpdates",
            info.context.feed,
            lambda: FeedScope(customer_id=info.context.principal.customer_id),
            OrderEventMessage.from_feed,
            since,
        ):
            yield message

    @strawberry.subscription(
        description="Staff and HQ: coupon events (issued, locked, used, unlocked, restored, expired, "
        "voided). HQ sees every coupon; staff the events at their stores (an order's store, or a "
        "商家券 of one store). `since` as in orderEvents, over the coupon ledger's cursors.",
    )
    async def coupon_events(
        self,
        info: Info,
        store_ids: list[strawberry.ID] | None = None,
        types: list[CouponLedgerAction] | None = None,
        since: str | None = None,
    ) -> AsyncGenerator[CouponEventMessage]:
        async for message in _messages(
            info,
            "Subscription.couponEvents",
            info.context.coupon_feed,
            lambda: CouponFeedScope(
                store_ids=_staff_scope(info, store_ids), types=frozenset(types) if types else None
            ),
            CouponEventMessage.from_feed,
            since,
        ):
            yield message

    @strawberry.subscription(
        description="Shoppers: every change of their own coupons (a coupon received, locked by an "
        "order, used, given back, expired …; `since` as in couponEvents).",
    )
    async def my_coupon_updates(
        self, info: Info, since: str | None = None
    ) -> AsyncGenerator[CouponEventMessage]:
        async for message in _messages(
            info,
            "Subscription.myCouponUpdates",
            info.context.coupon_feed,
            lambda: CouponFeedScope(customer_id=info.context.principal.customer_id),
            CouponEventMessage.from_feed,
            since,
        ):
            yield message


class FeedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's graphql-transport-ws handler plus server pings and closing from a subscription."""

    ping_interval: float = 15.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context.close_connection = self._close_soon
        # One id for the whole connection, in its log lines and in masked errors.
        self.context.request_id = self.context.request_id or uuid.uuid4().hex
        self.ping_interval = self.context.settings.subscription_ping_seconds
        self._closing: asyncio.Task[None] | None = None

    def _close_soon(self, code: int, reason: str) -> None:
        if self._closing is None:
            log.warning("closing subscription connection: %s %s", code, reason)
            self._closing = asyncio.create_task(self.websocket.close(code=code, reason=reason))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """The HTTP gate's document and input checks, then strawberry's own handling.

        Operations over WebSocket never pass the HTTP gate: here they meet the same document checks
        (length, tokens, shape, validation; cached per document) and the same input checks (list
        ceilings, NUL bytes, lone surrogates; O(n) in the variables) before anything runs.
        """
        refusal = self._refusal(message) if self.connection_acknowledged else None
        if refusal is not None and message["id"] not in self.operations:
            await self.send_message({"id": message["id"], "type": "error", "payload": [refusal.formatted]})
            return
        await super().handle_subscribe(message)

    def _refusal(self, message: SubscribeMessage) -> GraphQLError | None:
        payload = message["payload"]
        query, variables = payload.get("query"), payload.get("variables")
        if not isinstance(query, str) or not (variables is None or isinstance(variables, dict)):
            return None  # malformed: strawberry refuses it
        gate = cast(GatedGraphQL, self.view).gate()
        checked = gate.documents.check(query, role=self.context.principal.role)
        if checked.errors:
            return checked.errors[0]
        return None if checked.document is None else gate.inputs.check(checked.document, variables)

    async def handle(self) -> None:
        heartbeat = asyncio.create_task(self._heartbeat())
        started = time.monotonic()
        try:
            await super().handle()
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            log.info(
                "subscription connection ended",
                extra={
                    "request_id": self.context.request_id,
                    "principal": self.context.principal.key,
                    "duration_ms": round((time.monotonic() - started) * 1000, 2),
                },
            )

    async def _heartbeat(self) -> None:
        """A `ping` every `ping_interval` seconds: proxies keep the socket open, clients see we live."""
        if self.ping_interval <= 0:
            return
        while True:
            await asyncio.sleep(self.ping_interval)
            if self.connection_acknowledged:
                try:
                    await self.send_message({"type": "ping"})
                except Exception:  # the socket is gone; the read loop ends the connection
                    return


CONNECTION_INIT_TIMEOUT: Final = timedelta(seconds=10)
