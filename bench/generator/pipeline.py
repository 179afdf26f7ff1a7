"""The order loop: walk the timeline, place and simulate orders, hand out batches in chunks.

Memory stays flat at any N: a chunk's rows are yielded once about `chunk` orders were placed and
then dropped; only group-buy orders whose team is still open wait in memory (a day at most).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from bench.generator.after_sales import AfterSales
from bench.generator.common import Batch, Ids
from bench.generator.emit import Emitter
from bench.generator.lifecycle import Lifecycle
from bench.generator.orders import OrderFactory
from bench.generator.planner import Planner, ScriptPlanner
from bench.generator.showcase import Scenario, showcase_slots
from bench.generator.sim import Numbers, OrderSim
from bench.generator.teams import Teams, TeamSim
from bench.generator.timeline import Timeline
from bench.generator.visits import Visits
from bench.generator.world import World
from models.enums import OrderType

GROUP_SHARE = 0.035
"""Share of ordinary slots that open a group-buy team (joins add about twice as many orders)."""
PRE_ORDER_SHARE = 0.04


class Simulation:
    """`on_placed(n)` hears the number of orders placed so far, every 1 % of `orders` and at the end.

    It is called from the thread that runs `chunks`, while the rows are still being simulated.
    """

    def __init__(
        self,
        rng: random.Random,
        world: World,
        ids: Ids,
        orders: int,
        seed: int,
        on_placed: Callable[[int], None] | None = None,
    ) -> None:
        self.rng = rng
        self.world = world
        self.ids = ids
        self.orders = orders
        numbers = Numbers()
        self.after_sales = AfterSales(rng, world.now)
        self.natural = Planner(rng, self.after_sales, world.now)
        self.factory = OrderFactory(rng, world, numbers)
        self.life = Lifecycle(rng, world, self.after_sales)
        self.emitter = Emitter(rng, ids, world.now)
        self.visits = Visits(rng, world, ids, seed, orders)
        self.batch = Batch()
        self.placed = 0
        self._on_placed = on_placed
        self._report_every = max(1, orders // 100)
        self.teams = Teams(
            rng, world, ids, self.factory, self.life, self._planner, self._created, self._team_done
        )
        self.timeline = Timeline(rng, orders, world.now, showcase_slots(rng, orders, world.now))
        self._droppable_left = self.timeline.bulk
        self._debt = 0

    def _planner(self, scenario: Scenario | None) -> Planner:
        if scenario is None:
            return self.natural
        return ScriptPlanner(self.rng, self.after_sales, self.world.now, scenario)

    def _created(self, sim: OrderSim) -> None:
        self.placed += 1
        if self._on_placed is not None and self.placed % self._report_every == 0:
            self._on_placed(self.placed)
        self.visits.checkout(sim, self.batch)

    def _team_done(self, team: TeamSim) -> None:
        self.emitter.team(team, self.batch)

    def _take_slot(self) -> bool:
        """A team join replaces the next ordinary order, if one is left to replace."""
        if self._droppable_left - self._debt <= 0:
            return False
        self._debt += 1
        return True

    def chunks(self, size: int) -> Iterator[tuple[Batch, int]]:
        """(rows, orders placed) per chunk; the last chunk also holds the still-open teams."""
        reported = 0
        for ts, scenario in self.timeline:
            self.teams.process(ts, self._take_slot)
            if scenario is None:
                self._droppable_left -= 1
                if self._debt:
                    self._debt -= 1
                    continue
            self._place(ts, scenario)
            if self.placed - reported >= size:
                yield self._flush(), self.placed - reported
                reported = self.placed
        self.teams.finish()
        if self._on_placed is not None and self.placed % self._report_every:
            self._on_placed(self.placed)
        yield self._flush(), self.placed - reported

    def _flush(self) -> Batch:
        batch, self.batch = self.batch, Batch()
        return batch

    def _place(self, ts: float, scenario: Scenario | None) -> None:
        rng = self.rng
        world = self.world
        customer = world.pick_customer(rng, ts)
        if customer is None:
            customer = world.customers[0]
        self.visits.browse(ts, self.batch)
        wants_group = (
            scenario.order_type is OrderType.GROUP_BUY if scenario is not None else rng.random() < GROUP_SHARE
        )
        if wants_group and self.teams.open(ts, customer, scenario) is not None:
            return
        pre_order = scenario is None and rng.random() < PRE_ORDER_SHARE
        sim = self.factory.normal(ts, customer, scenario if not wants_group else None, pre_order)
        self._created(sim)
        self.life.run(sim, self._planner(scenario if not wants_group else None))
        self.emitter.order(sim, self.batch)
