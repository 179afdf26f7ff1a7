"""Generated documents and variables from the live schema, as every role: never a 5xx, never an
internal error, a stable code on every refusal, and the server answers a normal query afterwards.

`hypothesis_graphql` draws operations over the whole `Query` and `Mutation` types (and, one time in
four, operations with one schema violation); `tests/fuzz/strategies.py` aims the scalars at the
edges and sends some arguments as variables. In CI the run is derandomized (the same examples
every time); locally it is random, and `FUZZ_EXAMPLES` makes it longer. The order search language,
a parser of its own, gets texts made of its words too. A failure is a bug: its shrunk request goes
into `fuzz_findings` in `tests/api/malicious_corpus_issue21.py`, with the code it must be answered with.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings

from models.enums import Role
from tests.conftest import IN_CI
from tests.fuzz.checks import post, problems, still_answers
from tests.fuzz.conftest import ROLES, FuzzApp
from tests.fuzz.strategies import Request, query_strings, requests

EXAMPLES_PER_ROLE = int(os.environ.get("FUZZ_EXAMPLES", "50"))

FUZZ = settings(
    max_examples=EXAMPLES_PER_ROLE,
    deadline=None,
    derandomize=IN_CI,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if isinstance(r, Role) else "anonymous")
@FUZZ
@given(request=requests())
async def test_generated_requests_keep_the_contract(
    fuzz_app: FuzzApp, role: Role | None, request: Request
) -> None:
    caller = fuzz_app.caller(role)
    status, raw = await post(caller, request.body())
    found = problems(status, raw)
    assert not found, (found, request.query, request.variables, raw[:2000])
    assert await still_answers(caller), (request.query, request.variables)


ORDER_SEARCH = """query($q: String) {
  orders(first: 5, query: $q) { totalCount edges { node { orderNo } } }
  orderStatusCounts(query: $q) { total }
}"""


@FUZZ
@given(q=query_strings())
async def test_the_order_query_language_keeps_the_contract(fuzz_app: FuzzApp, q: str) -> None:
    """The search language is a parser of its own: any text is an answer or INVALID_QUERY_SYNTAX."""
    for role in (Role.HQ_ADMIN, Role.STORE_STAFF, Role.ANALYST):
        status, raw = await post(fuzz_app.caller(role), {"query": ORDER_SEARCH, "variables": {"q": q}})
        found = problems(status, raw)
        assert not found, (found, role, q, raw[:2000])
