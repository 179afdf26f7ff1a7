"""The indexed text search selects exactly the orders the scanning one does (services/orders/text_search.py).

Random filters of text terms — consignee, product, SKU, order-number prefix and bare words of one to
four characters mixing Chinese, Latin of both cases, digits, LIKE's own wildcards, quotes and
backslashes (the indexed terms are written into the SQL as literals) — under AND, OR and NOT, over a
shop whose names are drawn from the same characters, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from models.orders import filters as f
from models.orders.rows import Order, OrderLine, OrderLineName
from services.db import unit_of_work
from services.orders import text_search
from services.orders.search import compile_filter
from tests.conftest import Database
from tests.factories import Seed

ALPHABET = "王张李三丰车厘子苹果aAbBkK1234%_/'\\ "
TEXT_FIELDS = [
    f.TextField.CONSIGNEE,
    f.TextField.PRODUCT,
    f.TextField.SKU,
    f.TextField.ANY,
    f.TextField.ORDER_NO_PREFIX,
]


def _word(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(ALPHABET.strip()) for _ in range(rng.randint(low, high)))


async def _shop(seed: Seed) -> None:
    rng = random.Random(7)
    store = await seed.store()
    skus = []
    for _ in range(4):
        _, made = await seed.product(prices=(500, 900))
        skus.extend(made)
    customers = [await seed.customer(phone=f"1390000{n:04d}") for n in (1234, 5678, 1111)]
    for n in range(60):
        lines = [(rng.choice(skus), 1) for _ in range(rng.randint(1, 3))]
        await seed.order(
            store if n % 5 else None,
            rng.choice(customers),
            lines,
            order_no=f"{rng.choice(['2026', 'AB', '王1'])}{n:06d}",
            consignee_name=_word(rng, 1, 4),
            consignee_phone=f"1370000{rng.choice(['1234', '4321', '9999'])}",
            line_names=[_word(rng, 1, 6) for _ in lines],
        )
    async with unit_of_work(seed.sessions) as session:  # a renamed line: its new name is found too
        first = await session.scalar(select(OrderLine.id).order_by(OrderLine.id).limit(1))
        await session.execute(
            update(OrderLine).where(OrderLine.id == first).values(product_name="新车厘子Kb")
        )


def _terms() -> st.SearchStrategy[f.Node]:
    text = st.text(alphabet=ALPHABET, min_size=1, max_size=4).filter(lambda t: t.strip() != "")
    leaf = st.builds(f.text_match, st.sampled_from(TEXT_FIELDS), text)
    return st.recursive(
        leaf,
        lambda children: st.one_of(
            children.map(f.negate),
            st.lists(children, min_size=2, max_size=3).map(lambda n: f.all_of(*n)),
            st.lists(children, min_size=2, max_size=3).map(lambda n: f.any_of(*n)),
        ),
        max_leaves=4,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(node=_terms(), phones=st.booleans())
async def test_indexed_search_selects_what_the_scan_selects(db: Database, node: f.Node, phones: bool) -> None:
    async with db.sessions() as session:
        if await session.scalar(select(Order.id).limit(1)) is None:  # examples share one shop
            await _shop(Seed(db.sessions))
        terms = frozenset(leaf for leaf in f.leaves(node) if isinstance(leaf, f.TextMatch))
        found = {}
        for name, options in (
            ("scan", {"indexed": False}),
            ("indexed", {}),
            ("sparse", {"sparse": terms}),  # every product term and bare word as one UNION
        ):
            stmt = select(Order.id).where(compile_filter(node, phones=phones, **options))
            found[name] = set((await session.scalars(stmt)).all())
    assert found["indexed"] == found["scan"], node
    assert found["sparse"] == found["scan"], node
    if isinstance(node, f.TextMatch) and node.field in text_search.SPARSE_FIELDS:
        assert await text_search.count_term(db.sessions, node, phones=phones) == len(found["scan"]), node


async def test_sparse_terms_are_the_terms_with_few_matches(db: Database) -> None:
    """`sparse_terms` picks the product terms and bare words whose lookups stop short of the limit."""
    await _shop(Seed(db.sessions))
    rare, absent = f.text_match(f.TextField.PRODUCT, "新车厘子"), f.text_match(f.TextField.ANY, "不存在")
    common = f.text_match(f.TextField.ANY, "2026")  # every order number of the shop's third starts so
    consignee = f.text_match(f.TextField.CONSIGNEE, "王")  # not a term with two plans
    node = f.all_of(rare, f.negate(absent), common, consignee)
    with patch.object(text_search, "SPARSE_LIMIT", 10):
        found = await text_search.sparse_terms(db.sessions, [node, None], phones=True)
    assert found == {rare, absent}


async def test_every_line_name_is_in_the_dictionary(db: Database) -> None:
    """Inserted and renamed lines put their names in `order_line_names` (the triggers of 0015)."""
    await _shop(Seed(db.sessions))
    async with db.sessions() as session:
        names = set((await session.scalars(select(OrderLineName.product_name))).all())
        lines = set((await session.scalars(select(OrderLine.product_name).distinct())).all())
    assert "新车厘子Kb" in lines
    assert lines <= names
