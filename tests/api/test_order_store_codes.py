"""An unknown store code in the order list's `query:` or `filter.storeCodes` is a coded error naming it,
never a filter that silently matches nothing (issue 25, the filter bug of item 5)."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.factories import Seed

LIST = """query($filter: OrderFilter, $q: String) {
  orders(first: 10, filter: $filter, query: $q) { totalCount } }"""
COUNTS = """query($filter: OrderFilter, $q: String) {
  orderStatusCounts(filter: $filter, query: $q) { total } }"""


async def _shop(seed: Seed) -> None:
    sh, bj = await seed.store("SH001"), await seed.store("BJ001")
    customer = await seed.customer()
    _, (sku,) = await seed.product()
    await seed.order(sh, customer, [(sku, 1)])
    await seed.order(bj, customer, [(sku, 1)])


async def test_an_unknown_code_in_the_query_names_it_and_its_column(api: Api, seed: Seed) -> None:
    await _shop(seed)
    hq = api.as_hq()
    for document in (LIST, COUNTS):
        r = await hq.execute(document, q="status:PENDING_ACCEPTANCE store:SH001,SH999")
        assert r.data is None
        assert r.errors[0]["message"] == 'unknown store code "SH999" at column 39'
        assert r.errors[0]["extensions"] == {"code": "INVALID_QUERY_SYNTAX", "field": "query", "column": 39}
    # negated or nested, a typo is still a typo
    r = await hq.execute(LIST, q='-store:SHOO1 OR "张三"')
    assert r.errors[0]["extensions"]["column"] == 8
    # known codes keep working, also a known store outside a staff member's scope (no orders of theirs)
    r = await hq.execute(LIST, q="store:SH001,BJ001")
    assert r.data["orders"]["totalCount"] == 2


async def test_an_unknown_code_in_the_filter_names_its_input_path(api: Api, seed: Seed) -> None:
    await _shop(seed)
    hq = api.as_hq()
    r = await hq.execute(LIST, filter={"or": [{"storeCodes": ["BJ001"]}, {"storeCodes": ["SH001", "XX9"]}]})
    assert r.data is None
    assert r.errors[0]["message"] == 'unknown store code "XX9"'
    assert r.errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.or.1.storeCodes.1"}
    r = await hq.execute(COUNTS, filter={"storeCodes": ["", "XX9"]})  # a cleared entry keeps its index
    assert r.errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.storeCodes.1"}
    r = await hq.execute(LIST, filter={"storeCodes": ["BJ001"]})
    assert r.data["orders"]["totalCount"] == 1
