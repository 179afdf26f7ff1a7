"""A view over a row snapshot answers every field as the eager `from_row` object does (gql/engine).

The generator fills the database (both dialects), then for every `RowFields` in the schema the
first rows of its entity are read twice — as snapshots, the way loaders and pages read them,
and as mapped instances, the way mutations hold them — and each field of the view is compared
with the eagerly built object of the mapped instance and of the snapshot.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select

import gql.schema  # noqa: F401  (defines every type, so every RowFields exists)
from bench.generator import generate
from gql.engine.row_views import EVERY_ROW_FIELDS, RowFields
from gql.schema.after_sales import AfterSale
from gql.schema.catalog import Product, Sku
from gql.schema.customers import Customer
from gql.schema.order_lines import OrderLine
from gql.schema.order_records import OrderEvent, Parcel
from gql.schema.orders import Order
from gql.schema.stores import Store
from models.after_sales.rows import AfterSale as AfterSaleRow
from models.catalog.rows import Product as ProductRow
from models.catalog.rows import Sku as SkuRow
from models.customers.rows import Customer as CustomerRow
from models.orders.rows import Order as OrderRow
from models.orders.rows import OrderEvent as OrderEventRow
from models.orders.rows import OrderLine as OrderLineRow
from models.orders.rows import Parcel as ParcelRow
from models.stores.rows import Store as StoreRow
from services.row_snapshots import read_snapshots, snapshot_columns
from tests.conftest import Database

ENTITY_OF: dict[type[Any], type[Any]] = {
    Store: StoreRow,
    Customer: CustomerRow,
    Order: OrderRow,
    OrderLine: OrderLineRow,
    Sku: SkuRow,
    Product: ProductRow,
    Parcel: ParcelRow,
    OrderEvent: OrderEventRow,
    AfterSale: AfterSaleRow,
}
ROWS = 25


def test_every_row_fields_is_compared_here() -> None:
    assert {fields.cls for fields in EVERY_ROW_FIELDS} == set(ENTITY_OF)


async def test_views_answer_every_field_as_the_eager_objects(db: Database) -> None:
    await generate(db.engine, orders=40, seed=3, now=datetime(2026, 11, 23, 8, tzinfo=UTC), progress=False)
    for fields in EVERY_ROW_FIELDS:
        entity = ENTITY_OF[fields.cls]
        order = inspect(entity).primary_key
        snapshots = await read_snapshots(
            db.sessions, entity, select(*snapshot_columns(entity)).order_by(*order).limit(ROWS)
        )
        async with db.sessions() as session:
            instances = list((await session.scalars(select(entity).order_by(*order).limit(ROWS))).all())
        assert len(snapshots) == len(instances) > 0, entity.__name__
        for snapshot, instance in zip(snapshots, instances, strict=True):
            _assert_same_fields(fields, snapshot, instance)


def _assert_same_fields(fields: RowFields[Any], snapshot: Any, instance: Any) -> None:
    view = fields(snapshot)
    assert type(view) is fields.view_class
    assert isinstance(view, fields.cls)
    from_snapshot, from_instance = fields.eager(snapshot), fields.eager(instance)
    assert type(from_instance) is fields.cls
    for field in dataclasses.fields(fields.cls):
        if not field.init:
            continue  # the class's own (relay's `_id`), the same object for views and eager objects
        seen = getattr(view, field.name)
        assert seen == getattr(from_snapshot, field.name), (fields.cls.__name__, field.name)
        if seen is snapshot:  # Product._row: the row itself
            assert getattr(from_instance, field.name) is instance
        else:
            assert seen == getattr(from_instance, field.name), (fields.cls.__name__, field.name)
