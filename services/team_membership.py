"""Keeping a forming group-buy team's slots honest when an unpaid member's order goes away.

A member who never paid (cancelled, or the payment window closed) frees the slot, so the team can
still fill; a team left with nobody fails. Called inside the order's transaction, which already
holds the team (teams are always locked before their orders).
"""

from __future__ import annotations

from sqlalchemy import delete, select

from models.campaigns import GroupBuyTeam, GroupBuyTeamMember
from models.enums import TeamStatus
from models.orders import Order
from services.commands import Work
from services.group_buy_cache import invalidate_team_page


async def member_left(work: Work, order: Order) -> None:
    if order.team_id is None:
        return
    team = await work.session.get(GroupBuyTeam, order.team_id)
    if team is None or team.status is not TeamStatus.FORMING:
        return
    member = await work.session.scalar(
        select(GroupBuyTeamMember).where(GroupBuyTeamMember.order_id == order.id)
    )
    if member is None or member.paid_at is not None:
        return
    await work.session.execute(delete(GroupBuyTeamMember).where(GroupBuyTeamMember.id == member.id))
    team.member_count -= 1
    team.version += 1
    if team.member_count == 0:
        team.status, team.failed_at = TeamStatus.FAILED, work.now
    invalidate_team_page(work, team.campaign_id, team.id)
