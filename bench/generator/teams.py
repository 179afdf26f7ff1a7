"""Group-buy teams (拼团): opened by a group-buy order, filled by later ones, then resolved.

A team's outcome decides its members' orders (TEAM_SUCCEEDED or TEAM_FAILED with a full refund),
so member orders stay in memory until the team fills, expires, or generation ends; then the team
and its orders are written together. Joins are scheduled when a team opens (realistic delays,
some teams never fill) and take the place of the next ordinary order, so the total stays N.
"""

from __future__ import annotations

import heapq
import random
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.generator.common import DAY, HOUR, MINUTE, Ids, between
from bench.generator.lifecycle import Lifecycle
from bench.generator.orders import OrderFactory
from bench.generator.planner import Planner
from bench.generator.showcase import Scenario
from bench.generator.sim import OrderSim
from bench.generator.world import CustomerInfo, GroupCampaign, SkuInfo, StoreInfo, World
from models.enums import Fulfillment, GroupBuyKind, TeamStatus
from models.orders.states import OrderStatus

_JOIN, _EXPIRE = 0, 1
_IN_STORE = frozenset({Fulfillment.SELF_PICKUP.value, Fulfillment.STORE_DELIVERY.value})


@dataclass(slots=True)
class Member:
    customer: CustomerInfo
    sim: OrderSim
    planner: Planner
    joined: float


@dataclass(slots=True)
class TeamSim:
    id: int
    campaign: GroupCampaign
    leader: CustomerInfo
    store: StoreInfo
    sku: SkuInfo
    price: int
    opened: float
    expires: float
    members: list[Member] = field(default_factory=list)
    status: TeamStatus = TeamStatus.FORMING
    succeeded: float | None = None
    failed: float | None = None


