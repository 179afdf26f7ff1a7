"""The Starlette application: GraphQL at /graphql (GraphiQL in a browser), health at /livez and /readyz.

GraphiQL's files come from the app itself (/graphql/static/), the SDL from /graphql/schema.graphql.

Long-lived resources (engine, session factory, cache) are created in the lifespan and kept on
`app.state`; everything per request (principal, loaders) is built in `get_context`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from adapters.strawberry import graphql_schema_of
from gql.context import Context
from gql.engine import freeze_startup_heap
from gql.gate.admission import Gate, GatedGraphQL
from gql.gate.auth import AuthMiddleware
from gql.gate.rate_limit import issue_visitor_id
from gql.gate.request_guard import security_middleware
from gql.http.bodies import GraphQLOverHTTP
from gql.http.courier_webhook import courier_webhook_endpoint
from gql.http.graphiql import graphiql_page, schema_endpoint, static_asset
from gql.http.health import readiness
from gql.http.logging_setup import configure_logging
from gql.http.observability import RequestLogMiddleware, forget_this_process, metrics_endpoint
from gql.http.qr import coupon_claim_qr_endpoint, invite_qr_endpoint, qr_endpoint
from gql.http.subscriptions import CONNECTION_INIT_TIMEOUT, FeedTransportWSHandler, authenticate_connection
from gql.http.tickets import tickets_endpoint
from gql.resolvers.exports import download_endpoint, export_config
from gql.schema import schema
from gql.settings import Settings, get_settings
from models.principals import ANONYMOUS
from services.cache import Cache, create_cache
from services.commands import Deps
from services.config import RulesConfig
from services.coupons.feed import CouponFeed
from services.db import SessionFactory, create_engine, session_factory
from services.event_bus import EventBus, MemoryBus, create_event_bus
from services.orders.feed import OrderFeed
from services.payments import DevPaymentGateway, PaymentGateway
from services.redis_breaker import RedisBreaker
from services.sweeps import SweepRunner
from services.timeline_feed import FeedConfig

log = logging.getLogger("mallgraph.app")

CLOSE_SECONDS = 1.0
"""The longest the app's shutdown (sweeper, Redis, pools) may take once requests have drained."""


def rules_config(settings: Settings) -> RulesConfig:
    return RulesConfig(
        zone=settings.zone,
        refund_window=timedelta(days=settings.refund_window_days),
        payment_timeout=timedelta(minutes=settings.payment_timeout_minutes),
        acceptance_timeout=timedelta(minutes=settings.acceptance_timeout_minutes),
        auto_complete_after=timedelta(days=settings.auto_complete_days),
        after_sale_review_sla=timedelta(hours=settings.after_sale_review_hours),
        no_rider_after=timedelta(minutes=settings.no_rider_minutes),
        group_buy_page_ttl=settings.group_buy_page_cache_seconds,
    )


@dataclass(slots=True)
class Resources:
    """What the lifespan opens and closes."""

    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    cache: Cache
    gateway: PaymentGateway = field(default_factory=DevPaymentGateway)
    deps: Deps = field(init=False)
    analytics_engine: AsyncEngine | None = None
    """Read replica for metrics (ANALYTICS_DATABASE_URL); None: the primary serves them too."""
    analytics_sessions: SessionFactory = field(init=False)
    """Sessions for heavy read-only metrics: the replica when configured, else the primary."""
    analytics_dialect: str = field(init=False)
    bus: EventBus = field(default_factory=MemoryBus)
    """Order-event notices: Redis pub/sub when REDIS_URL is set, else in-process."""
    feed: OrderFeed = field(init=False)
    coupon_feed: CouponFeed = field(init=False)
    gate: Gate = field(init=False)
    """Issue 8: persisted queries, document cache, limits, cost and rate limits (gql/gate/admission.py)."""

    def __post_init__(self) -> None:
        self.deps = Deps(self.sessions, self.gateway, rules_config(self.settings), self.cache, self.bus)
        self.gate = Gate(graphql_schema_of(schema), self.settings, self.cache)
        feed_config = FeedConfig(
            max_queue=self.settings.subscription_queue_size,
            catchup_interval=self.settings.subscription_catchup_seconds,
            max_replay=self.settings.subscription_replay_limit,
        )
        self.feed = OrderFeed(self.sessions, self.bus, feed_config)
        self.coupon_feed = CouponFeed(self.sessions, self.bus, feed_config)
        if self.analytics_engine is None and self.settings.analytics_database_url:
            self.analytics_engine = create_engine(
                self.settings.analytics_database_url,
                pool_size=self.settings.db_pool_size,
                statement_timeout_ms=self.settings.db_statement_timeout_ms,
            )
        engine = self.analytics_engine or self.engine
        self.analytics_sessions = session_factory(engine) if self.analytics_engine else self.sessions
        self.analytics_dialect = engine.dialect.name

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        engine = create_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        )
        # One breaker for the process's Redis: whichever caller meets a hung Redis first opens it for all.
        breaker = RedisBreaker(cool_down=settings.redis_breaker_cooldown_seconds)
        socket_timeout = settings.redis_socket_timeout_seconds
        connect_timeout = settings.redis_connect_timeout_seconds
        return cls(
            settings,
            engine,
            session_factory(engine),
            create_cache(
                settings.redis_url,
                socket_timeout=socket_timeout,
                connect_timeout=connect_timeout,
                breaker=breaker,
            ),
            bus=create_event_bus(
                settings.redis_url,
                socket_timeout=socket_timeout,
                connect_timeout=connect_timeout,
                breaker=breaker,
            ),
        )

    async def close(self) -> None:
        await self.bus.close()
        await self.cache.close()
        await self.engine.dispose()
        if self.analytics_engine is not None:
            await self.analytics_engine.dispose()


