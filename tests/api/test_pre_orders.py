"""Pre-orders (预订单): booking a time at a store that takes them, the booking tabs, the reminders.

placeOrder reads the real clock, so hours are built around it; the sweeper runs at fixed times.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from gql.ids import encode_id
from models.base import utcnow
from models.catalog.rows import StoreSku
from models.orders.rows import Order, OrderEvent
from models.stores.rows import Store
from services.commands import Deps
from services.event_bus import EventNotice, MemoryBus
from services.sweeps import run_sweeps
from tests.api.conftest import Api
from tests.api.order_flow import ACCEPT, PAY, PLACE, Shop, key, ok, open_shop
from tests.conftest import Database
from tests.factories import Seed

SH = ZoneInfo("Asia/Shanghai")
PLACE_ERRORS = (
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {"
    " order { id bookedFor bookingState status } userErrors { code field message extensions } } }"
)
EVENTS = "query($id: ID!) { node(id: $id) { ... on Order { status events { action payload } } } }"


def _minute(delta: timedelta) -> datetime:
    return (datetime.now(UTC) + delta).astimezone(SH).replace(second=0, microsecond=0)


async def _closed_for(db: Database, store: Store, opens_in: timedelta, *, takes: bool = True) -> datetime:
    """Open for 4 hours a week from `opens_in` from now (closed now); takes pre-orders; the opening."""
    opens = _minute(opens_in)
    close = opens + timedelta(hours=4)
    hours = [{"weekday": opens.isoweekday(), "open": f"{opens:%H:%M}", "close": f"{close:%H:%M}"}]
    async with db.sessions() as s, s.begin():
        await s.execute(
            update(Store)
            .where(Store.id == store.id)
            .values(business_hours=hours, takes_pre_orders=takes, pre_order_days=2)
        )
    return opens.astimezone(UTC)


def _booked(shop: Shop, when: datetime) -> dict[str, Any]:
    return {**shop.order_input(), "bookedFor": when.isoformat()}


async def _stock(db: Database) -> set[int]:
    async with db.sessions() as s:
        return set((await s.scalars(select(StoreSku.stock))).all())


async def test_a_closed_store_that_takes_pre_orders_takes_a_booked_time(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    opens = await _closed_for(db, shop.a, timedelta(hours=3))
    shopper = api.as_shopper(shop.customer_id)

    # without a booked time it is still closed, and says a booking would be taken
    r = await shopper.execute(PLACE_ERRORS, input=shop.order_input())
    [error] = r.data["placeOrder"]["userErrors"]
    assert error["code"] == "STORE_CLOSED"
    assert error["extensions"] == {"nextOpeningAt": opens.isoformat(), "takesPreOrders": True}

    booked = opens + timedelta(hours=1)
    r = await shopper.execute(PLACE_ERRORS, input=_booked(shop, booked))
    order = r.data["placeOrder"]["order"]
    assert r.data["placeOrder"]["userErrors"] == []
    assert order["bookedFor"] == booked.isoformat()
    assert order["bookingState"] is None  # unpaid: the store owes nothing yet
    async with db.sessions() as s:
        row = (await s.scalars(select(Order))).one()
    assert (row.booked_for, row.accept_from) == (booked, opens)

    paid = ok(
        await shopper.execute(
            PAY, input={"orderId": order["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ),
        "payOrder",
    )
    assert paid["status"] == "PENDING_ACCEPTANCE"
    r = await api.as_staff(shop.a.id).execute(EVENTS.replace("status", "status bookingState"), id=order["id"])
    assert r.data["node"]["bookingState"] == "NOT_YET"


async def test_a_booked_time_is_checked_and_a_refusal_reserves_nothing(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)
    opens = await _closed_for(db, shop.a, timedelta(hours=3))
    shopper = api.as_shopper(shop.customer_id)

    async def refused(when: datetime) -> dict[str, Any]:
        r = await shopper.execute(PLACE_ERRORS, input=_booked(shop, when))
        assert r.errors == []
        assert r.data["placeOrder"]["order"] is None
        [error] = r.data["placeOrder"]["userErrors"]
        assert error["field"] == ["input", "bookedFor"]
        return dict(error)

    assert (await refused(opens - timedelta(minutes=30)))["code"] == "BOOKING_OUTSIDE_HOURS"
    outside = await refused(opens + timedelta(hours=5))
    assert outside["code"] == "BOOKING_OUTSIDE_HOURS"
    assert outside["extensions"] == {"nextOpeningAt": (opens + timedelta(days=7)).isoformat()}
    assert (await refused(opens + timedelta(days=7, minutes=10)))["code"] == "BOOKING_TOO_FAR"
    assert (await refused(datetime.now(UTC) + timedelta(minutes=5)))["code"] == "BOOKING_TOO_SOON"
    assert (await refused(datetime.now(UTC) - timedelta(hours=1)))["code"] == "BOOKING_TOO_SOON"
    await _closed_for(db, shop.a, timedelta(hours=3), takes=False)
    assert (await refused(opens + timedelta(hours=1)))["code"] == "PRE_ORDERS_NOT_TAKEN"
    assert await _stock(db) == {10}
    async with db.sessions() as s:
        assert (await s.scalars(select(Order))).all() == []


async def test_an_open_store_that_takes_pre_orders_may_be_booked_ahead(
    api: Api, seed: Seed, db: Database
) -> None:
    shop = await open_shop(seed)  # open around the clock
    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).where(Store.id == shop.a.id).values(takes_pre_orders=True))
    booked = _minute(timedelta(hours=2)).astimezone(UTC)
    r = await api.as_shopper(shop.customer_id).execute(PLACE_ERRORS, input=_booked(shop, booked))
    assert r.data["placeOrder"]["order"]["bookedFor"] == booked.isoformat()
    async with db.sessions() as s:
        row = (await s.scalars(select(Order))).one()
    assert row.accept_from is None  # accepted as usual, now


BOOKING_LIST = """query($filter: OrderFilter, $q: String) {
  orders(filter: $filter, query: $q, first: 10) { edges { node { orderNo bookingState } } }
  orderBookingCounts(filter: $filter, query: $q) { state label count } }"""


async def test_booking_states_filter_query_and_tabs(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    async with db.sessions() as s, s.begin():
        await s.execute(update(Store).where(Store.id == shop.a.id).values(takes_pre_orders=True))
    shopper = api.as_shopper(shop.customer_id)
    numbers: dict[str, str] = {}
    for state, delta in (("NOT_YET", timedelta(hours=3)), ("SOON", timedelta(minutes=40))):
        r = await shopper.execute(PLACE_ERRORS, input=_booked(shop, _minute(delta)))
        numbers[state] = r.data["placeOrder"]["order"]["id"]
    numbers["OVERDUE"] = ok(
        await shopper.execute(PLACE, input=_booked(shop, _minute(timedelta(hours=1)))), "placeOrder"
    )["id"]
    ordinary = ok(await shopper.execute(PLACE, input=shop.order_input()), "placeOrder")
    for order_id in [*numbers.values(), ordinary["id"]]:
        pay = {"orderId": order_id, "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ok(await shopper.execute(PAY, input=pay), "payOrder")
    async with db.sessions() as s, s.begin():  # the third booking's time has passed
        overdue = (await s.scalars(select(Order).order_by(Order.id))).all()[2]
        overdue.booked_for = utcnow() - timedelta(minutes=10)
        order_nos = [o.order_no for o in (await s.scalars(select(Order).order_by(Order.id))).all()]

    staff = api.as_staff(shop.a.id)
    r = await staff.execute(BOOKING_LIST)
    assert r.errors == []
    assert r.data["orderBookingCounts"] == [
        {"state": "NOT_YET", "label": "未到时", "count": 1},
        {"state": "SOON", "label": "即将到时", "count": 1},
        {"state": "OVERDUE", "label": "已超时", "count": 1},
    ]
    states = {e["node"]["orderNo"]: e["node"]["bookingState"] for e in r.data["orders"]["edges"]}
    assert states == dict(zip(order_nos, ["NOT_YET", "SOON", "OVERDUE", None], strict=True))

    for filter_, query in (({"bookingState": ["SOON", "OVERDUE"]}, None), (None, "booking:即将到时,OVERDUE")):
        r = await staff.execute(BOOKING_LIST, filter=filter_, q=query)
        assert {e["node"]["orderNo"] for e in r.data["orders"]["edges"]} == set(order_nos[1:3])
        assert [c["count"] for c in r.data["orderBookingCounts"]] == [0, 1, 1]
    r = await staff.execute(BOOKING_LIST, q="preorder:false")
    assert [e["node"]["orderNo"] for e in r.data["orders"]["edges"]] == [order_nos[3]]
    r = await staff.execute(BOOKING_LIST, q="-booking:NOT_YET preorder:true")
    assert {e["node"]["orderNo"] for e in r.data["orders"]["edges"]} == set(order_nos[1:3])

    # once the store has shipped a booked order, it has no booking state any more
    accepted = ok(await staff.execute(ACCEPT, input={"orderId": numbers["OVERDUE"]}), "acceptOrder")
    assert accepted["status"] == "PENDING_SHIPMENT"
    async with db.sessions() as s, s.begin():
        await s.execute(update(Order).where(Order.order_no == order_nos[2]).values(status="SHIPPED"))
    r = await staff.execute(BOOKING_LIST, q="booking:OVERDUE")
    assert r.data["orders"]["edges"] == []

    r = await staff.execute(BOOKING_LIST, q="booking:LATE")
    assert r.error_codes == ["INVALID_QUERY_SYNTAX"]


class _Recorded(MemoryBus):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[EventNotice] = []

    async def publish(self, notices: Sequence[EventNotice]) -> None:
        self.published.extend(notices)
        await super().publish(notices)


def _deps(api: Api, db: Database, bus: MemoryBus | None = None) -> Deps:
    return Deps(db.sessions, api.gateway, bus=bus or MemoryBus())


async def test_reminders_come_once_at_the_right_time(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    opens = await _closed_for(db, shop.a, timedelta(hours=3))
    shopper = api.as_shopper(shop.customer_id)
    booked = opens + timedelta(hours=2)
    r = await shopper.execute(PLACE_ERRORS, input=_booked(shop, booked))
    order_id = r.data["placeOrder"]["order"]["id"]
    pay = {"orderId": order_id, "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
    ok(await shopper.execute(PAY, input=pay), "payOrder")

    # closed: no acceptance timeout and no reminder, however long before the opening
    report = await run_sweeps(_deps(api, db), opens - timedelta(minutes=1))
    assert (report.acceptance_timeouts, report.booking_accept_reminders) == (0, 0)
    async with db.sessions() as s:
        version = (await s.scalars(select(Order.version))).one()
    bus = _Recorded()
    report = await run_sweeps(_deps(api, db, bus), opens)
    assert (report.acceptance_timeouts, report.booking_accept_reminders) == (0, 1)
    assert [(n.type, n.store_id) for n in bus.published] == [("BOOKING_ACCEPT_DUE", shop.a.id)]
    assert (await run_sweeps(_deps(api, db), opens + timedelta(minutes=1))).booking_accept_reminders == 0
    staff = api.as_staff(shop.a.id)
    events = (await staff.execute(EVENTS, id=order_id)).data["node"]["events"]
    assert events[-1] == {
        "action": None,
        "payload": {"event": "BOOKING_ACCEPT_DUE", "bookedFor": booked.isoformat()},
    }
    async with db.sessions() as s:
        assert (await s.scalars(select(Order.version))).one() == version  # a reminder changes no state

    ok(await staff.execute(ACCEPT, input={"orderId": order_id}), "acceptOrder")
    lead = timedelta(minutes=45)
    assert (
        await run_sweeps(_deps(api, db), booked - lead - timedelta(minutes=1))
    ).booking_pick_reminders == 0
    later = booked - lead
    reports = await asyncio.gather(run_sweeps(_deps(api, db), later), run_sweeps(_deps(api, db), later))
    assert sum(r.booking_pick_reminders for r in reports) == 1
    events = (await staff.execute(EVENTS, id=order_id)).data["node"]["events"]
    assert [e["payload"].get("event") for e in events if e["action"] is None] == [
        None,
        "BOOKING_ACCEPT_DUE",
        "BOOKING_PICK_DUE",
    ]
    async with db.sessions() as s:
        kinds = (await s.scalars(select(OrderEvent.payload).order_by(OrderEvent.id))).all()
    assert len(kinds) == 5  # placed, paid, accept reminder, accepted, pick reminder


async def test_an_unaccepted_pre_order_times_out_from_the_opening(api: Api, seed: Seed, db: Database) -> None:
    shop = await open_shop(seed)
    opens = await _closed_for(db, shop.a, timedelta(hours=3))
    shopper = api.as_shopper(shop.customer_id)
    r = await shopper.execute(PLACE_ERRORS, input=_booked(shop, opens + timedelta(hours=1)))
    order_id = r.data["placeOrder"]["order"]["id"]
    pay = {"orderId": order_id, "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
    ok(await shopper.execute(PAY, input=pay), "payOrder")
    assert (await run_sweeps(_deps(api, db), opens + timedelta(minutes=14))).acceptance_timeouts == 0
    assert (await run_sweeps(_deps(api, db), opens + timedelta(minutes=16))).acceptance_timeouts == 1
    assert (await api.as_hq().execute(EVENTS, id=order_id)).data["node"]["status"] == "PENDING_ALLOCATION"


async def test_store_staff_set_pre_orders_within_bounds(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    update_store = """mutation($input: UpdateStoreInput!) { updateStore(input: $input) {
      store { takesPreOrders preOrderDays } userErrors { code field } } }"""
    store_id = encode_id("Store", shop.a.id)
    staff = api.as_staff(shop.a.id)
    r = await staff.execute(
        update_store, input={"storeId": store_id, "takesPreOrders": True, "preOrderDays": 3}
    )
    assert r.data["updateStore"] == {"store": {"takesPreOrders": True, "preOrderDays": 3}, "userErrors": []}
    r = await staff.execute(update_store, input={"storeId": store_id, "preOrderDays": 15})
    assert r.data["updateStore"]["userErrors"] == [
        {"code": "BAD_USER_INPUT", "field": ["input", "preOrderDays"]}
    ]
