"""Finished simulations → rows: the order with everything hanging off it, teams, reviews.

Primary keys of child rows are assigned here, when the order is written, so an order's events,
parcels and after-sales get consecutive ids in time order (the API lists them by id).
"""

from __future__ import annotations

import random

from bench.generator.after_sales import evidence_urls, open_status
from bench.generator.claims import emit_claim
from bench.generator.common import HOUR, Batch, Ids, between, dt, dt_opt, json_text
from bench.generator.escalations import emit_escalation
from bench.generator.lifecycle import payment_no
from bench.generator.promotions import emit_pricing
from bench.generator.reviews import emit_reviews
from bench.generator.sim import OrderSim
from bench.generator.teams import TeamSim
from bench.generator.world import FirstOrder
from models.after_sales.states import AfterSaleStatus
from models.enums import PaymentKind, PaymentStatus, TeamStatus
from models.orders.states import OrderStatus

_PAY = PaymentKind.PAY.value
_REFUND = PaymentKind.REFUND.value
_SUCCEEDED = PaymentStatus.SUCCEEDED.value
_REFUNDED = AfterSaleStatus.REFUNDED.value


_BOOKED_AHEAD = (1800.0, 5400.0, 4 * HOUR)
"""How far after placing a demo pre-order its booked time lies: the three booking states appear
among recent orders (not drawn, so the generator's random draws stay the same)."""


