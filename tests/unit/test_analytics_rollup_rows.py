"""Which day rows a ROLLUP aggregate reads: every store's when grouped by STORE, else the all-stores
row of each day (services/analytics/rollup_source.py; the API tests compare both with raw rows)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from models.metrics.rollups import ALL_STORES
from services.analytics.dimensions import Dimension
from services.analytics.measures import OrderMeasure
from services.analytics.rollup_source import rollup_facts

WHOLE_DAYS = (datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 7, 16, tzinfo=UTC))


@pytest.mark.parametrize(
    ("group_by", "all_stores"),
    [((Dimension.DAY,), True), ((), True), ((Dimension.STORE, Dimension.DAY), False)],
)
def test_only_store_groupings_read_every_stores_day_rows(
    group_by: tuple[Dimension, ...], all_stores: bool
) -> None:
    facts = rollup_facts(
        "PAID_AT",
        group_by,
        [OrderMeasure.PAID_AMOUNT_SUM],
        WHOLE_DAYS,
        zone=ZoneInfo("Asia/Shanghai"),
        dialect="postgresql",
        ready=frozenset({"orders"}),
    )
    assert facts is not None
    sql = str(facts.compile(compile_kwargs={"literal_binds": True}))
    assert "metrics_order_days" in sql
    assert "metrics_order_hours" not in sql  # whole days only
    assert (f"store_id = {ALL_STORES}" in sql) == all_stores
    assert (f"store_id != {ALL_STORES}" in sql) == (not all_stores)
