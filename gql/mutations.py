"""Runs a mutation's use case and shapes the payload: the result, or `userErrors` and nothing changed.

Resolvers stay one line: they name the operation and hand over a use case; decoding ids happens
inside the use case, so a bad id is a userError like any other rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from strawberry.scalars import JSON

from gql.context import Info
from gql.ids import decode_id
from gql.schema.after_sales import AfterSale, AfterSalePayload
from gql.schema.common import UserError
from gql.schema.order_mutations import OrderPayload
from gql.schema.orders import Order
from models.after_sales.rows import AfterSale as AfterSaleRow
from models.errors import DomainError
from models.orders.rows import Order as OrderRow
from services.commands import Result, Work, run_command
from services.scoping import after_sale_visibility, order_visibility

UseCase = Callable[[Work], Awaitable[Result]]


def user_error(error: DomainError) -> UserError:
    path = ["input", *error.field.split(".")] if error.field else None
    extensions = JSON(error.extensions) if error.extensions else None
    return UserError(code=error.code, field=path, message=error.message, extensions=extensions)


def request_of(input_: Any) -> dict[str, Any]:
    """What the idempotency hash covers: the whole input except the key itself."""
    data = dataclasses.asdict(input_)
    data.pop("idempotency_key", None)
    return data


async def run(info: Info, operation: str, input_: Any, use_case: UseCase) -> Result:
    ctx = info.context
    return await run_command(
        ctx.deps,
        ctx.principal,
        operation,
        use_case,
        idempotency_key=getattr(input_, "idempotency_key", None),
        request=request_of(input_),
    )


async def visible_order(info: Info, order_id: int) -> Order | None:
    """The order as it is after the mutation (a fresh read, not the request's loader cache)."""
    async with info.context.sessions() as session:
        row = await session.scalar(
            select(OrderRow).where(OrderRow.id == order_id, order_visibility(info.context.principal))
        )
    return Order.from_row(row) if row else None


async def order_mutation(info: Info, operation: str, input_: Any, use_case: UseCase) -> OrderPayload:
    try:
        result = await run(info, operation, input_, use_case)
    except DomainError as error:
        return OrderPayload(order=await _current(info, input_), user_errors=[user_error(error)])
    return OrderPayload(order=await visible_order(info, int(result["orderId"])), user_errors=[])


async def _current(info: Info, input_: Any) -> Order | None:
    """On failure, the order as it stands (so the client can re-render), when the input names one."""
    raw = getattr(input_, "order_id", None)
    if raw is None:
        return None
    try:
        return await visible_order(info, decode_id(raw, "Order"))
    except DomainError:
        return None


async def after_sale_mutation(info: Info, operation: str, input_: Any, use_case: UseCase) -> AfterSalePayload:
    try:
        result = await run(info, operation, input_, use_case)
    except DomainError as error:
        return AfterSalePayload(after_sale=None, order=None, user_errors=[user_error(error)])
    async with info.context.sessions() as session:
        row = await session.scalar(
            select(AfterSaleRow).where(
                AfterSaleRow.id == int(result["afterSaleId"]), after_sale_visibility(info.context.principal)
            )
        )
    return AfterSalePayload(
        after_sale=AfterSale.from_row(row) if row else None,
        order=await visible_order(info, int(result["orderId"])),
        user_errors=[],
    )
