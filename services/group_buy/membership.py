"""Keeping a forming group-buy team's slots honest when a member's order goes away.

A member who never paid (cancelled, or the payment window closed) or a paid member cancelled while
the team forms (待成团, by HQ or the member) frees the slot, so the team can still fill; the counts
are recomputed from the seats that stay, and a leaving leader hands over to the earliest remaining
member (`models.group_buy_membership`); a team left with nobody fails. Called inside the order's
transaction, which already holds the team's row lock (teams are always locked before their
orders), so a join or another cancel of the same team waits for this one and sees its result.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from models.campaigns.rows import GroupBuyTeam, GroupBuyTeamMember
from models.enums import TeamStatus
from models.group_buy_membership import Seat, member_leaves
from models.orders.rows import Order
from services.commands import Work
from services.group_buy.cache import invalidate_team_page


def _seat(member: GroupBuyTeamMember) -> Seat:
    return Seat(member.id, member.customer_id, member.joined_at, member.is_leader, member.paid_at is not None)


async def member_left(work: Work, order: Order) -> None:
    if order.team_id is None:
        return
    team = await work.session.scalar(
        select(GroupBuyTeam)
        .where(GroupBuyTeam.id == order.team_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if team is None or team.status is not TeamStatus.FORMING:
        return
    members = (
        await work.session.scalars(
            select(GroupBuyTeamMember)
            .where(GroupBuyTeamMember.team_id == team.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    leaving = next((m for m in members if m.order_id == order.id), None)
    if leaving is None:
        return
    others = [m for m in members if m.id != leaving.id]
    after = member_leaves(team.status, [_seat(m) for m in others])
    await work.session.execute(delete(GroupBuyTeamMember).where(GroupBuyTeamMember.id == leaving.id))
    if after.leader is not None and not after.leader.is_leader:  # the leader left: hand over
        heir = next(m for m in others if m.id == after.leader.member_id)
        heir.is_leader = True
        team.leader_customer_id = heir.customer_id
    team.member_count, team.paid_count, team.status = after.member_count, after.paid_count, after.status
    if after.status is TeamStatus.FAILED:
        team.failed_at = work.now
    team.version += 1
    invalidate_team_page(work, team.campaign_id, team.id)
