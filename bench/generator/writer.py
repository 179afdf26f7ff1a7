"""Bulk writes: asyncpg COPY on PostgreSQL, batched executemany on SQLite.

Rows arrive as tuples in `tables.COLUMNS` order with JSON already as text and enums as their
values, which is what COPY wants; the SQLite path turns them into dicts and decodes the JSON so
that SQLAlchemy's column types (UtcDateTime, JSON) bind them as the application would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import JSON, Integer, String, bindparam, insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.generator.common import Batch, Row
from bench.generator.tables import COLUMNS, WRITE_ORDER, table
from models.base import Base

SQLITE_BATCH = 5_000
CUSTOMER_FACTS = ("id", "first_paid_at", "last_order_at", "points", "member_level")


class Writer:
    def __init__(self, conn: AsyncConnection, on_step: Callable[[str, int], None]) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.on_step = on_step
        self.counts: dict[str, int] = {}
        self._json: dict[str, list[int]] = {
            name: [i for i, col in enumerate(cols) if isinstance(table(name).c[col].type, JSON)]
            for name, cols in COLUMNS.items()
        }

    async def _raw(self) -> Any:
        """The asyncpg connection under SQLAlchemy's, inside the same transaction."""
        fairy = await self.conn.get_raw_connection()
        return fairy.driver_connection

    async def write(self, batch: Batch) -> None:
        for name in WRITE_ORDER:
            rows = batch.rows.get(name)
            if rows:
                await self._write(name, rows)

    async def _write(self, name: str, rows: list[Row]) -> None:
        columns = COLUMNS[name]
        if self.postgres:
            raw = await self._raw()
            await raw.copy_records_to_table(name, records=rows, columns=list(columns))
        else:
            json_at = self._json[name]
            for start in range(0, len(rows), SQLITE_BATCH):
                chunk = rows[start : start + SQLITE_BATCH]
                params = [dict(zip(columns, _decoded(row, json_at), strict=True)) for row in chunk]
                await self.conn.execute(insert(table(name)), params)
        self.counts[name] = self.counts.get(name, 0) + len(rows)
        self.on_step(name, len(rows))

    async def update_customers(self, facts: list[Row]) -> None:
        """first_paid_at, last_order_at, points and level are known only after every order."""
        if not facts:
            return
        if self.postgres:
            await self.conn.execute(
                text(
                    "CREATE TEMPORARY TABLE gen_customer_facts (id bigint PRIMARY KEY,"
                    " first_paid_at timestamptz, last_order_at timestamptz, points integer,"
                    " member_level varchar(32)) ON COMMIT DROP"
                )
            )
            raw = await self._raw()
            await raw.copy_records_to_table("gen_customer_facts", records=facts, columns=list(CUSTOMER_FACTS))
            await self.conn.execute(
                text(
                    "UPDATE customers AS c SET first_paid_at = f.first_paid_at,"
                    " last_order_at = f.last_order_at, points = f.points, member_level = f.member_level"
                    " FROM gen_customer_facts AS f WHERE c.id = f.id"
                )
            )
        else:
            customers = table("customers")
            stmt = (
                update(customers)
                .where(customers.c.id == bindparam("b_id", type_=Integer()))
                .values(
                    first_paid_at=bindparam("b_first_paid_at", type_=customers.c.first_paid_at.type),
                    last_order_at=bindparam("b_last_order_at", type_=customers.c.last_order_at.type),
                    points=bindparam("b_points", type_=Integer()),
                    member_level=bindparam("b_member_level", type_=String()),
                )
            )
            for start in range(0, len(facts), SQLITE_BATCH):
                params = [
                    {f"b_{k}": v for k, v in zip(CUSTOMER_FACTS, row, strict=True)}
                    for row in facts[start : start + SQLITE_BATCH]
                ]
                await self.conn.execute(stmt, params)
        self.on_step("customers (updated)", len(facts))

    async def reset_sequences(self) -> None:
        """Keys were assigned here, so PostgreSQL's sequences must be moved past them."""
        if not self.postgres:
            return
        for t in Base.metadata.sorted_tables:
            if "id" in t.c and t.c.id.primary_key and t.c.id.autoincrement:
                await self.conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                        f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {t.name}"
                    )
                )


def _decoded(row: Row, json_at: list[int]) -> Row:
    if not json_at:
        return row
    values = list(row)
    for i in json_at:
        if values[i] is not None:
            values[i] = orjson.loads(values[i])
    return tuple(values)
