"""The one migration creates exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import models
from models.base import include_in_comparison
from services.db import create_engine
from services.migrations import alembic_config, downgrade, upgrade
from tests.conftest import Database


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_in_comparison}
    )
    return list(compare_metadata(context, models.Base.metadata))


async def test_migrated_schema_matches_the_models(db: Database) -> None:
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_indexes_the_order_filters_need(db: Database) -> None:
    def index_columns(connection: Connection) -> set[tuple[str, ...]]:
        return {tuple(str(c) for c in ix["column_names"]) for ix in inspect(connection).get_indexes("orders")}

    async with db.engine.connect() as conn:
        found = await conn.run_sync(index_columns)
    for wanted in [
        ("status", "store_id", "created_at"),
        ("paid_at",),
        ("consignee_phone",),
        ("consignee_phone_last4",),
        ("customer_id", "created_at"),
    ]:
        assert wanted in found, wanted


async def test_downgrade_to_nothing_and_back(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await asyncio.to_thread(upgrade, url)
    await asyncio.to_thread(downgrade, url, "base")
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert tables == ["alembic_version"]
        await asyncio.to_thread(upgrade, url)
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert set(models.Base.metadata.tables) <= set(tables)
    finally:
        await engine.dispose()


async def test_order_number_prefix_search_has_its_index_on_postgresql(db: Database) -> None:
    def index_names(connection: Connection) -> set[str]:
        return {str(ix["name"]) for ix in inspect(connection).get_indexes("orders")}

    async with db.engine.connect() as conn:
        names = await conn.run_sync(index_names)
    assert ("ix_orders_order_no_pattern" in names) == (db.dialect == "postgresql")


def test_the_history_has_one_head() -> None:
    """Branches written side by side are merged, so a new migration has exactly one parent."""
    assert ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://")).get_heads() == ["0040"]


async def test_coupons_migration_keeps_invite_coupons(tmp_path: Path) -> None:
    """0019 turns the 邀请有礼 coupons into 活动券 (AVAILABLE → UNUSED, code INV<id>) and back."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    await asyncio.to_thread(upgrade, url, "0013")
    engine = create_engine(url)
    rows = (
        "INSERT INTO customers (id, nickname, member_level, invite_code, points, registered_at)"
        " VALUES (1, 'a', 'NORMAL', 'INV1', 0, '2026-11-01 00:00:00.000000');"
        "INSERT INTO customer_coupons"
        " (id, customer_id, amount, min_spend, title, status, issued_at, expires_at)"
        " VALUES (7, 1, 500, 0, '邀请有礼优惠券', 'AVAILABLE', '2026-11-01 00:00:00.000000',"
        " '2026-12-01 00:00:00.000000')"
    )
    try:
        async with engine.begin() as conn:
            for statement in rows.split(";"):
                await conn.exec_driver_sql(statement)
        await asyncio.to_thread(upgrade, url)
        async with engine.connect() as conn:
            got = (
                await conn.exec_driver_sql("SELECT code, type, status, amount FROM customer_coupons")
            ).all()
        assert [tuple(r) for r in got] == [("INV7", "CAMPAIGN", "UNUSED", 500)]
        await asyncio.to_thread(downgrade, url, "0013")
        async with engine.connect() as conn:
            got = (await conn.exec_driver_sql("SELECT id, status FROM customer_coupons")).all()
        assert [tuple(r) for r in got] == [(7, "AVAILABLE")]
    finally:
        await engine.dispose()
