"""`couponAggregate` against a plain GROUP BY done by hand in Python: random dimensions × measures
× filters × roles × time fields, on SQLite and PostgreSQL (like tests/api/test_analytics_aggregates.py).

The shop: three stores, two templates (one a 商家券 of store A), coupons of every type, cause and
state issued over three weeks, some used in paid orders at A, B or the HQ warehouse (one order with a
goods and a shipping coupon, whose sales count once), each with its coupon layer.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gql.ids import encode_id
from models.coupons.rows import CouponTemplate, CustomerCoupon, OrderAdjustment
from models.coupons.rules import CouponIssueCause, CouponStatus, CouponThreshold, CouponType
from models.enums import OrderChannel, Role
from models.orders.rows import Order, OrderLine
from models.orders.states import OrderStatus
from models.pricing.cart import Layer
from models.principals import Principal
from tests.api.aggregate_oracle import time_key
from tests.api.conftest import Api
from tests.conftest import Database
from tests.factories import T0, Seed

DIMENSIONS = (
    *("COUPON_TEMPLATE", "COUPON_TYPE", "ISSUE_CAUSE", "COUPON_STATUS", "CAMPAIGN", "STORE", "CHANNEL"),
    *("HOUR", "DAY", "WEEK", "MONTH", "HOUR_OF_DAY", "DAY_OF_WEEK"),
)
MEASURES = (
    *("ISSUED", "USED", "EXPIRED", "VOIDED", "USAGE_RATE", "DISTINCT_CUSTOMERS", "DISCOUNT_SUM"),
    *("ORDERS", "GMV"),
)
AGGREGATE = """query ($m: [CouponMeasure!]!, $g: [AggregateDimension!], $t: AggregateTimeField!,
  $r: DateRange, $f: CouponFilter) {
  agg: couponAggregate(measures: $m, groupBy: $g, top: 200, timeField: $t, range: $r, filter: $f) {
    source groupCount
    rows {
      keys { dimension value couponTemplate { id } store { id } campaign { id } }
      values { measure value money { cents } }
    }
    totals { measure value }
  }
}"""


async def coupon_shop(seed: Seed, db: Database) -> None:
    rng = random.Random(26)
    a, b, c = await seed.store("CPA"), await seed.store("CPB"), await seed.store("CPC")
    _, (sku,) = await seed.product("券商品", prices=(3000,))
    customers = [await seed.customer() for _ in range(4)]
    async with db.sessions() as s, s.begin():
        common: dict[str, Any] = {"threshold_kind": CouponThreshold.AMOUNT, "total_stock": 100}
        common |= {"threshold": 0, "valid_days": 30}
        templates = [
            CouponTemplate(code="CP-ALL", name="全场", type=CouponType.ALL, amount_off=300, **common),
            CouponTemplate(
                code="CP-A", name="A店", type=CouponType.STORE, amount_off=500, store_ids=[a.id], **common
            ),
        ]
        for t in templates:
            t.created_at = t.updated_at = T0
        s.add_all(templates)
    orders = []
    for i, (store, channel) in enumerate(
        [
            (a, OrderChannel.MINI_PROGRAM),
            (b, OrderChannel.APP),
            (None, OrderChannel.H5),
            (a, OrderChannel.APP),
        ]
    ):
        paid = T0 + timedelta(days=2 * i, hours=5 * i)
        order = await seed.order(
            store, customers[i], [(sku, 3)], status=OrderStatus.COMPLETED, created_at=paid, channel=channel
        )
        orders.append(order)
    async with db.sessions() as s, s.begin():
        for o in orders[:2]:  # partly refunded
            row = await s.get(Order, o.id)
            assert row is not None
            row.refunded_amount = 700
        line = await s.scalar(select(OrderLine).where(OrderLine.order_id == orders[0].id))
        assert line is not None
        line.refunded_quantity = 1  # takes back a third of its goods coupon's share
    kinds = [
        (CouponType.ALL, 0, None),
        (CouponType.STORE, 1, [a.id]),
        (CouponType.SHIPPING, None, None),
        (CouponType.CAMPAIGN, None, [b.id]),
        (CouponType.PRODUCT, None, [c.id]),
    ]
    uses = {0: 0, 1: 0, 2: 1, 5: 2, 7: 3, 8: 1}  # coupon index → order; 0 and 1 share order 0
    async with db.sessions() as s, s.begin():
        for i in range(24):
            kind, template, stores = kinds[i % len(kinds)]
            if i == 1:  # with coupon 0 (a goods coupon) on order 0
                kind, template, stores = CouponType.SHIPPING, None, None
            used = uses.get(i)
            status = (
                CouponStatus.USED
                if used is not None
                else rng.choice(
                    [CouponStatus.UNUSED, CouponStatus.EXPIRED, CouponStatus.VOIDED, CouponStatus.LOCKED]
                )
            )
            issued = T0 - timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 23))
            coupon = CustomerCoupon(
                code=f"CPN{i:04d}",
                customer_id=customers[i % 4].id,
                template_id=templates[template].id if template is not None else None,
                type=kind,
                amount=300,
                threshold_kind=CouponThreshold.AMOUNT,
                min_spend=0,
                store_ids=stores,
                title=f"券{i}",
                campaign_id=None,
                issue_cause=CouponIssueCause.CLAIM if i % 3 else CouponIssueCause.INVITE,
                status=status,
                issued_at=issued,
                expires_at=issued + timedelta(days=30),
                used_order_id=orders[used].id if used is not None else None,
                used_at=orders[used].paid_at if used is not None else None,
            )
            s.add(coupon)
            await s.flush()
            if used is not None and i != 8:  # coupon 8 is USED but its layer is missing: it counts 0
                layer = Layer.SHIPPING_COUPON if kind is CouponType.SHIPPING else Layer.COUPON
                s.add(
                    OrderAdjustment(
                        order_id=orders[used].id,
                        layer=layer,
                        label=f"券{i}",
                        amount=100 + 10 * i,
                        source_id=coupon.id,
                        line_shares=[100 + 10 * i],
                    )
                )


async def _facts(db: Database, principal: Principal) -> list[dict[str, Any]]:
    async with db.sessions() as s:
        coupons = (await s.scalars(select(CustomerCoupon))).all()
        orders = {o.id: o for o in (await s.scalars(select(Order))).all()}
        refunded = {
            line.order_id: (line.refunded_quantity, line.quantity)
            for line in (await s.scalars(select(OrderLine))).all()
        }
        layers = {  # net of the goods coupon's share of refunded units: floor(share × refunded / qty)
            (a.order_id, a.source_id): a.amount
            - (
                a.line_shares[0] * refunded[a.order_id][0] // refunded[a.order_id][1]
                if a.layer is Layer.COUPON
                else 0
            )
            for a in (await s.scalars(select(OrderAdjustment))).all()
            if a.layer in (Layer.COUPON, Layer.SHIPPING_COUPON)
        }
    first: dict[int, int] = {}
    for coupon in sorted(coupons, key=lambda x: x.id):
        if coupon.status is CouponStatus.USED and coupon.used_order_id is not None:
            first.setdefault(coupon.used_order_id, coupon.id)
    rows = []
    for coupon in coupons:
        order = orders.get(coupon.used_order_id or 0) if coupon.status is CouponStatus.USED else None
        if order is not None and order.paid_at is None:
            order = None
        if principal.role is Role.STORE_STAFF:
            valid = coupon.store_ids is None or bool(set(coupon.store_ids) & principal.store_ids)
            if not valid or (order is not None and order.store_id not in principal.store_ids):
                continue
        rows.append(
            {
                "coupon_template": None
                if coupon.template_id is None
                else encode_id("CouponTemplate", coupon.template_id),
                "coupon_type": coupon.type.value,
                "issue_cause": coupon.issue_cause.value,
                "coupon_status": coupon.status.value,
                "campaign": None,
                "store": None
                if order is None or order.store_id is None
                else encode_id("Store", order.store_id),
                "channel": None if order is None else order.channel.value,
                "issued_at": coupon.issued_at,
                "used_at": coupon.used_at,
                "customer_id": coupon.customer_id,
                "status": coupon.status,
                "order_id": None if order is None else order.id,
                "discount": 0 if order is None else layers.get((order.id, coupon.id), 0),
                "gmv": 0
                if order is None or first.get(order.id) != coupon.id
                else order.paid_amount - order.refunded_amount,
                "store_id": None if order is None else order.store_id,
            }
        )
    return rows


def _measure(name: str, rows: list[dict[str, Any]]) -> float | None:
    count = {s: sum(1 for r in rows if r["status"] is s) for s in CouponStatus}
    measures: dict[str, Callable[[], float | None]] = {
        "ISSUED": lambda: len(rows),
        "USED": lambda: count[CouponStatus.USED],
        "EXPIRED": lambda: count[CouponStatus.EXPIRED],
        "VOIDED": lambda: count[CouponStatus.VOIDED],
        "USAGE_RATE": lambda: count[CouponStatus.USED] / len(rows) if rows else None,
        "DISTINCT_CUSTOMERS": lambda: len({r["customer_id"] for r in rows}),
        "DISCOUNT_SUM": lambda: sum(r["discount"] for r in rows),
        "ORDERS": lambda: len({r["order_id"] for r in rows} - {None}),
        "GMV": lambda: sum(r["gmv"] for r in rows),
    }
    return measures[name]()


def _viewer(api: Api, role: str, store_id: int) -> tuple[Api, Principal]:
    if role == "staff":
        return api.as_staff(store_id), Principal(Role.STORE_STAFF, "s", store_ids=frozenset({store_id}))
    if role == "hq":
        return api.as_hq(), Principal(Role.HQ_ADMIN, "h")
    return api.as_role(Role.ANALYST), Principal(Role.ANALYST, "a")


@pytest.fixture
def api_settings() -> dict[str, Any]:
    """Examples draw from one principal's bucket faster than it refills: no rate limit (the cost of
    each query is still checked against the role's budget)."""
    return {"rate_limit_enabled": False}


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), role=st.sampled_from(("hq", "analyst", "staff", "staff_b")))
async def test_coupon_aggregates_match_a_hand_made_group_by(
    api: Api, db: Database, seed: Seed, data: st.DataObject, role: str
) -> None:
    async with db.sessions() as session:
        built = await session.scalar(select(CustomerCoupon.id).limit(1)) is not None
    if not built:  # examples share one shop
        await coupon_shop(seed, db)
    async with db.sessions() as session:
        stores = (await session.scalars(select(Order.store_id).where(Order.store_id.is_not(None)))).all()
    store_id = sorted({s for s in stores if s is not None})[1 if role == "staff_b" else 0]
    viewer, principal = _viewer(api, role.removesuffix("_b"), store_id)
    dimensions = data.draw(st.lists(st.sampled_from(DIMENSIONS), max_size=3, unique=True))
    measures = data.draw(st.lists(st.sampled_from(MEASURES), min_size=1, max_size=4, unique=True))
    time_field = data.draw(st.sampled_from(("ISSUED_AT", "USED_AT")))
    variables: dict[str, Any] = {"m": measures, "g": dimensions, "t": time_field}
    zone = api.settings.zone
    facts = await _facts(db, principal)
    days: tuple[date, date] | None = None
    if data.draw(st.booleans()):
        first = T0.date() - timedelta(days=data.draw(st.integers(0, 10)))
        days = (first, first + timedelta(days=data.draw(st.integers(0, 8))))
        variables["r"] = {"from": days[0].isoformat(), "to": days[1].isoformat()}
        moment = time_field.lower()
        facts = [
            r
            for r in facts
            if r[moment] is not None and days[0] <= r[moment].astimezone(zone).date() <= days[1]
        ]
    if data.draw(st.booleans()):
        statuses = data.draw(
            st.lists(st.sampled_from([s.value for s in CouponStatus]), min_size=1, unique=True)
        )
        variables["f"] = {"statuses": statuses}
        facts = [r for r in facts if r["coupon_status"] in statuses]
    r = await viewer.execute(AGGREGATE, **variables)
    assert r.errors == [], r.errors
    got = r.data["agg"]
    assert got["source"] == "RAW"
    own = {"COUPON_TEMPLATE": "couponTemplate", "STORE": "store", "CAMPAIGN": "campaign"}
    for key in (k for row in got["rows"] for k in row["keys"]):  # each expands its own entity only
        mine = own.get(key["dimension"]) if key["value"] is not None else None
        for name in own.values():
            assert key[name] == ({"id": key["value"]} if name == mine else None), key
    groups: dict[tuple[str | None, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in facts:
        row_key: list[str | None] = []
        for d in dimensions:
            if d in ("HOUR", "DAY", "WEEK", "MONTH", "HOUR_OF_DAY", "DAY_OF_WEEK"):
                row_key.append(time_key(d, row[time_field.lower()], zone))
            else:
                row_key.append(row[d.lower()])
        groups[tuple(row_key)].append(row)
    if not dimensions and not facts:
        groups[()] = []
    expected = {k: [_measure(m, rows) for m in measures] for k, rows in groups.items()}
    answered = {
        tuple(k["value"] for k in row["keys"]): [v["value"] for v in row["values"]] for row in got["rows"]
    }
    assert got["groupCount"] == len(expected)
    assert answered.keys() == expected.keys()
    for key, values in expected.items():
        assert answered[key] == pytest.approx(values), (key, measures)
    assert [t["value"] for t in got["totals"]] == pytest.approx([_measure(m, facts) for m in measures])
