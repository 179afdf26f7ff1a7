"""The planned input conversion builds exactly what strawberry's `convert_argument` builds
(gql/input_conversion.py), on random order filters as graphql-core hands them over."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import strawberry
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryOptional, get_object_definition
from strawberry.types.unset import UNSET

from gql import input_conversion
from gql.schema import schema
from gql.schema.order_search import CentsRange, DateTimeRange, OrderFilter, RegionFilter
from models.after_sales.states import AfterSaleStatus
from models.enums import Fulfillment, OrderChannel, OrderType, PaymentMethod
from models.orders.states import OrderStatus

REGISTRY = schema.schema_converter.scalar_registry
CONFIG = schema.config
PLANNED = (OrderFilter, RegionFilter, DateTimeRange, CentsRange)


@contextmanager
def strawberrys_own() -> Iterator[None]:
    """strawberry's conversion, as it runs without a planned `from_input`."""
    definitions = [get_object_definition(cls, strict=True) for cls in PLANNED]
    saved = [d.from_input for d in definitions]
    for definition in definitions:
        definition.from_input = None
    try:
        yield
    finally:
        for definition, build in zip(definitions, saved, strict=True):
            definition.from_input = build


def _some(rng: random.Random, members: list[Any]) -> list[Any] | None:
    roll = rng.random()
    if roll < 0.1:
        return None
    if roll < 0.2:
        return []
    return rng.sample(members, rng.randint(1, min(3, len(members))))


def _filter(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    """A filter value as graphql-core coerces it: GraphQL names, enum members, datetimes, nulls."""
    moment = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 500))
    candidates: dict[str, Any] = {
        "status": lambda: _some(rng, list(OrderStatus)),
        "storeIds": lambda: _some(rng, ["U3RvcmU6MQ==", "U3RvcmU6Mg=="]),
        "storeCodes": lambda: _some(rng, ["SH001", "HZ001", "BJ002"]),
        "region": lambda: (
            None if rng.random() < 0.2 else {"province": "浙江省", "city": rng.choice([None, "杭州市"])}
        ),
        "orderNo": lambda: rng.choice([None, "2026112300000001"]),
        "orderNoPrefix": lambda: "202611",
        "phone": lambda: "1234",
        "consigneeName": lambda: "张三",
        "product": lambda: rng.choice([None, "车厘子"]),
        "sku": lambda: "SKU-1",
        "text": lambda: "hello",
        "createdAt": lambda: {"from": moment, "to": rng.choice([None, moment + timedelta(days=1)])},
        "paidAt": lambda: rng.choice([None, {"to": moment}, {}]),
        "payableAmount": lambda: {"min": rng.choice([None, 100]), "max": 5000},
        "paymentMethod": lambda: _some(rng, list(PaymentMethod)),
        "type": lambda: _some(rng, list(OrderType)),
        "fulfillment": lambda: _some(rng, list(Fulfillment)),
        "channel": lambda: _some(rng, list(OrderChannel)),
        "campaignIds": lambda: _some(rng, ["Q2FtcGFpZ246MQ=="]),
        "afterSaleStatus": lambda: _some(rng, list(AfterSaleStatus)),
    }
    if depth < 2:
        candidates["and"] = lambda: [_filter(rng, depth + 1) for _ in range(rng.randint(0, 2))]
        candidates["or"] = lambda: rng.choice([None, [_filter(rng, depth + 1), None]])
        candidates["not"] = lambda: rng.choice([None, _filter(rng, depth + 1)])
    chosen = rng.sample(sorted(candidates), rng.randint(0, 6))
    return {name: candidates[name]() for name in chosen}


def _convert(value: Any) -> Any:
    return convert_argument(value, StrawberryOptional(OrderFilter), REGISTRY, CONFIG)


@pytest.mark.parametrize("seed", range(40))
def test_random_filters_convert_as_strawberry_converts_them(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(10):
        value = _filter(rng)
        planned = _convert(value)
        with strawberrys_own():
            expected = _convert(value)
        assert planned == expected, value
        assert type(planned) is OrderFilter
        if value.get("status"):
            assert planned.status == value["status"]
            assert planned.status is not value["status"]  # a copy


def test_null_unset_and_empty_values() -> None:
    for value in (None, UNSET, {}, {"status": None, "region": None, "and": None}):
        planned = _convert(value)
        with strawberrys_own():
            assert planned == _convert(value)
    assert _convert({"region": {}}) == OrderFilter(region=RegionFilter())


def test_a_type_it_cannot_plan_keeps_strawberrys_conversion() -> None:
    @strawberry.input
    class WithMaybe:
        note: strawberry.Maybe[str]

    with pytest.raises(input_conversion.UnsupportedInput):
        input_conversion.install(schema, [WithMaybe])
    assert get_object_definition(WithMaybe, strict=True).from_input is None
