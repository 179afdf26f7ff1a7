"""Batch approve / reject / refund of after-sales (批量审核、批量拒绝、批量退款), item by item.

Each after-sale of a batch runs as its own use case in its own transaction (`run_command`), so one
failing item (another state, another store, a refused refund) leaves the others as they were done,
and each item reports its own error code. With an idempotency key, item i of a batch is keyed
`<key>:<after-sale id>`: replaying the batch replays each item's answer instead of acting again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final

from models.errors import DomainError, ErrorCode
from models.principals import Principal
from services.after_sales import lifecycle as after_sales
from services.commands import Deps, Result, Work, run_command

MAX_BATCH: Final = 50


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    after_sale_id: int
    result: Result | None
    error: DomainError | None


Step = Callable[[Work, int], Awaitable[Result]]


def approve(work: Work, after_sale_id: int) -> Awaitable[Result]:
    return after_sales.approve(work, after_sale_id)


def refund(work: Work, after_sale_id: int) -> Awaitable[Result]:
    return after_sales.refund_now(work, after_sale_id)


def rejecting(reason: str) -> Step:
    def reject(work: Work, after_sale_id: int) -> Awaitable[Result]:
        return after_sales.reject(work, after_sale_id, reason)

    return reject


def check_batch(ids: Sequence[int]) -> None:
    """A batch names 1 to MAX_BATCH after-sales, each once (BAD_USER_INPUT, before anything runs)."""
    if not 1 <= len(ids) <= MAX_BATCH:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"1 to {MAX_BATCH} after-sales", "afterSaleIds")
    if len(set(ids)) != len(ids):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "each after-sale once", "afterSaleIds")


async def run_batch(
    deps: Deps,
    principal: Principal,
    operation: str,
    ids: Sequence[int],
    step: Step,
    *,
    idempotency_key: str | None = None,
    request: object = None,
) -> list[ItemOutcome]:
    """Run `step` on each after-sale in order, each in its own transaction; outcomes in input order."""
    check_batch(ids)
    outcomes = []
    for after_sale_id in ids:

        async def use_case(work: Work, after_sale_id: int = after_sale_id) -> Result:
            return await step(work, after_sale_id)

        key = None if idempotency_key is None else f"{idempotency_key}:{after_sale_id}"
        try:
            result = await run_command(
                deps, principal, operation, use_case, idempotency_key=key, request=(request, after_sale_id)
            )
        except DomainError as error:
            outcomes.append(ItemOutcome(after_sale_id, None, error))
            continue
        outcomes.append(ItemOutcome(after_sale_id, result, None))
    return outcomes
