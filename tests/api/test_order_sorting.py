"""Sorting the order list: every key and direction, paged forward and back, against a Python sort.

Eight orders share created times, payable amounts and statuses in twos and threes, and three are
unpaid (no paidAt, which sorts last in both directions), so every page boundary lands on ties.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest

from models.orders.states import OrderStatus as S
from models.orders.tabs import STATUS_RANK
from tests.api.conftest import Api
from tests.factories import T0, Seed

PAGE = """
query($sort: [OrderSort!], $first: Int, $after: String, $last: Int, $before: String, $q: String) {
  orders(sort: $sort, first: $first, after: $after, last: $last, before: $before, query: $q) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { orderNo } }
  }
}
"""


@dataclass(frozen=True)
class Row:
    id: int
    order_no: str
    created_at: datetime
    paid_at: datetime | None
    payable: int
    status: S


# (created minute, paid minute or None, payable, status, order number): ties everywhere but orderNo
SPECS = [
    (0, 5, 1000, S.SHIPPED, "SO05"),
    (0, None, 2000, S.PENDING_PAYMENT, "SO02"),
    (1, 5, 1000, S.PENDING_SHIPMENT, "SO07"),
    (1, None, 3000, S.CANCELLED, "SO00"),
    (2, 7, 2000, S.SHIPPED, "SO03"),
    (2, 5, 1000, S.COMPLETED, "SO06"),
    (2, None, 2000, S.PENDING_PAYMENT, "SO01"),
    (3, 9, 3000, S.PENDING_SHIPMENT, "SO04"),
]


@pytest.fixture
async def rows(seed: Seed) -> list[Row]:
    store, customer = await seed.store(), await seed.customer()
    _, skus = await seed.product()
    out = []
    for created, paid, payable, status, no in SPECS:
        order = await seed.order(
            store,
            customer,
            [(skus[0], 1)],
            status=status,
            created_at=T0 + timedelta(minutes=created),
            paid_at=None if paid is None else T0 + timedelta(minutes=paid),
            payable=payable,
            order_no=no,
        )
        out.append(Row(order.id, no, order.created_at, order.paid_at, payable, status))
    assert sum(r.paid_at is None for r in out) == 3
    return out


def expected(rows: list[Row], sort: list[dict[str, str]]) -> list[str]:
    """The order the API must return, computed the obvious way."""
    numbers = sorted(r.order_no for r in rows)

    def key(row: Row) -> tuple[float, ...]:
        parts: list[float] = []
        for spec in sort:
            sign = -1 if spec.get("direction", "DESC") == "DESC" else 1
            match spec["key"]:
                case "CREATED_AT":
                    parts.append(sign * row.created_at.timestamp())
                case "PAID_AT":
                    parts.append(row.paid_at is None)  # unpaid last, whatever the direction
                    parts.append(sign * row.paid_at.timestamp() if row.paid_at else 0)
                case "TOTAL":
                    parts.append(sign * row.payable)
                case "ORDER_NO":
                    parts.append(sign * numbers.index(row.order_no))
                case "STATUS":
                    parts.append(sign * STATUS_RANK[row.status])
        last = sort[-1].get("direction", "DESC") if sort else "DESC"
        parts.append((-1 if last == "DESC" else 1) * row.id)
        return tuple(parts)

    return [r.order_no for r in sorted(rows, key=key)]


async def walk(api: Api, sort: list[dict[str, str]], forward: bool, size: int, **extra: Any) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(20):
        paging: dict[str, Any] = (
            {"first": size, "after": cursor} if forward else {"last": size, "before": cursor}
        )
        r = await api.execute(PAGE, sort=sort, **paging, **extra)
        assert r.errors == [], r.errors
        conn = r.data["orders"]
        nodes = [e["node"]["orderNo"] for e in conn["edges"]]
        assert len(nodes) <= size
        seen = seen + nodes if forward else nodes + seen
        info = conn["pageInfo"]
        if not (info["hasNextPage"] if forward else info["hasPreviousPage"]):
            return seen
        cursor = info["endCursor"] if forward else info["startCursor"]
    raise AssertionError("paging did not end")


KEYS = ("CREATED_AT", "PAID_AT", "TOTAL", "ORDER_NO", "STATUS")
SORTS = [
    *([{"key": key, "direction": direction}] for key in KEYS for direction in ("ASC", "DESC")),
    [{"key": "TOTAL"}],  # direction defaults to DESC
    [{"key": "STATUS", "direction": "ASC"}, {"key": "TOTAL", "direction": "DESC"}],
    [{"key": "PAID_AT", "direction": "ASC"}, {"key": "CREATED_AT", "direction": "DESC"}],
    [{"key": "TOTAL", "direction": "ASC"}, {"key": "PAID_AT", "direction": "DESC"}, {"key": "STATUS"}],
]


@pytest.mark.parametrize(
    "sort", SORTS, ids=lambda s: ",".join(f"{k['key']}:{k.get('direction', '-')}" for k in s)
)
async def test_every_sort_pages_forward_and_back_across_ties(
    api: Api, rows: list[Row], sort: list[dict[str, str]]
) -> None:
    want = expected(rows, sort)
    hq = api.as_hq()
    for size in (1, 2, 3):
        assert await walk(hq, sort, True, size) == want, ("forward", size)
        assert await walk(hq, sort, False, size) == want, ("backward", size)


async def test_unpaid_orders_come_last_both_ways(api: Api, rows: list[Row]) -> None:
    unpaid = {r.order_no for r in rows if r.paid_at is None}
    for direction in ("ASC", "DESC"):
        got = await walk(api.as_hq(), [{"key": "PAID_AT", "direction": direction}], True, 100)
        assert set(got[-3:]) == unpaid


async def test_default_is_newest_first_and_filters_combine_with_sorts(api: Api, rows: list[Row]) -> None:
    hq = api.as_hq()
    assert await walk(hq, [], True, 3) == expected(rows, [{"key": "CREATED_AT", "direction": "DESC"}])
    shipped = [r for r in rows if r.status is S.SHIPPED or r.status is S.PENDING_SHIPMENT]
    sort = [{"key": "PAID_AT", "direction": "ASC"}]
    assert await walk(hq, sort, False, 1, q="status:SHIPPED,待发货") == expected(shipped, sort)


async def test_cursors_belong_to_their_sort(api: Api, rows: list[Row]) -> None:
    hq = api.as_hq()
    by_total = [{"key": "TOTAL", "direction": "ASC"}]
    first = (await hq.execute(PAGE, sort=by_total, first=2)).data["orders"]
    cursor = first["pageInfo"]["endCursor"]
    for other in (
        [{"key": "TOTAL", "direction": "DESC"}],
        [{"key": "CREATED_AT"}],
        [*by_total, {"key": "STATUS"}],
        None,
    ):
        r = await hq.execute(PAGE, sort=other, first=2, after=cursor)
        assert r.error_codes == ["INVALID_CURSOR"], other
    assert (await hq.execute(PAGE, sort=by_total, first=2, after=cursor)).errors == []


async def test_a_key_may_be_given_once(api: Api, rows: list[Row]) -> None:
    r = await api.as_hq().execute(
        PAGE, sort=[{"key": "TOTAL"}, {"key": "TOTAL", "direction": "ASC"}], first=2
    )
    assert r.error_codes == ["BAD_USER_INPUT"]
    assert r.errors[0]["extensions"]["field"] == "sort"


def _cursor(name: str, values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([name, values])).decode()


async def test_tampered_cursors_are_refused(api: Api, rows: list[Row]) -> None:
    hq, sort = api.as_hq(), [{"key": "PAID_AT", "direction": "ASC"}]
    unpaid = next(r for r in rows if r.paid_at is None)
    ok = await hq.execute(PAGE, sort=sort, first=8, after=_cursor("PAID_AT:ASC", [1, None, unpaid.id]))
    assert ok.errors == []
    for values in ([0, "2026-11-01T02:05:00", 1], [True, None, 1], [0, None, "1"], [1, None]):
        r = await hq.execute(PAGE, sort=sort, first=2, after=_cursor("PAID_AT:ASC", values))
        assert r.error_codes == ["INVALID_CURSOR"], values
