"""Parcels (包裹) and their carrier traces (物流轨迹).

A parcel takes every unit that is neither refunded nor already shipped (or, for a split shipment,
a part of them), so parcel lines always cover the shipped quantities exactly once. Traces are
planned to delivery when the parcel leaves; only those before `now` are written, which is how an
order still in SHIPPED shows a parcel in transit.
"""

from __future__ import annotations

import random

from bench.generator.common import DAY, HOUR, MINUTE, Weighted, between, local_date, scramble
from bench.generator.sim import LineSim, OrderSim, ParcelSim, TraceSim
from bench.generator.vocabulary import CITIES, EXPRESS_CARRIERS, HQ_WAREHOUSE, STORE_CARRIER, TRACE_SIGNERS
from models.enums import Fulfillment, TraceState

_CARRIERS = Weighted(
    [
        (EXPRESS_CARRIERS[0], 0.4),
        (EXPRESS_CARRIERS[1], 0.25),
        (EXPRESS_CARRIERS[2], 0.2),
        (EXPRESS_CARRIERS[3], 0.15),
    ]
)
_COLLECTED = TraceState.COLLECTED.value
_TRANSIT = TraceState.IN_TRANSIT.value
_OUT = TraceState.OUT_FOR_DELIVERY.value
_DELIVERED = TraceState.DELIVERED.value


def splittable(sim: OrderSim) -> bool:
    """A split shipment needs two lines to ship, or one line with two units."""
    open_lines = [line for line in sim.lines if line.unshipped > 0]
    return len(open_lines) >= 2 or (len(open_lines) == 1 and open_lines[0].unshipped >= 2)


class Shipping:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._store_runs = 0

    def ship(self, sim: OrderSim, at: float, partial: bool) -> ParcelSim:
        open_lines = [line for line in sim.lines if line.unshipped > 0]
        picked = self._part(open_lines) if partial else [(line, line.unshipped) for line in open_lines]
        for line, quantity in picked:
            line.shipped += quantity
        if sim.fulfillment == Fulfillment.STORE_DELIVERY.value:
            parcel = self._store_run(sim, at, picked)
        else:
            parcel = self._express(sim, at, picked)
        sim.parcels.append(parcel)
        return parcel

    def _part(self, open_lines: list[LineSim]) -> list[tuple[LineSim, int]]:
        if len(open_lines) >= 2:
            k = self.rng.randint(1, len(open_lines) - 1)
            return [(line, line.unshipped) for line in open_lines[:k]]
        line = open_lines[0]
        return [(line, self.rng.randint(1, line.unshipped - 1))]

    def _store_run(self, sim: OrderSim, at: float, picked: list[tuple[LineSim, int]]) -> ParcelSim:
        rng = self.rng
        self._store_runs += 1
        where = sim.store.district if sim.store is not None else None
        dest = sim.consignee_place[2] or where
        t1 = at + between(rng, 1, 6) * MINUTE
        t2 = t1 + between(rng, 2, 10) * MINUTE
        t3 = t2 + between(rng, 12, 45, 1.3) * MINUTE
        traces = [
            TraceSim(t1, where, "骑手已到店取货", _COLLECTED),
            TraceSim(t2, dest, "骑手正在配送中，预计30分钟内送达", _OUT),
            TraceSim(t3, dest, "商品已送达，感谢您的耐心等待", _DELIVERED),
        ]
        tracking = f"MD{local_date(at)}{scramble(self._store_runs, 10**6):06d}"
        return ParcelSim(STORE_CARRIER, tracking, at, picked, traces, t3)

    def _express(self, sim: OrderSim, at: float, picked: list[tuple[LineSim, int]]) -> ParcelSim:
        rng = self.rng
        carrier, prefix = _CARRIERS.pick(rng)
        tracking = f"{prefix}{rng.randrange(10**12, 10**13)}"
        origin_city = CITIES[sim.store.city].name if sim.store is not None else "上海市"
        origin = f"{origin_city}{sim.store.district}" if sim.store is not None else HQ_WAREHOUSE
        dest_city = sim.consignee_place[1] or origin_city
        dest_district = sim.consignee_place[2] or ""
        same_city = dest_city == origin_city
        t = at + between(rng, 0.5, 3) * HOUR
        traces = [TraceSim(t, origin, f"【{origin}】{carrier}已揽收", _COLLECTED)]
        hubs = [origin_city] if same_city else [origin_city, dest_city]
        for hub in hubs:
            t += between(rng, 2, 10 if same_city else 20) * HOUR
            traces.append(TraceSim(t, f"{hub}转运中心", f"快件已到达【{hub}转运中心】", _TRANSIT))
            if hub == origin_city and rng.random() < 0.6:
                t += between(rng, 0.5, 3) * HOUR
                nxt = dest_city if hub != dest_city else f"{dest_city}{dest_district}营业部"
                traces.append(
                    TraceSim(
                        t, f"{hub}转运中心", f"快件已从【{hub}转运中心】发出，准备发往【{nxt}】", _TRANSIT
                    )
                )
        t += between(rng, 1, 8) * HOUR
        station = f"{dest_city}{dest_district}营业部"
        traces.append(TraceSim(t, station, f"【{station}】快递员正在为您派件", _OUT))
        t += between(rng, 0.5, 5) * HOUR
        traces.append(TraceSim(t, station, f"快件已签收，签收人：{rng.choice(TRACE_SIGNERS)}", _DELIVERED))
        if t - at > 3.5 * DAY:
            raise AssertionError("transit longer than the auto-complete allowance")
        return ParcelSim(carrier, tracking, at, picked, traces, t)
