"""Lists the database renders as JSON (gql/engine/rendered.py): the walk's very JSON.

Each document runs twice on PostgreSQL: level first, where the list's page statement renders what
it can, and by graphql-core's executor, which loads every relation. The answers must serialise to
the same text (same values, same key order) for every viewer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

import gql.resolvers.order_prefetch
from adapters.strawberry import ExecutorBase
from gql.engine import LevelFirstExecutor, rendered_objects, rendered_relations
from models.enums import Role
from models.orders.rows import OrderEvent
from services.db import count_statements
from tests.api.conftest import Api
from tests.api.order_flow import seed_order_page
from tests.factories import Seed

pytestmark = pytest.mark.postgres_only

NODE = """orderNo
  store { name code } customer { nickname }
  lines { quantity productName sku { __typename skuCode product { name } } }
  parcels { carrier trackingNo }
  events { action fromStatus toStatus actorType createdAt }"""

DOCUMENTS = {
    "plain": f"{{ orders(first: 20) {{ edges {{ node {{ {NODE} }} }} }} }}",
    "fragment": f"{{ orders(first: 20) {{ edges {{ node {{ ...O }} }} }} }} fragment O on Order {{ {NODE} }}",
    "inline": "{ orders(first: 20) { edges { node { ... on Node { id } "
    f"... on Order {{ {NODE} }} }} }} }} }}",
    "aliases": """{ orders(first: 20) { edges { n: node { s: store { n: name } c: customer { nickname }
        l: lines { q: quantity k: sku { c: skuCode p: product { n: name } } } } } } }""",
}


async def _both(monkeypatch: pytest.MonkeyPatch, viewer: Api, document: str) -> tuple[str, str, int]:
    """Level first (its statement count too), then graphql-core's executor: both answers as text."""
    with count_statements() as counter:
        rendered = await viewer.execute(document)
    assert rendered.errors == []
    with monkeypatch.context() as patched:
        patched.setattr(LevelFirstExecutor, "execute_operation", ExecutorBase.execute_operation)
        walked = await viewer.execute(document)
    assert walked.errors == []
    return (
        json.dumps(rendered.data, ensure_ascii=False),
        json.dumps(walked.data, ensure_ascii=False),
        counter.count,
    )


def _viewers(api: Api, store_id: int) -> list[Api]:
    return [api.as_hq(), api.as_staff(store_id), api.as_role(Role.ANALYST)]


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """How each list read its orders: "whole" (rendered whole), or the relation fields rendered."""
    seen: list[str] = []
    whole: Callable[..., Any] = rendered_objects
    relations: Callable[..., Any] = rendered_relations

    def objects_spy(*args: Any) -> Any:
        found = whole(*args)
        if found is not None:
            seen.append("whole")
        return found

    def relations_spy(*args: Any) -> Any:
        found = relations(*args)
        seen.append(" ".join(sorted(r.node.name.value for r in found)))
        return found

    monkeypatch.setattr(gql.resolvers.order_prefetch, "rendered_objects", objects_spy)
    monkeypatch.setattr(gql.resolvers.order_prefetch, "rendered_relations", relations_spy)
    return seen


@pytest.mark.parametrize("shape", sorted(DOCUMENTS))
async def test_rendered_lists_answer_as_the_walk_does(
    api: Api, seed: Seed, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    """Orders rendered whole, or (the global `id` has no rendering) their relations."""
    store_id = await seed_order_page(seed, 12)
    seen = _spy(monkeypatch)
    for viewer in _viewers(api, store_id):
        seen.clear()
        rendered, walked, statements = await _both(monkeypatch, viewer, DOCUMENTS[shape])
        assert rendered == walked
        assert statements == 1  # the page and every relation below its orders
        assert seen[0] == ("customer events lines parcels store" if shape == "inline" else "whole")


async def test_times_render_as_isoformat_with_and_without_microseconds(
    api: Api, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_id = await seed_order_page(seed, 4)
    document = DOCUMENTS["plain"]
    async with seed.sessions() as s, s.begin():
        # whole seconds (no fraction in isoformat), and a fraction with trailing zeros
        even, odd = OrderEvent.id % 2 == 0, OrderEvent.id % 2 == 1
        await s.execute(update(OrderEvent).where(even).values(created_at=_at("10:00:00")))
        await s.execute(update(OrderEvent).where(odd).values(created_at=_at("10:00:00.120000")))
    rendered, walked, _ = await _both(monkeypatch, api.as_staff(store_id), document)
    assert rendered == walked
    assert '"createdAt": "2026-11-02T10:00:00+00:00"' in rendered
    assert '"createdAt": "2026-11-02T10:00:00.120000+00:00"' in rendered


def _at(clock: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(f"2026-11-02T{clock}+00:00")


async def test_what_cannot_be_rendered_is_loaded(
    api: Api, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directive, a loader two fields read, a resolver, a masked field, the global id: the orders
    are not rendered whole, the relations that can be still are, and the answers stay the same."""
    await seed_order_page(seed, 6)
    seen = _spy(monkeypatch)
    documents = {
        "directive": ("store { name @include(if: true) } customer { nickname }", "customer"),
        "shared loader": (
            "lines { product { name } sku { product { name } } } customer { nickname }",
            "customer",
        ),
        "resolver": ("orderNo lines { quantity } events { createdAt } pickupCode", "events lines"),
        "masked": ("customer { nickname phone } store { name }", "store"),
        "global id": ("id lines { quantity paidAmount { cents amount currency __typename } }", "lines"),
        "money": ("payableAmount { amount } lines { paidAmount { amount } } __typename", "whole"),
    }
    for what, (node, expected) in documents.items():
        seen.clear()
        document = f"{{ orders(first: 6) {{ edges {{ node {{ {node} }} }} }} }}"
        rendered, walked, _ = await _both(monkeypatch, api.as_hq(), document)
        assert rendered == walked, what
        assert seen[0] == expected, what
