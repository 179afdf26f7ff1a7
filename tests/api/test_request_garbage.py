"""A query leaves nothing for the cyclic garbage collector (gql/engine/execution.py, gql/engine/heap.py).

graphql-core's executor holds bound methods of itself, and through it the request's context, its
loaders and every row they loaded: ~800 objects a 50-order page that only the collector could
free, walked again by each young-generation pass. The level-first executor cuts that cycle once
the operation has run, so a request's objects are freed by reference counting when the response
is sent. Measured with the collector saving what it finds instead of freeing it.
"""

from __future__ import annotations

import gc
from collections import Counter

from tests.api.conftest import Api
from tests.api.order_flow import seed_order_page
from tests.factories import Seed

ORDER_LIST = """{ orders(first: 20) { totalCount edges { node {
  orderNo status store { name } customer { nickname } lines { quantity sku { skuCode product { name } } }
} } } }"""

# Per-request objects that must never wait for the collector.
REQUEST_TYPES = {"Context", "Loaders", "RowLoader", "LevelFirstExecutor", "LazyInfo"}
OURS = {"gql", "loaders", "services", "models", "adapters"}


async def test_an_order_list_request_leaves_no_cyclic_garbage(api: Api, seed: Seed) -> None:
    await seed_order_page(seed, 12)
    hq = api.as_hq()
    assert (await hq.execute(ORDER_LIST)).errors == []  # warm: plans, fills, compiled statements
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        r = await hq.execute(ORDER_LIST)
        gc.collect()
        # ours only: asyncio's contextvars.Context of another app's background task is not the request's
        left = Counter(type(o).__name__ for o in gc.garbage if type(o).__module__.split(".")[0] in OURS)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert r.errors == []
    assert len(r.data["orders"]["edges"]) == 12
    assert not {name: n for name, n in left.items() if name in REQUEST_TYPES or name.endswith("Snapshot")}


def test_the_served_process_collects_its_young_generation_less_often() -> None:
    from gql.engine import YOUNG_THRESHOLD, freeze_startup_heap

    before = gc.get_threshold()
    try:
        freeze_startup_heap()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
