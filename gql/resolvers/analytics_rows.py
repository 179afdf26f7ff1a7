"""An aggregate's answer as its GraphQL result, built once and cheaply.

Rows of up to 1,000 groups repeat a few keys (a hundred stores, thirty days, four channels), so
each distinct key becomes one `AggregateKey`, shared by every row that holds it. The entities the
document expands (`keys { store { … } }`, looked up through fragments with `selected_paths`) are
loaded before the rows are built, one loader batch per entity type (the narrowed loaders for
stores, products and SKUs: only the columns the document reads), and set on the keys: the walk
then reads them as plain fields, with no resolver, future or extra level per key. Value objects
are made by one converter per measure, the kind of number decided once per column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeVar

from gql.context import Info
from gql.engine import RowFields, narrowed_loader, selected_paths
from gql.ids import encode_id
from gql.schema.analytics import AggregateKey, AggregateSource
from gql.schema.campaigns import Campaign
from gql.schema.catalog import PRODUCT_FIELDS, SKU_FIELDS, Category
from gql.schema.coupons import CouponTemplate
from gql.schema.stores import STORE_FIELDS
from services.analytics.dimensions import ENTITIES, Key
from services.analytics.queries import Answer, Measured, Number

_Aggregate = TypeVar("_Aggregate")

_FIELDS: Final[Mapping[str, str]] = {
    "Store": "store",
    "Campaign": "campaign",
    "Product": "product",
    "Sku": "sku",
    "CouponTemplate": "coupon_template",
    "Category": "category",
}
"""Entity type → the `AggregateKey` field expanding it (Python name; the loader has the same name)."""
_GRAPHQL_FIELDS: Final[Mapping[str, str]] = {"coupon_template": "couponTemplate"}
_NARROWED: Final[Mapping[str, RowFields[Any]]] = {
    "store": STORE_FIELDS,
    "product": PRODUCT_FIELDS,
    "sku": SKU_FIELDS,
}
_CONVERT: Final[Mapping[str, Callable[[Any], Any]]] = {
    "campaign": Campaign.from_row,
    "coupon_template": CouponTemplate.from_row,
    "category": Category.from_row,
}


async def shaped(
    info: Info,
    found: Answer,
    aggregate: Callable[..., _Aggregate],
    row: Callable[..., object],
    column: Callable[[Measured], Callable[[Number], object]],
) -> _Aggregate:
    """`found` as the fact's typed result: its groups as `row`s, each measure's numbers through
    `column(measure)`, its entity keys expanded as the document asks."""
    expanded = await _entities(info, found)
    keys: dict[int, AggregateKey] = {}

    def key_of(key: Key) -> AggregateKey:
        made = keys.get(id(key))  # the answer shares one Key per distinct key, alive throughout
        if made is None:
            made = keys[id(key)] = _key(key, expanded)
        return made

    columns = [column(m) for m in found.measures]
    return aggregate(
        source=AggregateSource[found.source.value],
        rows=[
            row(
                keys=[key_of(k) for k in g.keys],
                values=[c(v) for c, v in zip(columns, g.values, strict=True)],
            )
            for g in found.rows
        ],
        totals=[c(v) for c, v in zip(columns, found.totals, strict=True)],
        group_count=found.group_count,
    )


def _key(key: Key, expanded: Mapping[str, Mapping[int, Any]]) -> AggregateKey:
    entity = ENTITIES.get(key.dimension)
    if entity is None or key.entity_id is None:
        return AggregateKey(dimension=key.dimension, value=key.value, label=key.label)
    field = _FIELDS[entity]
    objects = expanded.get(field)
    extra = {} if objects is None else {field: objects.get(key.entity_id)}
    return AggregateKey(
        dimension=key.dimension, value=encode_id(entity, key.entity_id), label=key.label, **extra
    )


async def _entities(info: Info, found: Answer) -> dict[str, dict[int, Any]]:
    """Per expansion field the document selects, the objects of the answer's entity ids."""
    positions = [i for i, k in enumerate(found.rows[0].keys) if k.dimension in ENTITIES] if found.rows else []
    if not positions:
        return {}
    paths = selected_paths(info)
    wanted: dict[str, set[int]] = {}
    for i in positions:
        field = _FIELDS[ENTITIES[found.rows[0].keys[i].dimension]]
        if ("rows", "keys", _GRAPHQL_FIELDS.get(field, field)) in paths:
            wanted.setdefault(field, set()).update(_ids(g.keys[i] for g in found.rows))
    expanded: dict[str, dict[int, Any]] = {}
    for field, ids in wanted.items():
        narrowed = _NARROWED.get(field)
        if narrowed is not None:
            rows = await narrowed_loader(info, field, narrowed).fill(sorted(ids))
            expanded[field] = {i: None if r is None else narrowed(r) for i, r in rows.items()}
        else:
            rows = await getattr(info.context.loaders, field).fill(sorted(ids))
            convert = _CONVERT[field]
            expanded[field] = {i: None if r is None else convert(r) for i, r in rows.items()}
    return expanded


def _ids(keys: Iterable[Key]) -> set[int]:
    return {k.entity_id for k in keys if k.entity_id is not None}
