"""`/readyz`: the state of each dependency, for load balancers and orchestrators, within a second.

The database is required: without it the answer is 503 `unavailable`. Its check tells two
failures apart, because a balancer and an operator should react differently:

* `down` — no connection could be had at all (the database or the network is gone);
* `saturated` — every pooled connection is checked out and none came free within the probe's
  wait, yet a direct connection works: the database is up and this process is overloaded.

Both are 503 (a balancer should send this process nothing new for now), with `reason` saying
which. Redis — the cache and the event bus — is not required: without it the process still serves
every request (cache misses, live events caught up from the order timeline), so it reports
`degraded` and stays in the load balancer. Every check has its own short bound and they run
concurrently, so the answer comes within `ANSWER_WITHIN` whatever hangs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from gql.app import Resources

log = logging.getLogger("mallgraph.health")

ANSWER_WITHIN: Final = 1.0
"""The longest `/readyz` takes to answer, in seconds."""
POOL_PROBE_SECONDS: Final = 0.5
"""How long the database check waits for a pooled connection and `SELECT 1`."""
DIRECT_PROBE_SECONDS: Final = 0.3
"""How long the check of a saturated pool waits for a connection of its own, outside the pool."""
OPTIONAL_CHECK_SECONDS: Final = 0.8
"""Bound of each Redis check (each is already bounded by its socket timeout and circuit breaker)."""


async def readiness(r: Resources) -> Response:
    """`ok`, `degraded` (something optional is down) or `unavailable` (no database), with details."""
    database, analytics, cache_ok, bus_ok = await asyncio.gather(
        database_status(r.engine),
        database_status(r.analytics_engine) if r.analytics_engine is not None else _none(),
        _bounded(r.cache.ping()),
        _bounded(r.bus.ping()),
    )
    checks: dict[str, Any] = {"database": database}
    if analytics is not None:
        analytics.pop("dialect", None)
        checks["analyticsDatabase"] = analytics
    checks["cache"] = {"backend": r.cache.name, "status": "ok" if cache_ok else "down"}
    checks["eventBus"] = {
        "backend": r.bus.name,
        "status": "ok" if bus_ok else "down",
        "subscribers": r.bus.subscriber_count,
    }
    if database["status"] != "ok":
        reason = f"database {database['status']}"
        return JSONResponse({"status": "unavailable", "reason": reason, "checks": checks}, status_code=503)
    degraded = any(c["status"] != "ok" for name, c in checks.items() if name != "database")
    return JSONResponse({"status": "degraded" if degraded else "ok", "checks": checks})


async def database_status(engine: AsyncEngine) -> dict[str, Any]:
    """`{"status": "ok" | "saturated" | "down", "dialect": …}` within POOL_PROBE + DIRECT_PROBE seconds."""
    dialect = engine.dialect.name
    try:
        async with asyncio.timeout(POOL_PROBE_SECONDS), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return {"status": "ok", "dialect": dialect}
    except Exception as exc:
        failure: Exception = exc
    pool = engine.pool
    if isinstance(pool, QueuePool):
        capacity = pool.size() + max(0, getattr(pool, "_max_overflow", 0))
        checked_out = pool.checkedout()
        if checked_out >= capacity and await _connects_directly(engine):
            log.warning("readiness: database pool saturated (%d of %d checked out)", checked_out, capacity)
            return {
                "status": "saturated",
                "dialect": dialect,
                "pool": {"size": capacity, "checkedOut": checked_out},
            }
    log.warning("readiness: database unreachable: %r", failure)
    return {"status": "down", "dialect": dialect}


async def _connects_directly(engine: AsyncEngine) -> bool:
    """Whether a connection of our own, outside the pool, answers `SELECT 1` in time."""
    if engine.dialect.name != "postgresql":
        return False  # SQLite is a file: a full pool of it is still a pool problem, not a server one
    import asyncpg  # type: ignore[import-untyped]  # only here: the app talks to it through SQLAlchemy

    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = None
    try:
        async with asyncio.timeout(DIRECT_PROBE_SECONDS):
            conn = await asyncpg.connect(dsn)
            await conn.fetchval("SELECT 1")
            await conn.close()
    except Exception:
        return False
    finally:
        if conn is not None and not conn.is_closed():
            conn.terminate()
    return True


async def _bounded(check: Awaitable[bool]) -> bool:
    try:
        async with asyncio.timeout(OPTIONAL_CHECK_SECONDS):
            return await check
    except Exception:
        return False


async def _none() -> None:
    return None
