"""Root fields of watch lists: `watchOrder` and `unwatchOrder` (HQ and store staff, their own list).

The list is read back through the order search: `orders(query: "watched:true")` or
`orders(filter: {watched: true})`.
"""

from __future__ import annotations

import strawberry

from gql.admin_mutations import run_admin
from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id
from gql.mutations import visible_order
from gql.schema.order_watches import WatchOrderInput, WatchOrderPayload
from services.commands import Result, Work
from services.orders import watches as order_watches


async def _set(info: Info, operation: str, input: WatchOrderInput, watched: bool) -> WatchOrderPayload:
    async def use_case(work: Work) -> Result:
        order_id = decode_id(input.order_id, "Order", "orderId")
        return await order_watches.set_watched(work, order_id, watched)

    result, errors = await run_admin(info, operation, input, use_case)
    if result is None:
        return WatchOrderPayload(order=None, watched=False, user_errors=errors)
    order = await visible_order(info, int(result["orderId"]))
    return WatchOrderPayload(order=order, watched=bool(result["watched"]), user_errors=[])


@strawberry.type
class OrderWatchMutations:
    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Watch (关注) an order the caller may see; its own list, found with `watched:true`.",
    )
    async def watch_order(self, info: Info, input: WatchOrderInput) -> WatchOrderPayload:
        return await _set(info, "watchOrder", input, True)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Take an order off the caller's watch list."
    )
    async def unwatch_order(self, info: Info, input: WatchOrderInput) -> WatchOrderPayload:
        return await _set(info, "unwatchOrder", input, False)