class MallGraphView(GraphQLOverHTTP, GatedGraphQL):
    """strawberry's view behind the gate; bodies read and HTTP errors answered by `gql/http/bodies.py`."""

    graphql_transport_ws_handler_class = FeedTransportWSHandler

    def __init__(self, resources: Resources) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
            gate=lambda: self.resources.gate,
        )
        self.resources = resources

    def encode_json(self, data: object) -> str:
        """JSON through orjson, in UTF-8, not the standard library's encoder.

        Text, not bytes: strawberry sends bytes over a WebSocket as binary frames, which
        graphql-transport-ws clients refuse ("Message is missing the 'type' property").
        """
        try:
            return orjson.dumps(data).decode()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits inside a JSON scalar
            return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our own GraphiQL page, whose assets the app serves (gql/http/graphiql.py): no CDN."""
        return await graphiql_page(request)

    async def on_ws_connect(self, context: Context) -> None:
        await authenticate_connection(context)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state = request.scope.get("state", {})
        r = self.resources
        return Context(
            request=request if isinstance(request, Request) else None,
            response=response if isinstance(response, Response) else None,
            principal=state.get("principal", ANONYMOUS),
            settings=r.settings,
            sessions=r.sessions,
            cache=r.cache,
            request_id=state.get("request_id", ""),
            deps=r.deps,
            analytics_sessions=r.analytics_sessions,
            analytics_dialect=r.analytics_dialect,
            feed=r.feed,
            coupon_feed=r.coupon_feed,
        )


def create_app(settings: Settings | None = None, resources: Resources | None = None) -> Starlette:
    """Build the app. Tests pass `resources` to share an engine; otherwise the lifespan opens them."""
    settings = settings or (resources.settings if resources else get_settings())
    holder: dict[str, Resources] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = resources is None
        holder["r"] = resources or Resources.open(settings)
        view.resources = holder["r"]
        app.state.resources = holder["r"]
        await holder["r"].bus.start()
        sweeper = SweepRunner(
            holder["r"].deps, settings.sweep_interval_seconds if owned else 0, export_config(settings)
        )
        sweeper.start()
        if owned:
            # A served process (tests share one interpreter and keep the collector as it is).
            freeze_startup_heap()

        try:
            yield
        finally:
            # After SHUTDOWN_GRACE_SECONDS of draining, closing must not wait on a hung Redis or database.
            try:
                async with asyncio.timeout(CLOSE_SECONDS):
                    await sweeper.stop()
                    if owned:
                        await holder["r"].close()
            except TimeoutError:
                log.warning("shutdown: closing took over %g s; exiting without waiting", CLOSE_SECONDS)
            if owned:
                forget_this_process()

    async def livez(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        return await readiness(holder["r"])

    async def campaign_qr(request: Request) -> Response:
        return await qr_endpoint(request, holder["r"].settings, holder["r"].sessions)

    async def invite_qr(request: Request) -> Response:
        return await invite_qr_endpoint(request, holder["r"].settings, holder["r"].sessions)

    async def coupon_claim_qr(request: Request) -> Response:
        return await coupon_claim_qr_endpoint(request, holder["r"].settings)

    async def export_download(request: Request) -> Response:
        return await download_endpoint(request, holder["r"].settings, holder["r"].sessions)

    async def visitor_id(request: Request) -> Response:
        return await issue_visitor_id(request, holder["r"].settings, holder["r"].gate.limiter)

    async def courier_webhook(request: Request) -> Response:
        return await courier_webhook_endpoint(request, holder["r"].settings, holder["r"].deps)

    async def tickets(request: Request) -> Response:
        return await tickets_endpoint(request, holder["r"].settings, holder["r"].sessions)

    async def tickets_pdf(request: Request) -> Response:
        return await tickets_endpoint(request, holder["r"].settings, holder["r"].sessions, pdf=True)

    async def schema_sdl(request: Request) -> Response:
        return schema_endpoint(request, holder["r"].settings)

    view = MallGraphView(resources)  # type: ignore[arg-type]  # set for real in the lifespan
    return Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            Route("/graphql/schema.graphql", schema_sdl),
            Route("/graphql/static/{name}", static_asset),
            Route("/livez", livez),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            WebSocketRoute("/graphql", view),
            Route("/campaigns/{campaign_id:int}/qr.png", campaign_qr),
            Route("/campaigns/{campaign_id:int}/teams/{team_id:int}/qr.png", campaign_qr),
            Route("/invites/{code}/qr.png", invite_qr),
            Route("/coupons/claim-qr.png", coupon_claim_qr),
            Route("/exports/{job_id:int}/download", export_download),
            Route("/visitor-id", visitor_id, methods=["POST"]),
            Route("/webhooks/courier", courier_webhook, methods=["POST"]),
            Route("/orders/{id}/ticket", tickets),
            Route("/orders/{id}/ticket.pdf", tickets_pdf),
            Route("/tickets", tickets),
            Route("/tickets.pdf", tickets_pdf),
        ],
        middleware=[
            Middleware(RequestLogMiddleware),
            *security_middleware(settings),
            Middleware(AuthMiddleware, settings=settings),
        ],
        lifespan=lifespan,
    )


def create_served_app() -> Starlette:
    """The factory `mallgraph serve` gives uvicorn (once in each worker process): JSON logs first."""
    settings = get_settings()
    configure_logging(settings)
    return create_app(settings)
