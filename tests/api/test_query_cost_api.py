"""The cost report on real responses, and the limits on operations that bypass the HTTP gate."""

from __future__ import annotations

from bench.document_cache import ADMIN_ORDER_PAGE
from gql.context import Context
from gql.schema import schema
from gql.settings import Environment
from models.enums import Role
from models.principals import Principal
from services.cache import MemoryCache
from tests.api.conftest import Api
from tests.factories import Seed


async def test_the_admin_order_page_runs_within_the_staff_budget_and_reports_its_cost(
    api: Api, seed: Seed
) -> None:
    store = await seed.store("SH001")
    _, skus = await seed.product(prices=(1000, 2500))
    for i in range(3):
        await seed.order(store, await seed.customer(f"1380000{i:04d}"), [(skus[0], 1), (skus[1], 2)])
    r = await api.as_staff(store.id).execute(ADMIN_ORDER_PAGE)
    assert r.errors == []
    assert r.data["orders"]["totalCount"] == 3
    cost = r.body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 3_302
    assert cost["maximumAvailable"] == 10_000
    assert cost["throttleStatus"] == {"currentlyAvailable": 10_000 - 3_302, "restoreRate": 500.0}
    r = await api.as_hq().execute(ADMIN_ORDER_PAGE)
    assert r.body["extensions"]["cost"]["maximumAvailable"] == 10_000
    assert r.errors == []


async def test_operations_outside_the_http_gate_still_get_the_limits(api: Api) -> None:
    """WebSocket subscriptions and in-process callers go through strawberry's own validation step;
    the limit rules are added there, so no path runs an unlimited document."""
    context = Context(
        request=None,
        response=None,
        principal=Principal(Role.SHOPPER, "s", customer_id=1),
        settings=api.settings.model_copy(update={"environment": Environment.PROD}),
        sessions=None,  # type: ignore[arg-type]  # refused before any resolver needs them
        cache=MemoryCache(),
        request_id="r",
        deps=None,  # type: ignore[arg-type]
        analytics_sessions=None,  # type: ignore[arg-type]
        analytics_dialect="sqlite",
    )
    deep = "{ categories { " + "parent { " * 15 + "name" + " }" * 15 + " } }"
    result = await schema.execute(deep, context_value=context)
    assert [e.extensions["code"] for e in result.errors or [] if e.extensions] == ["MAX_DEPTH_EXCEEDED"]
    result = await schema.execute("{ __schema { types { name } } }", context_value=context)
    assert [e.extensions["code"] for e in result.errors or [] if e.extensions] == ["INTROSPECTION_DISABLED"]
