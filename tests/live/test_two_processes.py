"""Two real server processes on loopback sharing PostgreSQL and a (private) Redis.

Process 1 runs one worker, process 2 runs `--workers 2`: a subscriber on one hears mutations
made through the other, stays within its stores, replays with `since`, survives a Redis outage
(events delayed, then replayed, never lost), sweeps never double-process, and SIGTERM closes
subscriptions cleanly.
"""

from __future__ import annotations

import asyncio
import signal
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from gql.settings import Settings, load_settings
from models.base import utcnow
from models.enums import ActorType, Role
from models.orders.rows import Order, OrderEvent
from models.orders.states import OrderAction, OrderStatus
from services.payments import DevPaymentGateway
from tests.api.conftest import Api
from tests.api.live_server import free_port
from tests.api.order_flow import ACCEPT, PLACE, ok, open_shop, place_and_pay
from tests.conftest import Database
from tests.factories import Seed
from tests.live.cluster import PrivateRedis, Server, server_env
from tests.ws_client import Closed, GraphQLWs

pytestmark = pytest.mark.postgres_only

EVENTS = """subscription($types: [OrderEventType!], $since: String) {
  orderEvents(types: $types, since: $since) { cursor type order { id orderNo status store { code } } } }"""


@dataclass
class Cluster:
    one: Server
    two: Server
    redis: PrivateRedis
    settings: Settings

    def api(self, server: Server) -> Api:
        return Api(server.http, self.settings, DevPaymentGateway())

    async def ws(self, server: Server, role: Role, **claims: Any) -> GraphQLWs:
        token = self.api(server).as_role(role, **claims).token
        return await GraphQLWs.open(server.ws_url, {"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
async def cluster(database: Database, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    logs: Path = tmp_path_factory.mktemp("cluster")
    redis = PrivateRedis(free_port(), logs / "redis.log")
    await redis.start()
    env = server_env(database.url, redis.url)
    one = Server("process 1", free_port(), logs / "one.log")
    two = Server("process 2", free_port(), logs / "two.log")
    one.start(env)
    two.start(env, workers=2)
    try:
        await asyncio.gather(one.wait_ready(), two.wait_ready())
        yield Cluster(one, two, redis, load_settings(environment="test"))
    finally:
        for server in (one, two):
            server.terminate()
            await server.http.aclose()
        redis.stop()


async def _events_of(db: Database, order_ids: list[int]) -> list[tuple[int, OrderAction | None]]:
    async with db.sessions() as s:
        rows = await s.execute(
            select(OrderEvent.id, OrderEvent.action)
            .where(OrderEvent.order_id.in_(order_ids))
            .order_by(OrderEvent.id)
        )
        return [(r[0], r[1]) for r in rows]


def _pk(global_id: str) -> int:
    from gql.ids import decode_id

    return decode_id(global_id, "Order")


async def test_an_accept_on_process_2_reaches_a_subscriber_on_process_1(
    cluster: Cluster, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed, stock=50)
    watcher = await cluster.ws(cluster.one, Role.STORE_STAFF, store_ids=[shop.a.id])
    other_store = await cluster.ws(cluster.one, Role.STORE_STAFF, store_ids=[shop.b.id])
    sub = await watcher.subscribe(EVENTS, types=["NEW_ORDER", "ACCEPTED"])
    other = await other_store.subscribe(EVENTS)
    await asyncio.sleep(0.3)
    api2 = cluster.api(cluster.two)
    latencies = []
    for _ in range(5):
        paid = await place_and_pay(api2, shop)
        (new,) = await watcher.payloads(sub, 1)
        assert new["orderEvents"]["type"] == "NEW_ORDER"
        assert new["orderEvents"]["order"]["orderNo"] == paid["orderNo"]
        started = time.perf_counter()
        accepted = ok(
            await api2.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": paid["id"]}), "acceptOrder"
        )
        (event,) = await watcher.payloads(sub, 1)
        latencies.append(time.perf_counter() - started)
        assert event["orderEvents"]["type"] == "ACCEPTED"
        assert event["orderEvents"]["order"] == {
            "id": paid["id"],
            "orderNo": paid["orderNo"],
            "status": accepted["status"],
            "store": {"code": "SHA"},
        }
    # Store B's staff, on the same process, heard nothing of store A.
    assert await other_store.nothing_within(other, 0.3)
    print(
        f"\nacceptOrder on process 2 → event on process 1 (mutation round trip included): "
        f"median {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )
    for ws in (watcher, other_store):
        await ws.close()


async def test_since_replays_across_processes_without_gaps_or_duplicates(
    cluster: Cluster, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed, stock=200)
    api1, api2 = cluster.api(cluster.one), cluster.api(cluster.two)
    first = [await place_and_pay(api2, shop) for _ in range(5)]
    history = await _events_of(db, [_pk(o["id"]) for o in first])
    cursor = history[3][0]  # the client saw the first four events, then went away

    hq = await cluster.ws(cluster.one, Role.HQ_ADMIN)
    sub = await hq.subscribe(EVENTS, since=str(cursor))
    replayed = [p["orderEvents"] for p in await hq.payloads(sub, len(history) - 4)]
    # New orders through both processes while the replay turns live.
    more = await asyncio.gather(*(place_and_pay(api, shop) for api in (api1, api2, api1, api2)))
    live = [p["orderEvents"] for p in await hq.payloads(sub, 8)]
    assert await hq.nothing_within(sub, 0.5)
    all_ids = [e for e, _ in await _events_of(db, [_pk(o["id"]) for o in [*first, *more]])]
    delivered = [int(e["cursor"]) for e in replayed + live]
    assert len(delivered) == len(set(delivered))  # no duplicates
    assert sorted(delivered) == [i for i in all_ids if i > cursor]  # no gaps
    assert [int(e["cursor"]) for e in replayed] == sorted(int(e["cursor"]) for e in replayed)

    # Replay speed: 2,000 timeline rows on one order, replayed to a fresh subscriber.
    order_id = _pk(first[0]["id"])
    async with db.sessions() as s, s.begin():
        now = utcnow()
        s.add_all(
            OrderEvent(
                order_id=order_id,
                store_id=shop.a.id,
                action=OrderAction.ACCEPT_SHIP,
                from_status=OrderStatus.PENDING_ACCEPTANCE,
                to_status=OrderStatus.PENDING_SHIPMENT,
                actor_type=ActorType.STAFF,
                actor_id="bulk",
                payload={},
                created_at=now,
            )
            for _ in range(2000)
        )
    start_cursor = max(all_ids)
    started = time.perf_counter()
    bulk = await hq.subscribe(EVENTS, since=str(start_cursor), types=["ACCEPTED"])
    got = await hq.payloads(bulk, 2000)
    seconds = time.perf_counter() - started
    assert len({p["orderEvents"]["cursor"] for p in got}) == 2000
    print(f"\nreplay of 2,000 events over WebSocket: {seconds:.2f} s ({2000 / seconds:,.0f} events/s)")
    await hq.close()


async def test_redis_stopped_then_back_events_are_delayed_not_lost(
    cluster: Cluster, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed, stock=50)
    watcher = await cluster.ws(cluster.one, Role.STORE_STAFF, store_ids=[shop.a.id])
    sub = await watcher.subscribe(EVENTS)
    await asyncio.sleep(0.3)
    api1, api2 = cluster.api(cluster.one), cluster.api(cluster.two)

    cluster.redis.stop()
    try:
        for server in (cluster.one, cluster.two):
            ready = (await server.http.get("/readyz")).json()
            assert ready["status"] == "degraded"
            assert ready["checks"]["database"]["status"] == "ok"
            assert ready["checks"]["eventBus"]["status"] == "down"
            assert ready["checks"]["cache"]["status"] == "down"
        # Queries and mutations keep working (mutations through process 2, whose notices are lost).
        paid = await place_and_pay(api2, shop)
        r = await api2.as_staff(shop.a.id).execute(ACCEPT, input={"orderId": paid["id"]})
        assert ok(r, "acceptOrder")["status"] == "PENDING_SHIPMENT"
        r = await api1.as_hq().execute("{ orders(first: 5) { totalCount } }")
        assert r.data["orders"]["totalCount"] == 1
        # Without Redis process 1 hears nothing; the events wait in the table. (A mutation made
        # on process 1 itself would make its subscribers re-read the table at once.)
        assert await watcher.nothing_within(sub, 1.0)
    finally:
        await cluster.redis.start()
    # Back: the listener reconnects and every subscriber re-reads the table from its cursor.
    started = time.perf_counter()
    got = [p["orderEvents"] for p in await watcher.payloads(sub, 3, within=20)]
    print(f"\nevents replayed {time.perf_counter() - started:.2f} s after Redis came back")
    assert [e["type"] for e in got] == ["PLACED", "NEW_ORDER", "ACCEPTED"]
    assert all(e["order"]["orderNo"] == paid["orderNo"] for e in got)
    assert await watcher.nothing_within(sub, 0.5)  # once each
    await asyncio.gather(cluster.one.wait_ready(10), cluster.two.wait_ready(10))
    # And live again across processes.
    await place_and_pay(api2, shop)
    assert [p["orderEvents"]["type"] for p in await watcher.payloads(sub, 2)] == ["PLACED", "NEW_ORDER"]
    await watcher.close()


async def test_sweeps_in_every_process_move_each_order_once(
    cluster: Cluster, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed, stock=100)
    shopper = cluster.api(cluster.two).as_shopper(shop.customer_id)
    hq = await cluster.ws(cluster.one, Role.HQ_ADMIN)
    sub = await hq.subscribe(EVENTS, types=["CANCELLED"])
    placed = [ok(await shopper.execute(PLACE, input=shop.order_input()), "placeOrder") for _ in range(12)]
    ids = [_pk(o["id"]) for o in placed]
    async with db.sessions() as s, s.begin():  # their payment window closed a minute ago
        await s.execute(
            update(Order).where(Order.id.in_(ids)).values(payment_deadline=utcnow().replace(year=2020))
        )
    cancelled = await hq.payloads(sub, 12, within=30)  # three sweepers (1 + 2 workers) race for them
    assert sorted(_pk(p["orderEvents"]["order"]["id"]) for p in cancelled) == sorted(ids)
    async with db.sessions() as s:
        per_order = await s.execute(
            select(OrderEvent.order_id, func.count())
            .where(OrderEvent.order_id.in_(ids), OrderEvent.action == OrderAction.PAYMENT_TIMEOUT)
            .group_by(OrderEvent.order_id)
        )
        assert sorted(n for _, n in per_order) == [1] * 12
    assert await hq.nothing_within(sub, 1.0)
    await hq.close()


async def test_metrics_from_every_worker(cluster: Cluster) -> None:
    for _ in range(4):
        await cluster.two.http.post("/graphql", json={"query": "query Cats { categories { name } }"})
    text = (await cluster.two.http.get("/metrics")).text
    counts = [
        line
        for line in text.splitlines()
        if line.startswith("mallgraph_graphql_request_duration_seconds_count") and 'operation="Cats"' in line
    ]
    assert len(counts) == 1, counts
    assert float(counts[0].split()[-1]) >= 4  # summed over both workers
    assert "mallgraph_sql_statements_per_request_bucket" in text
    assert "mallgraph_sweep_runs_total" in text
    assert "mallgraph_active_subscriptions" in text


async def test_sigterm_closes_subscriptions_cleanly(cluster: Cluster, seed: Seed) -> None:
    """Last in the module: process 1 goes away as an orchestrator would stop it."""
    hq = await cluster.ws(cluster.one, Role.HQ_ADMIN)
    await hq.subscribe(EVENTS)
    await asyncio.sleep(0.2)
    started = time.monotonic()
    code = cluster.one.terminate()
    closed: Closed = await hq.wait_closed()
    assert closed.code == 1012  # "service restart": clients reconnect (to another process) with `since`
    # uvicorn finishes in-flight work, runs the lifespan shutdown, then re-raises SIGTERM.
    assert code in (0, -signal.SIGTERM)
    assert time.monotonic() - started < 5  # well inside SHUTDOWN_GRACE_SECONDS: nothing hung
    # The other process keeps serving.
    assert (await cluster.two.http.get("/readyz")).status_code == 200
