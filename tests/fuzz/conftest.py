"""One small seeded SQLite database and the production app over it, shared by the whole fuzz suite.

The fuzz tests only need rows worth hitting (ids 1…3 of each type exist, in two stores), not a
fresh database per example: every example checks invariants of the answer, not its data, so the
rows the generated mutations change do not matter.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from gql.app import Resources, create_app
from gql.settings import load_settings
from models.after_sales.states import AfterSaleStatus
from models.enums import CampaignType, Fulfillment, Role
from models.orders.states import OrderStatus
from services.cache import MemoryCache
from services.db import create_engine, session_factory
from services.migrations import upgrade
from services.payments import DevPaymentGateway
from tests.api.conftest import Api
from tests.api.gated_app import PROD_SECRET
from tests.conftest import _postgres
from tests.factories import T0, Seed

FUZZ_DATABASE_URL = os.environ.get("FUZZ_DATABASE_URL")
"""A PostgreSQL URL runs the suite there (its schema is dropped and migrated first); unset: SQLite."""

ROLES: tuple[Role | None, ...] = (None, Role.SHOPPER, Role.STORE_STAFF, Role.ANALYST, Role.HQ_ADMIN)


@dataclass(frozen=True)
class FuzzApp:
    """The app and one client per role (anonymous first); the shopper owns orders in store 1."""

    api: Api
    callers: dict[Role | None, Api]

    def caller(self, role: Role | None) -> Api:
        return self.callers[role]

    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example
        return "FuzzApp(seeded SQLite, production settings)"


async def _seed(seed: Seed) -> tuple[int, int]:
    """Two stores, three customers, products with SKUs on both shelves, orders in several states
    with parcels, an after-sale, a review, two campaigns, a staff account; (customer, store) of
    the shopper and the staff token."""
    a, b = await seed.store("SH001"), await seed.store("BJ001")
    alice, bob, _ = (
        await seed.customer("13811112222"),
        await seed.customer("13933334444"),
        await seed.customer(),
    )
    _, skus = await seed.product("红富士苹果", prices=(1500, 800), listable=True)
    _, more = await seed.product("牛奶", prices=(599,), listable=True)
    for store in (a, b):
        for sku in (*skus, *more):
            await seed.listing(store, sku, stock=50)
    statuses = (
        OrderStatus.PENDING_ACCEPTANCE,
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,
        OrderStatus.CANCELLED,
    )
    for i, status in enumerate(statuses * 2):
        order = await seed.order(
            a if i % 2 == 0 else b,
            alice if i < 4 else bob,
            [(skus[0], 1 + i % 3), (more[0], 1)],
            status=status,
            fulfillment=Fulfillment.STORE_DELIVERY if i % 3 else Fulfillment.SELF_PICKUP,
            created_at=T0 + timedelta(hours=i),
            parcels=1 if status is OrderStatus.SHIPPED else 0,
            completed_at=T0 + timedelta(hours=i + 1) if status is OrderStatus.COMPLETED else None,
        )
        if status is OrderStatus.COMPLETED:
            await seed.after_sale(order, AfterSaleStatus.PENDING_REVIEW)
            await seed.review(order, (await seed.lines_of(order))[0])
    await seed.campaign()
    await seed.campaign(type=CampaignType.GROUP_BUY)
    await seed.staff("fuzz-staff", stores=[a])
    return alice.id, a.id


@pytest.fixture(scope="session")
async def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FuzzApp]:
    if FUZZ_DATABASE_URL:
        url = FUZZ_DATABASE_URL
        await (await _postgres(url)).dispose()
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    customer_id, store_id = await _seed(Seed(sessions))
    # Production answers (no suggestions, no public introspection); the rate limiter is off so a
    # few hundred requests of one principal are judged on their own, not throttled.
    settings = load_settings(
        database_url=url, environment="prod", jwt_secret=PROD_SECRET, rate_limit_enabled=False
    )
    gateway = DevPaymentGateway()
    app = create_app(resources=Resources(settings, engine, sessions, MemoryCache(), gateway))
    # an exception out of the app is an HTTP 500 to the client, and to the checks
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://fuzz") as http,
        ):
            api = Api(http, settings, gateway)
            callers: dict[Role | None, Api] = {
                None: api,
                Role.SHOPPER: api.as_shopper(customer_id),
                Role.STORE_STAFF: api.as_staff(store_id),
                Role.ANALYST: api.as_role(Role.ANALYST),
                Role.HQ_ADMIN: api.as_hq(),
            }
            yield FuzzApp(api, callers)
    finally:
        await engine.dispose()
