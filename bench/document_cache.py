"""What the parsed-and-validated document cache buys, per request, for real client documents.

    .venv/bin/python -m bench.document_cache [--rounds 2000]

Times the gate's document step (`DocumentCache.check`: size and token limits, parse, graphql-core's
rules plus ours) for the admin SPA's 100-order page and a mini-program page, with the cache (a
hash lookup after the first request) and without it (`DOCUMENT_CACHE_SIZE=0`: every request parses
and validates again), and the cost analysis that runs per request (it reads the variables).
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable

from graphql import OperationDefinitionNode

from adapters.strawberry import graphql_schema_of
from gql.gate.cost import CostModel, operation_cost
from gql.gate.documents import DocumentCache
from gql.schema import schema
from gql.settings import load_settings
from models.enums import Role

ADMIN_ORDER_PAGE = """
query Orders($after: String) {
  orders(first: 100, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      orderNo status fulfillment createdAt
      payableAmount { amount currency }
      consignee { name phone address region { city } }
      store { code name } customer { nickname phone }
      lines { productName spec quantity paidAmount { amount } sku { spec product { name } } }
    } }
  }
}
"""

MINI_PROGRAM_PAGE = """
query Home($first: Int) {
  viewer { role customer { nickname memberLevel points } }
  categories { name children { name } }
  products(first: $first) { edges { node { name skus { spec price { amount } } } } }
}
"""


def _per_call_us(rounds: int, call: Callable[[], object]) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        call()
    return (time.perf_counter() - started) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    graphql_schema = graphql_schema_of(schema)
    cached = DocumentCache(graphql_schema, load_settings())
    uncached = DocumentCache(graphql_schema, load_settings(document_cache_size=0))
    model = CostModel(default_list_size=10, max_page_size=100)
    for name, text in (("admin order page", ADMIN_ORDER_PAGE), ("mini-program home", MINI_PROGRAM_PAGE)):
        checked = cached.check(text, role=Role.STORE_STAFF)
        assert checked.ok
        assert checked.document is not None
        document = checked.document
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        hit = _per_call_us(rounds, functools.partial(cached.check, text, role=Role.STORE_STAFF))
        miss = _per_call_us(
            max(1, rounds // 10), functools.partial(uncached.check, text, role=Role.STORE_STAFF)
        )
        cost_us = _per_call_us(
            rounds,
            functools.partial(operation_cost, graphql_schema, document, operation, {"first": 20}, model),
        )
        print(
            f"{name:>18}: parse+validate {miss:8.1f} µs, cached {hit:6.1f} µs "
            f"({miss / hit:5.0f}× faster); cost analysis {cost_us:6.1f} µs"
        )


if __name__ == "__main__":
    main()