def booked_for(sim: OrderSim) -> float | None:
    """预订单 of the demo: every seventh order of a store that takes them, booked ahead of its
    creation, rounded to the half hour."""
    if sim.store is None or not sim.store.takes_pre_orders or sim.id % 7:
        return None
    ahead = _BOOKED_AHEAD[(sim.id // 7) % len(_BOOKED_AHEAD)]
    return (sim.created + ahead) // 1800.0 * 1800.0 + 1800.0


def merchant_no(sim: OrderSim) -> str | None:
    """商家订单号 of the demo: every fifth accepted order carries its store's POS reference."""
    if sim.accepted is None or sim.id % 5:
        return None
    return f"POS{sim.id:08d}"


class Emitter:
    def __init__(self, rng: random.Random, ids: Ids, now: float) -> None:
        self.rng = rng
        self.ids = ids
        self.now = now
        self.orders = 0

    def order(self, sim: OrderSim, batch: Batch) -> None:
        self.orders += 1
        ids = self.ids
        add = batch.add
        place = sim.consignee_place
        add(
            "orders",
            (
                sim.id,
                sim.order_no,
                merchant_no(sim),
                sim.store_id,
                sim.customer.id,
                sim.channel,
                sim.type,
                sim.fulfillment,
                sim.status.value,
                sim.payment_method,
                sim.goods,
                sim.goods_original,
                sim.discount,
                sim.delivery_fee,
                sim.packaging_fee,
                sim.payable,
                sim.paid_amount,
                sim.refunded,
                sim.consignee_name,
                sim.consignee_phone,
                sim.consignee_phone[-4:],
                place[0],
                place[1],
                place[2],
                place[3],
                place[4],
                place[5],
                sim.pickup_code,
                sim.remark,
                sim.cancel_reason,
                sim.reject_reason,
                sim.campaign_id,
                sim.tier_id,
                sim.team_id,
                dt(sim.created),
                dt(sim.created + 1800.0),
                dt_opt(sim.paid),
                dt_opt(sim.grouped),
                dt_opt(sim.accepted),
                dt_opt(sim.rejected),
                dt_opt(sim.allocated),
                dt_opt(sim.shipped),
                dt_opt(sim.completed),
                dt_opt(sim.cancelled),
                dt_opt(sim.closed),
                dt_opt(booked_for(sim)),
                None,
                None,
                None,
                dt(sim.updated),
                sim.version,
                sim.stage.value if sim.stage is not None else None,
                dt_opt(sim.picked),
                dt_opt(sim.rider_assigned),
                dt_opt(sim.delivered),
                dt_opt(sim.promised),
            ),
        )
        if sim.rider is not None:
            rider_source, platform, dispatch, name, phone, requested = sim.rider
            batch.add(
                "deliveries",
                (
                    sim.id,
                    rider_source,
                    platform,
                    dispatch,
                    name,
                    phone,
                    dt(requested),
                    None,
                    None,
                    None,
                    dt(sim.updated),
                ),
            )
        for line in sim.lines:
            line.id = ids.next("order_lines")
            add(
                "order_lines",
                (
                    line.id,
                    sim.id,
                    line.sku.id,
                    line.sku.product_id,
                    line.sku.product_name,
                    line.sku.spec,
                    line.sku.image_url,
                    line.unit_price,
                    line.original_price,
                    line.quantity,
                    line.discount,
                    line.paid,
                    line.is_gift,
                    line.shipped,
                    line.refunded_qty,
                    line.refunded_amount,
                    dt(sim.created),  # the triggers of migrations 0029 and 0039 copy the order's anyway
                    dt_opt(sim.paid),
                    sim.status.value,
                ),
            )
        emit_pricing(sim, ids, batch)
        for at, store_id, action, from_, to, actor, actor_id, payload in sim.events:
            add(
                "order_events",
                (
                    ids.next("order_events"),
                    sim.id,
                    store_id,
                    action,
                    from_,
                    to,
                    actor,
                    actor_id,
                    payload,
                    dt(at),
                ),
            )
        emit_claim(sim, ids, batch, self.now)
        for at, source, target, reason, actor, actor_id in sim.allocations:
            add(
                "allocation_records",
                (ids.next("allocation_records"), sim.id, source, target, reason, actor, actor_id, dt(at)),
            )
        self._parcels(sim, batch)
        if sim.paid is not None:
            add(
                "payment_transactions",
                (
                    ids.next("payment_transactions"),
                    payment_no(sim),
                    _PAY,
                    sim.id,
                    None,
                    sim.payment_method,
                    sim.paid_amount,
                    _SUCCEEDED,
                    1,
                    None,
                    f"4200{self.rng.randrange(10**23, 10**24)}",
                    None,
                    dt(max(sim.created, sim.paid - between(self.rng, 3, 40))),
                    dt(sim.paid),
                    None,
                ),
            )
        self._after_sales(sim, batch)
        if sim.status is OrderStatus.COMPLETED:
            emit_reviews(sim, self.ids, batch, self.rng, self.now)
        self._customer(sim)

    def _parcels(self, sim: OrderSim, batch: Batch) -> None:
        ids = self.ids
        for parcel in sim.parcels:
            parcel_id = ids.next("parcels")
            written = [t for t in parcel.traces if t.at < self.now]
            latest = written[-1].state if written else None
            batch.add(
                "parcels",
                (parcel_id, sim.id, parcel.carrier, parcel.tracking_no, dt(parcel.shipped_at), latest),
            )
            for line, quantity in parcel.lines:
                batch.add("parcel_lines", (parcel_id, line.id, quantity))
            for t in written:
                batch.add(
                    "parcel_traces",
                    (ids.next("parcel_traces"), parcel_id, dt(t.at), t.location, t.description, t.state),
                )

    def _after_sales(self, sim: OrderSim, batch: Batch) -> None:
        ids = self.ids
        for a in sim.after_sales:
            after_sale_id = ids.next("after_sales")
            batch.add(
                "after_sales",
                (
                    after_sale_id,
                    a.no,
                    sim.id,
                    a.store_id,
                    sim.customer.id,
                    a.type,
                    a.initiator,
                    a.status,
                    a.reason,
                    json_text(evidence_urls(a.no, a.evidence)),
                    a.refund_amount,
                    a.reject_reason,
                    a.return_carrier,
                    a.return_tracking,
                    dt(a.created),
                    dt_opt(a.reviewed),
                    dt_opt(a.return_shipped),
                    dt_opt(a.refunded),
                    dt_opt(a.closed),
                    dt(a.updated),
                    a.version,
                    a.replacement_carrier,
                    a.replacement_tracking,
                    dt_opt(a.replacement_shipped),
                ),
            )
            emit_escalation(sim, a, after_sale_id, ids, batch)
            still_open = open_status(a)
            for line, quantity, amount in a.lines:
                batch.add("after_sale_lines", (after_sale_id, line.id, quantity, amount, still_open))
            for at, action, before, after, actor, who, payload in a.events:
                row = (
                    ids.next("after_sale_events"),
                    after_sale_id,
                    action,
                    before,
                    after,
                    actor,
                    who,
                    payload,
                    dt(at),
                )
                batch.add("after_sale_events", row)
            # As the services: a refund of nothing moves no money, so it has no transaction.
            if a.status == _REFUNDED and a.refunded is not None and a.refund_amount > 0:
                done = min(self.now, a.refunded + between(self.rng, 2, 30))
                batch.add(
                    "payment_transactions",
                    (
                        ids.next("payment_transactions"),
                        a.no,
                        _REFUND,
                        sim.id,
                        after_sale_id,
                        sim.payment_method,
                        a.refund_amount,
                        _SUCCEEDED,
                        1,
                        None,
                        f"50{self.rng.randrange(10**25, 10**26)}",
                        None,
                        dt(a.refunded),
                        dt(done),
                        None,
                    ),
                )

    def _customer(self, sim: OrderSim) -> None:
        customer = sim.customer
        if customer.last_order is None or sim.created > customer.last_order:
            customer.last_order = sim.created
        customer.spent += sim.paid_amount - sim.refunded
        if sim.paid is None:
            return
        first = customer.first_order
        if first is None or sim.paid < first.paid:
            refunds = [a.refunded for a in sim.after_sales if a.refunded is not None]
            customer.first_order = FirstOrder(
                sim.paid, sim.id, sim.status.value, sim.completed, min(refunds, default=None)
            )

    def team(self, team: TeamSim, batch: Batch) -> None:
        """The team row first (orders reference it), then its orders, then the member rows."""
        members = team.members
        paid = sum(1 for m in members if m.sim.paid is not None)
        resolved = team.status is not TeamStatus.FORMING
        batch.add(
            "group_buy_teams",
            (
                team.id,
                team.campaign.id,
                team.leader.id,
                team.store.id,
                team.status.value,
                team.campaign.team_size,
                len(members),
                paid,
                dt(team.opened),
                dt(team.expires),
                dt_opt(team.succeeded),
                dt_opt(team.failed),
                1 + len(members) + resolved,
            ),
        )
        for index, member in enumerate(members):
            self.order(member.sim, batch)
            batch.add(
                "group_buy_team_members",
                (
                    self.ids.next("group_buy_team_members"),
                    team.id,
                    member.customer.id,
                    member.sim.id,
                    index == 0,
                    dt(member.joined),
                    dt_opt(member.sim.paid),
                ),
            )
