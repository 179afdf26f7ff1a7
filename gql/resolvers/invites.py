"""`viewer.invites`: the signed-in shopper's own 邀请有礼 page (我的邀请); null for anyone else."""

from __future__ import annotations

from gql.context import Info
from gql.schema.invites import InviteCenter
from models.enums import Role


async def viewer_invites(info: Info) -> InviteCenter | None:
    """Only a SHOPPER with a customer id gets one, and it is always their own (never by argument)."""
    principal = info.context.principal
    if principal.role is not Role.SHOPPER or principal.customer_id is None:
        return None
    me = await info.context.loaders.customer.load(principal.customer_id)
    if me is None:
        return None
    return InviteCenter(code=me.invite_code, _customer_id=me.id)
