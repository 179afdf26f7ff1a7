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
from sqlalchemy import and_, func, select, update

from models.enums import Role
from models.orders import filters as f
from models.orders.rows import Order, OrderLine, OrderLineName
from models.orders.states import OrderStatus
from models.principals import Principal
from services.db import unit_of_work
from services.orders import search, text_search
from services.orders.search import OrderCriteria, compile_filter
from services.pagination import PageRequest
from services.scoping import order_visibility
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
STATUSES = [OrderStatus.PENDING_ACCEPTANCE, OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED]


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
            status=rng.choice(STATUSES),
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
        # orders that moved on after their lines were written (their lines follow: migration 0039)
        await session.execute(update(Order).where(Order.id % 7 == 3).values(status=OrderStatus.CLOSED))


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


def _counted_criteria() -> st.SearchStrategy[OrderCriteria]:
    """Criteria of the shapes the counts answer from indexes and count parts (a term, a negated
    term, beside statuses and stores) and any other filter of text terms, in either half."""
    text = st.text(alphabet=ALPHABET, min_size=1, max_size=3).filter(lambda t: t.strip() != "")
    leaf = st.builds(f.text_match, st.sampled_from(TEXT_FIELDS), text)
    terms = st.one_of(leaf, leaf.map(f.negate), _terms())
    statuses = st.sets(st.sampled_from(STATUSES), min_size=1).map(lambda s: f.enum_in(f.EnumField.STATUS, s))
    stores = st.sampled_from([f.flag_is(f.FlagField.HQ_WAREHOUSE, False), f.id_in(f.IdField.STORE, [1])])
    narrowing: st.SearchStrategy[f.Node] = st.one_of(statuses, stores)
    scope = st.lists(narrowing, max_size=2).map(lambda n: f.all_of(*n) if n else None)
    return st.builds(
        lambda term, other, swap: OrderCriteria(other, term) if swap else OrderCriteria(term, other),
        terms,
        scope,
        st.booleans(),
    )


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(criteria=_counted_criteria(), role=st.sampled_from([Role.HQ_ADMIN, Role.ANALYST, Role.STORE_STAFF]))
async def test_counts_of_text_terms_are_the_scans_counts(
    db: Database, criteria: OrderCriteria, role: Role
) -> None:
    """The status tabs and `totalCount` of text-term criteria (term_counts.py's pairs and
    subtractions, or the orders) equal the scanning compilation's counts, for every caller."""
    async with db.sessions() as session:
        if await session.scalar(select(Order.id).limit(1)) is None:
            await _shop(Seed(db.sessions))
    principal = Principal(role, "t", store_ids=frozenset({1}) if role is Role.STORE_STAFF else frozenset())
    phones = role is not Role.ANALYST
    scanned = [
        compile_filter(node, phones=phones, watcher=principal.key, indexed=False)
        for node in (criteria.filter, criteria.query)
        if node is not None
    ]
    stmt = (
        select(Order.status, func.count())
        .where(and_(order_visibility(principal), *scanned))
        .group_by(Order.status)
    )
    async with db.sessions() as session:
        expected = {status: int(n) for status, n in (await session.execute(stmt)).all()}
    tabs = await search.count_by_status(db.sessions, principal, criteria)
    assert {s: n for s, n in tabs.items() if n} == expected, criteria
    page = await search.list_orders(db.sessions, principal, PageRequest(first=1), criteria)
    assert await page.count() == sum(expected.values()), criteria


async def test_text_term_counts_take_the_index_paths(db: Database) -> None:
    """A term (with statuses), or a negated term beside what the parts count, has a statement."""
    hq, staff = Principal(Role.HQ_ADMIN, "hq"), Principal(Role.STORE_STAFF, "s", store_ids=frozenset({1}))
    word, product = f.text_match(f.TextField.ANY, "王"), f.text_match(f.TextField.PRODUCT, "车厘子")
    consignee = f.text_match(f.TextField.CONSIGNEE, "王")
    shipped = f.enum_in(f.EnumField.STATUS, [OrderStatus.SHIPPED])
    for principal, criteria in [
        (hq, OrderCriteria(query=word)),
        (hq, OrderCriteria(filter=shipped, query=consignee)),
        (hq, OrderCriteria(query=f.all_of(f.negate(product), shipped))),
        (staff, OrderCriteria(query=f.negate(word))),
    ]:
        assert search._term_counts(principal, criteria) is not None, criteria
    assert search._term_counts(staff, OrderCriteria(query=word)) is None
    assert search._term_counts(hq, OrderCriteria(query=f.all_of(f.negate(word), f.negate(product)))) is None
