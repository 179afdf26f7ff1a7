"""Row snapshots read like the mapped classes they stand for (services/row_snapshots.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, select

from models.base import Base
from models.orders.rows import Order
from models.stores.rows import Store
from services.row_snapshots import as_snapshots, snapshot_columns, snapshot_type

MAPPERS = sorted(Base.registry.mappers, key=lambda m: m.class_.__name__)


@pytest.mark.parametrize("mapper", MAPPERS, ids=[m.class_.__name__ for m in MAPPERS])
def test_every_entity_snapshot_has_exactly_its_column_attributes(mapper: object) -> None:
    entity = mapper.class_  # type: ignore[attr-defined]
    keys = [attr.key for attr in mapper.column_attrs]  # type: ignore[attr-defined]
    assert [label.name for label in snapshot_columns(entity)] == keys
    assert snapshot_type(entity)._fields == tuple(keys)  # type: ignore[attr-defined]
    # what a JSON column holds is its text, parsed when read; every other column reads as stored
    json_keys = {a.key for a in mapper.column_attrs if isinstance(a.columns[0].type, JSON)}  # type: ignore[attr-defined]
    values = [f'{{"n": {i}}}' if key in json_keys else i for i, key in enumerate(keys)]
    row = snapshot_type(entity)._make(values)  # type: ignore[attr-defined]
    assert [getattr(row, key) for key in keys] == [
        {"n": i} if key in json_keys else i for i, key in enumerate(keys)
    ]


def test_json_columns_are_read_as_text_and_parsed_on_each_read() -> None:
    sql = str(select(*snapshot_columns(Store)).compile())
    assert "CAST(stores.business_hours AS TEXT) AS business_hours" in sql
    empty = [None] * len(snapshot_type(Store)._fields)  # type: ignore[attr-defined]
    row = snapshot_type(Store)._make(empty)  # type: ignore[attr-defined]
    assert row.business_hours is None  # SQL NULL (and JSON null) read as None
    row = row._replace(business_hours='[{"weekday": 1, "open": "08:00", "close": "22:00"}]')
    assert row.business_hours == [{"weekday": 1, "open": "08:00", "close": "22:00"}]
    assert row.business_hours is not row.business_hours  # a new value per read: nothing shared


def test_a_filtered_entity_select_keeps_its_conditions_and_selects_the_snapshot_columns() -> None:
    entity, stmt = as_snapshots(select(Order).where(Order.store_id == 7).order_by(Order.id).limit(3))
    assert entity is Order
    sql = str(stmt.compile())
    assert "orders.store_id = " in sql
    assert "ORDER BY orders.id" in sql
    assert "LIMIT" in sql
    assert [c.name for c in stmt.selected_columns] == [a.key for a in Order.__mapper__.column_attrs]
