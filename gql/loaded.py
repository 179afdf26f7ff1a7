"""Resolve a relation synchronously when its loader already holds the row, else later.

graphql-core awaits whatever a resolver returns that is awaitable, and completes everything
else synchronously. A coroutine per relation field (store, customer, lines, SKU, product) is
what made a 50-order page cost ~450 coroutines and futures; once a list resolver has
prefetched the whole level into the request's loaders (`gql/prefetch.py`), these fields are
plain attribute reads. When nothing was prefetched (a single order, a field reached through
another path), the same call returns an awaitable and the DataLoader batches as before, so the
result is the same either way: only the number of event-loop round trips changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from loaders.base import RowLoader

R = TypeVar("R")
T = TypeVar("T")

_MISSING: Any = object()


def now_or_later(loader: RowLoader[Any, R], key: Any, convert: Callable[[R], T]) -> T:
    """`convert(row)` now if the loader holds the key's row (filled, or its future resolved), else
    an awaitable of it.

    The return type says `T` because strawberry reads resolver annotations to build the schema;
    at run time graphql-core handles the awaitable case (it checks every resolver result).
    """
    found = loader.values.get(key, _MISSING)
    if found is not _MISSING:
        return convert(found)
    future = loader.load(key)
    if future.done():
        return convert(future.result())  # raises the batch's exception, exactly as `await` would

    async def later() -> T:
        return convert(await future)

    return cast(T, later())
