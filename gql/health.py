"""`/readyz`: the state of each dependency, for load balancers and orchestrators.

The database is required (503 without it). Redis — the cache and the event bus — is not: without
it the process still serves every request (cache misses, live events caught up from the order
timeline), so it reports `degraded` and stays in the load balancer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from gql.app import Resources

log = logging.getLogger("mallgraph.health")


async def readiness(r: Resources) -> Response:
    """`ok`, `degraded` (something optional is down) or `unavailable` (no database), with details."""
    checks: dict[str, Any] = {}
    try:
        async with r.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = {"status": "ok", "dialect": r.engine.dialect.name}
    except Exception as exc:
        log.warning("readiness: database unreachable: %s", exc)
        checks["database"] = {"status": "down", "dialect": r.engine.dialect.name}
    if r.analytics_engine is not None:
        try:
            async with r.analytics_engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["analyticsDatabase"] = {"status": "ok"}
        except Exception as exc:
            log.warning("readiness: analytics database unreachable: %s", exc)
            checks["analyticsDatabase"] = {"status": "down"}
    checks["cache"] = {"backend": r.cache.name, "status": "ok" if await r.cache.ping() else "down"}
    checks["eventBus"] = {
        "backend": r.bus.name,
        "status": "ok" if await r.bus.ping() else "down",
        "subscribers": r.bus.subscriber_count,
    }
    if checks["database"]["status"] != "ok":
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    degraded = any(c["status"] != "ok" for name, c in checks.items() if name != "database")
    return JSONResponse({"status": "degraded" if degraded else "ok", "checks": checks})
