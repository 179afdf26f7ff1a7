"""Walking a connection page by page with `first`/`after`, as a client pages through a list."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api


async def walk(api: Api, document: str, field: str, size: int, **variables: Any) -> list[dict[str, Any]]:
    """Every node of the root connection `field`, in order, fetched `size` at a time; the document
    takes `$first` and `$after` and selects `pageInfo { hasNextPage endCursor }` and `edges { node }`."""
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        r = await api.execute(document, first=size, after=after, **variables)
        assert r.errors == [], r.errors
        connection = r.data[field]
        nodes += [edge["node"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes
        after = connection["pageInfo"]["endCursor"]
