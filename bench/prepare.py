"""The benchmark database as production would have it: seeded once, vacuumed and analysed.

Every benchmark runs on the generator's data (seed 7). A table filled by COPY has no visibility
map until autovacuum has been by, which on a live database it long has; without it counts
(`totalCount`, the status tabs) cannot use index-only scans and fall back to sequential scans.
ANALYZE gives the planner the statistics production would have.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.generator import database_is_empty, generate


async def vacuum_analyze(engine: AsyncEngine) -> None:
    """VACUUM ANALYZE (outside a transaction, as PostgreSQL requires); ANALYZE on SQLite."""
    async with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            await conn.execute(text("ANALYZE"))
            await conn.commit()
            return
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE"))


async def seed_and_vacuum(engine: AsyncEngine, orders: int) -> None:
    """Generate `orders` (seed 7) into a migrated, empty database, then `vacuum_analyze` it."""
    if await database_is_empty(engine):
        report = await generate(engine, orders=orders, seed=7)
        print(f"seeded {orders:,} orders in {report.seconds:.0f} s")
    await vacuum_analyze(engine)