class Teams:
    def __init__(
        self,
        rng: random.Random,
        world: World,
        ids: Ids,
        factory: OrderFactory,
        life: Lifecycle,
        planner_for: Callable[[Scenario | None], Planner],
        on_created: Callable[[OrderSim], None],
        on_done: Callable[[TeamSim], None],
    ) -> None:
        self.rng = rng
        self.world = world
        self.ids = ids
        self.factory = factory
        self.life = life
        self.planner_for = planner_for
        self.on_created = on_created
        self.on_done = on_done
        self._heap: list[tuple[float, int, int, TeamSim]] = []
        self._seq = 0
        self._open: dict[int, TeamSim] = {}

    def _schedule(self, at: float, kind: int, team: TeamSim) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, team))

    def _store(
        self, campaign: GroupCampaign, customer: CustomerInfo, ts: float, need: str | None
    ) -> StoreInfo | None:
        def fits(store: StoreInfo) -> bool:
            usable = store.supports & _IN_STORE
            return (
                campaign.covers(store)
                and store.takes_orders(ts)
                and bool(usable)
                and (need is None or need in usable)
            )

        if fits(customer.home):
            return customer.home
        nearby = [s for s in self.world.stores_by_city.get(customer.home.city, ()) if fits(s)]
        pool = nearby or [s for s in self.world.stores if fits(s)]
        return self.rng.choice(pool) if pool else None

    def open(self, ts: float, customer: CustomerInfo, scenario: Scenario | None) -> OrderSim | None:
        """Open a team led by `customer`; None when no group-buy campaign fits (caller falls back)."""
        rng = self.rng
        campaigns = [c for c in self.world.group if c.active_at(ts) and self._under_limit(c, customer)]
        if scenario is not None and scenario.team == "fill":
            campaigns = [c for c in campaigns if c.kind is GroupBuyKind.NORMAL] or campaigns
        need = scenario.fulfillment.value if scenario is not None and scenario.fulfillment else None
        for campaign in rng.sample(campaigns, len(campaigns)):
            store = self._store(campaign, customer, ts, need)
            if store is None or not campaign.skus:
                continue
            expires = min(campaign.ends, ts + campaign.validity_hours * HOUR)
            if expires - ts < HOUR:
                continue  # the campaign ends too soon: nobody opens a team that cannot fill
            sku, price = rng.choice(campaign.skus)
            team = TeamSim(
                self.ids.next("group_buy_teams"), campaign, customer, store, sku, price, ts, expires
            )
            sim = self._member(team, customer, ts, scenario, need)
            self._open[team.id] = team
            self._schedule(expires, _EXPIRE, team)
            for at in self._join_plan(team, scenario):
                self._schedule(at, _JOIN, team)
            return sim
        return None

    def _join_plan(self, team: TeamSim, scenario: Scenario | None) -> list[float]:
        rng = self.rng
        missing = team.campaign.team_size - 1
        window = team.expires - team.opened - 15 * MINUTE
        if window < 30 * MINUTE:
            return []
        if scenario is not None and scenario.team is not None:
            if scenario.team != "fill":
                return []
            return [team.opened + between(rng, 2 * MINUTE, min(3 * HOUR, window)) for _ in range(missing)]
        joins = missing if rng.random() < 0.8 else rng.randint(0, missing - 1)
        return [team.opened + between(rng, 2 * MINUTE, 0.85 * window, 1.3) for _ in range(joins)]

    def _under_limit(self, campaign: GroupCampaign, customer: CustomerInfo) -> bool:
        limit = campaign.per_customer_limit
        return limit is None or customer.group_orders.get(campaign.id, 0) < limit

    def _member(
        self,
        team: TeamSim,
        customer: CustomerInfo,
        ts: float,
        scenario: Scenario | None,
        need: str | None = None,
    ) -> OrderSim:
        sim = self.factory.group(
            ts, customer, team.store, team.sku, team.price, team.campaign.id, team.id, need
        )
        planner = self.planner_for(scenario)
        self.life.run(sim, planner)
        team.members.append(Member(customer, sim, planner, ts))
        counts = customer.group_orders
        counts[team.campaign.id] = counts.get(team.campaign.id, 0) + 1
        self.on_created(sim)
        return sim

    def _joiner(self, team: TeamSim, ts: float) -> CustomerInfo | None:
        rng = self.rng
        world = self.world
        taken = {m.customer.id for m in team.members}
        new_only = team.campaign.kind is GroupBuyKind.NEW_USER_LED
        known = world.customers_before(ts)
        recent = bisect_left(world.registered, ts - 30 * DAY)
        for _ in range(15):
            if new_only:
                if recent >= known:
                    return None
                candidate = world.customers[rng.randrange(recent, known)]
            else:
                found = world.pick_customer(rng, ts)
                if found is None:
                    return None
                candidate = found
            if candidate.id in taken or not self._under_limit(team.campaign, candidate):
                continue
            if new_only and candidate.first_paid is not None and candidate.first_paid <= ts:
                continue
            return candidate
        return None

    def process(self, until: float, take_slot: Callable[[], bool]) -> None:
        """Joins and expiries due by `until`; a join happens only if `take_slot` grants an order."""
        heap = self._heap
        while heap and heap[0][0] <= until:
            at, _, kind, team = heapq.heappop(heap)
            if team.status is not TeamStatus.FORMING:
                continue
            if kind == _EXPIRE:
                self._fail(team)
            elif len(team.members) < team.campaign.team_size and at < team.expires:
                customer = self._joiner(team, at)
                if customer is not None and take_slot():
                    self._member(team, customer, at, None)
                    self._maybe_succeed(team)

    def _maybe_succeed(self, team: TeamSim) -> None:
        members = team.members
        if len(members) < team.campaign.team_size:
            return
        paid = [m.sim.paid for m in members]
        if any(p is None for p in paid):
            return
        last = max(p for p in paid if p is not None)
        at = last + min(between(self.rng, 1, 5), (self.world.now - last) / 2)
        team.status = TeamStatus.SUCCEEDED
        team.succeeded = at
        for m in members:
            self.life.team_result(m.sim, m.planner, True, at)
        self._done(team)

    def _fail(self, team: TeamSim) -> None:
        team.status = TeamStatus.FAILED
        team.failed = team.expires
        for m in team.members:
            if m.sim.status is OrderStatus.AWAITING_GROUP:
                self.life.team_result(m.sim, m.planner, False, team.expires)
            elif m.sim.status is OrderStatus.PENDING_PAYMENT:
                raise AssertionError("an unpaid member in an expired team")
        self._done(team)

    def _done(self, team: TeamSim) -> None:
        del self._open[team.id]
        self.on_done(team)

    def finish(self) -> None:
        """Generation reached `now`: expired teams fail, the others are still forming."""
        self.process(self.world.now, lambda: False)
        for team in list(self._open.values()):
            self._done(team)
