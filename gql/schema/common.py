"""Types shared by every domain: Money, connections, user errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any, Generic, NewType, Self, TypeVar

import strawberry
from sqlalchemy import ColumnElement, Text, case, cast, func, literal_column
from strawberry import relay
from strawberry.scalars import JSON

from gql.engine import render_computed
from gql.schema import enums as _registered_enums  # noqa: F401  (GraphQL enums first)
from models.errors import ErrorCode
from models.money import CURRENCY, format_cents
from services.pagination import Page

Cents = NewType("Cents", int)
CENTS_SCALAR = strawberry.scalar(
    name="Cents",
    serialize=int,
    parse_value=int,
    description="A whole number of cents (分), 64-bit: totals over a chain and a month pass the 32 bits of "
    "Int (21,474,836.47 yuan). Serialised as a JSON number, exact up to 2^53.",
)
"""Registered on the schema's StrawberryConfig.scalar_map (gql/schema/__init__.py)."""


@strawberry.type(description="An amount of money. Stored and computed in integer cents (分).")
class Money:
    cents: Cents = strawberry.field(description="Exact amount in the currency's minor unit (分).")
    currency: str = strawberry.field(description="ISO 4217 code; always CNY.")
    # A plain field, set once by `money` for the shared object: read like `cents`, not called per read.
    amount: str = strawberry.field(description='Exact decimal string, e.g. "123.45" (never a float).')


@lru_cache(maxsize=16_384)
def money(cents: int) -> Money:
    """The `Money` of an amount, shared by every field of that amount.

    Nothing assigns to a `Money`, so equal amounts can be one object. Bounded, so a scan over
    many distinct amounts cannot grow it without limit.
    """
    return Money(cents=Cents(cents), currency=CURRENCY, amount=format_cents(cents))


def amount_sql(cents: ColumnElement[Any]) -> ColumnElement[Any]:
    """`format_cents` in SQL: the sign, the whole units (integer division), a point and two digits."""
    units = func.abs(cents)
    sign = case((cents < 0, literal_column("'-'")), else_=literal_column("''"))
    digits = func.lpad(cast(units % 100, Text), 2, literal_column("'0'"))
    text: ColumnElement[Any] = (
        sign.op("||")(cast(units.op("/")(literal_column("100")), Text))
        .op("||")(literal_column("'.'"))
        .op("||")(digits)
    )
    return text


if not CURRENCY.isalpha():
    raise ValueError(f"currency code {CURRENCY!r}: written into SQL as a literal, it must be letters")
render_computed(
    money,
    {
        "cents": lambda cents: cents,
        "currency": lambda _: literal_column(f"'{CURRENCY}'"),
        "amount": amount_sql,
    },
)


@strawberry.type(description="A problem with the input of a mutation; nothing was changed.")
class UserError:
    code: ErrorCode
    field: list[str] | None = strawberry.field(description="Path of the offending input field, if any.")
    message: str
    extensions: JSON | None = strawberry.field(
        default=None,
        description="Machine-readable detail, as a query error's `extensions` carry beside `code` and "
        "`field`: e.g. `nextOpeningAt` of STORE_CLOSED, `column` of INVALID_QUERY_SYNTAX; null when none.",
    )


NodeT = TypeVar("NodeT")


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


class _PageEdge(Edge[NodeT]):
    """An edge of a page whose cursor is encoded when it is read (`Page.cursor`)."""

    def __init__(self, page: Page[Any], index: int, node: NodeT) -> None:
        self.node = node
        self._page = page
        self._index = index

    @property
    def cursor(self) -> str:  # type: ignore[override]
        return self._page.cursor(self._index)


@strawberry.type(description="A page of results with keyset cursors (at most 100 a page).")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: relay.PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(
        description="Number of items matching the filter, over all pages (counted only when asked)."
    )
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def of(cls, page: Page[Any], convert: Callable[[Any], NodeT], **extra: Any) -> Self:
        """The connection of `page`, its rows made nodes by `convert`; `extra` sets a subclass's
        own fields (a list's tab counts)."""
        edges: list[Edge[NodeT]] = [_PageEdge(page, i, convert(r)) for i, r in enumerate(page.rows)]
        return cls(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.cursor(0) if page.rows else None,
                end_cursor=page.cursor(-1) if page.rows else None,
            ),
            _count=page.count,
            **extra,
        )
