"""The generated shop, beyond orders: after-sales and their timelines, exchanges and escalations,
group-buy teams, pre-orders, claims, coupons, price promotions and store deliveries are consistent
with the state tables and the rules the services rely on (test_generator.py: orders and money).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bench.generator import GenerationReport
from models.after_sales.states import (
    AFTER_SALE_ACTORS,
    AFTER_SALE_TRANSITIONS,
    OPEN_AFTER_SALE_STATUSES,
    AfterSaleAction,
    AfterSaleStatus,
)
from models.coupons.rows import CouponTemplate
from models.deliveries.queues import DeliveryQueue
from models.deliveries.stages import STAGE_STATUS, DeliveryStage
from models.enums import ActorType
from models.orders.states import FINAL_STATUSES
from models.principals import SYSTEM_PRINCIPAL
from services.config import RulesConfig
from services.coupons.templates import figures_of
from services.db import session_factory
from services.deliveries.queues import count_queues
from tests.integration import generated_shop as shop


async def test_after_sales_are_consistent(generated: tuple[AsyncEngine, GenerationReport]) -> None:
    engine, _ = generated
    open_values = {s.value for s in OPEN_AFTER_SALE_STATUSES}
    for status, is_open in await shop.rows(
        engine,
        "SELECT a.status, l.is_open FROM after_sales a JOIN after_sale_lines l ON l.after_sale_id = a.id",
    ):
        assert bool(is_open) == (status in open_values)
    doubled = await shop.rows(
        engine,
        "SELECT order_line_id FROM after_sale_lines WHERE is_open GROUP BY order_line_id HAVING count(*) > 1",
    )
    assert doubled == []
    late = await shop.rows(
        engine,
        "SELECT a.id, a.created_at, o.completed_at FROM after_sales a JOIN orders o ON o.id = a.order_id"
        " WHERE o.completed_at IS NOT NULL AND a.created_at >= o.completed_at",
    )
    assert late, "some after-sales follow completion"
    assert all(
        shop.when(created) <= shop.when(completed) + timedelta(days=15) for _, created, completed in late
    )


async def test_after_sale_timeline_follows_its_table(generated: tuple[AsyncEngine, GenerationReport]) -> None:
    engine, _ = generated
    after_sales = {
        r[0]: r[1:] for r in await shop.rows(engine, "SELECT id, status, version FROM after_sales")
    }
    events: dict[int, list[Any]] = defaultdict(list)
    for row in await shop.rows(
        engine,
        "SELECT after_sale_id, action, from_status, to_status, actor_type FROM after_sale_events ORDER BY id",
    ):
        events[row[0]].append(row[1:])
    assert set(events) == set(after_sales)
    for after_sale_id, timeline in events.items():
        status, version = after_sales[after_sale_id]
        previous: str | None = None
        for action, from_status, to_status, actor in timeline:
            assert from_status == previous, after_sale_id
            before = AfterSaleStatus(from_status) if from_status else None
            assert AFTER_SALE_TRANSITIONS[(before, AfterSaleAction(action))].value == to_status, after_sale_id
            assert ActorType(actor) in AFTER_SALE_ACTORS[AfterSaleAction(action)], after_sale_id
            previous = to_status
        assert (previous, version) == (status, len(timeline)), after_sale_id


async def test_exchanges_escalations_and_price_differences_are_shown(
    generated: tuple[AsyncEngine, GenerationReport],
) -> None:
    engine, _ = generated
    kinds = {tuple(r) for r in await shop.rows(engine, "SELECT DISTINCT type, status FROM after_sales")}
    exchange_states = {s for t, s in kinds if t == "EXCHANGE"}
    assert {
        "PENDING_REVIEW",
        "AWAITING_RETURN",
        "RETURN_SHIPPED",
        "AWAITING_RESHIP",
        "RESHIPPED",
    } <= exchange_states
    assert "EXCHANGED" in exchange_states
    assert {s for t, s in kinds if t == "PRICE_DIFFERENCE"} >= {"REFUNDED", "PENDING_REVIEW"}
    moved = await shop.rows(
        engine,
        "SELECT count(*) FROM after_sales a JOIN payment_transactions p ON p.after_sale_id = a.id"
        " WHERE a.type = 'EXCHANGE' OR a.refund_amount != 0 AND a.type = 'EXCHANGE'",
    )
    assert moved == [(0,)]
    escalations = await shop.rows(
        engine,
        "SELECT e.state, a.status FROM after_sale_escalations e JOIN after_sales a ON a.id = e.after_sale_id",
    )
    assert {tuple(r) for r in escalations} >= {
        ("PENDING", "ESCALATED"),
        ("BUYER_SUPPORTED", "REFUNDED"),
        ("STORE_SUPPORTED", "CLOSED"),
    }
    assert all((state == "PENDING") == (status == "ESCALATED") for state, status in escalations)


async def test_group_buy_teams_match_their_members(generated: tuple[AsyncEngine, GenerationReport]) -> None:
    engine, _ = generated
    teams = await shop.rows(
        engine,
        """
        SELECT t.id, t.status, t.team_size, t.member_count, t.paid_count, t.expires_at,
               count(m.id), count(m.paid_at)
        FROM group_buy_teams t LEFT JOIN group_buy_team_members m ON m.team_id = t.id GROUP BY t.id
        """,
    )
    assert {t[1] for t in teams} == {"FORMING", "SUCCEEDED", "FAILED"}
    member_orders: dict[int, set[str]] = defaultdict(set)
    for team_id, status in await shop.rows(
        engine, "SELECT m.team_id, o.status FROM group_buy_team_members m JOIN orders o ON o.id = m.order_id"
    ):
        member_orders[team_id].add(status)
    for team_id, status, size, members, paid, expires_at, counted, counted_paid in teams:
        assert (members, paid) == (counted, counted_paid), team_id
        if status == "SUCCEEDED":
            assert members == paid == size, team_id
            assert not member_orders[team_id] & {"PENDING_PAYMENT", "AWAITING_GROUP"}, team_id
        elif status == "FAILED":
            assert member_orders[team_id] == {"CANCELLED"}, team_id
        else:
            assert shop.when(expires_at) > shop.NOW, team_id
    orphans = await shop.rows(
        engine,
        "SELECT o.id FROM orders o LEFT JOIN group_buy_team_members m ON m.order_id = o.id"
        " WHERE o.type = 'GROUP_BUY' AND (m.id IS NULL OR m.team_id != o.team_id)",
    )
    assert orphans == []


async def test_pre_orders_are_booked_ahead_at_stores_that_take_them(
    generated: tuple[AsyncEngine, GenerationReport],
) -> None:
    engine, _ = generated
    rows = await shop.rows(
        engine,
        "SELECT o.created_at, o.booked_for, s.takes_pre_orders FROM orders o "
        "JOIN stores s ON s.id = o.store_id WHERE o.booked_for IS NOT NULL",
    )
    assert len(rows) > 5  # a few per 300 orders (the count moves with the random stream)
    assert all(takes for _, _, takes in rows)
    assert all(str(booked) > str(created) for created, booked, _ in rows)


async def test_pending_claims_sit_on_delivered_store_deliveries(
    generated: tuple[AsyncEngine, GenerationReport],
) -> None:
    engine, report = generated
    assert report.rows["compensation_claims"] > 0
    rows = await shop.rows(
        engine,
        "SELECT c.state, c.store_id = o.store_id, o.fulfillment, o.delivered_at IS NOT NULL,"
        " c.asked_amount <= o.paid_amount, (SELECT count(*) FROM order_events e WHERE e.order_id = o.id"
        " AND e.action IS NULL AND e.from_status IS NOT NULL) FROM compensation_claims c"
        " JOIN orders o ON o.id = c.order_id",
    )
    assert {tuple(r) for r in rows} == {("PENDING", True, "STORE_DELIVERY", True, True, 1)}


async def test_coupon_issue_rules_demo(generated: tuple[AsyncEngine, GenerationReport]) -> None:
    """One 返券 rule of each kind; issues match the coupons and the stock; assists in every state."""
    engine, _ = generated
    kinds = {k for (k,) in await shop.rows(engine, "SELECT kind FROM coupon_issue_rules")}
    assert kinds == {"ON_REGISTRATION", "ON_INVITE", "ON_ORDER_COMPLETED", "ON_GOOD_REVIEW", "ASSIST"}
    outcomes = await shop.rows(
        engine,
        "SELECT r.kind, i.outcome, COUNT(*) FROM coupon_issues i"
        " JOIN coupon_issue_rules r ON r.id = i.rule_id"
        " GROUP BY r.kind, i.outcome ORDER BY r.kind, i.outcome",
    )
    assert [tuple(o) for o in outcomes] == [
        ("ASSIST", "ISSUED", 1),
        ("ON_REGISTRATION", "ISSUED", 3),
        ("ON_REGISTRATION", "SKIPPED", 2),
    ]
    mismatched = await shop.rows(
        engine,
        "SELECT t.code FROM coupon_templates t JOIN coupon_issue_rules r ON r.template_id = t.id"
        " WHERE t.issued_count != (SELECT COUNT(*) FROM customer_coupons c WHERE c.template_id = t.id)",
    )
    assert mismatched == []
    assists = await shop.rows(
        engine, "SELECT status, helper_count, open_key IS NULL FROM coupon_assists ORDER BY id"
    )
    assert [tuple(a) for a in assists] == [("OPEN", 1, 0), ("COMPLETED", 3, 1), ("EXPIRED", 1, 1)]
    helpers = await shop.rows(engine, "SELECT COUNT(*) FROM coupon_assist_helpers")
    assert helpers[0][0] == 5


async def test_price_promotions_priced_orders_and_hold_their_stock(
    generated: tuple[AsyncEngine, GenerationReport],
) -> None:
    engine, _ = generated
    used = {
        r[0]
        for r in await shop.rows(
            engine,
            "SELECT DISTINCT c.type FROM campaigns c WHERE c.id IN (SELECT source_id FROM order_adjustments"
            " WHERE layer IN ('ITEM', 'ORDER')) OR c.id IN (SELECT campaign_id FROM flash_sale_takes)",
        )
    }
    assert used >= {
        "PRICE_CUT", "FLASH_SALE", "PRODUCT_DISCOUNT", "ORDER_DISCOUNT", "MULTI_BUY_DISCOUNT", "BUY_GIFT",
    }  # fmt: skip
    explained = await shop.rows(
        engine,
        "SELECT o.id, o.discount_amount, sum(a.amount) FROM orders o"
        " JOIN order_adjustments a ON a.order_id = o.id GROUP BY o.id",
    )
    assert explained
    assert all(discount == total for _, discount, total in explained)
    held = "SELECT coalesce(sum(t.quantity), 0) FROM flash_sale_takes t WHERE t.released_at IS NULL AND "
    stock = await shop.rows(
        engine,
        f"SELECT i.sold, i.stock, ({held} t.campaign_id = i.campaign_id AND t.sku_id = i.sku_id)"
        " FROM item_price_skus i WHERE i.stock IS NOT NULL"
        f" UNION ALL SELECT g.given, g.stock, ({held} t.campaign_id = g.campaign_id) FROM buy_gift_rules g",
    )
    assert stock
    assert all(sold == taken <= total for sold, total, taken in stock)


async def test_store_deliveries_rest_in_every_stage_and_both_queues(
    generated: tuple[AsyncEngine, GenerationReport],
) -> None:
    """Only store deliveries have a stage; open ones are in every stage, each under its status
    (`STAGE_STATUS`), and the 催单 and 配送异常 queues hold orders at the generation time (as the
    queue service counts them)."""
    engine, _ = generated
    rows = await shop.rows(
        engine,
        "SELECT fulfillment, status, delivery_stage FROM orders WHERE delivery_stage IS NOT NULL",
    )
    assert {DeliveryStage(stage) for _, status, stage in rows if status not in FINAL_STATUSES} == set(
        DeliveryStage
    )
    for fulfillment, status, stage in rows:
        assert fulfillment == "STORE_DELIVERY"
        if status not in FINAL_STATUSES:
            assert STAGE_STATUS[DeliveryStage(stage)] == status, (status, stage)
    counts = await count_queues(
        session_factory(engine), SYSTEM_PRINCIPAL, shop.NOW, RulesConfig().no_rider_after
    )
    assert counts[DeliveryQueue.OVERDUE] > 0, counts
    assert counts[DeliveryQueue.NO_RIDER] > 0, counts


async def test_demo_coupons_are_spent_by_real_orders(generated: tuple[AsyncEngine, GenerationReport]) -> None:
    """USED and LOCKED coupons name their orders, whose COUPON adjustment is the coupon's discount;
    one coupon came back after a full refund; so the template's figures are not zero."""
    engine, _ = generated
    spent = await shop.rows(
        engine,
        "SELECT c.status, o.status, a.amount, a.line_shares, o.discount_amount, o.payable_amount, "
        "o.goods_amount + o.delivery_fee + o.packaging_fee FROM customer_coupons c "
        "JOIN orders o ON o.id = coalesce(c.used_order_id, c.locked_order_id) "
        "JOIN order_adjustments a ON a.order_id = o.id AND a.layer = 'COUPON' AND a.source_id = c.id",
    )
    assert sorted((r[0], r[1]) for r in spent) == [("LOCKED", "PENDING_PAYMENT"), ("USED", "COMPLETED")]
    for _, _, amount, shares, discount, payable, gross in spent:
        assert amount == 500 == discount == sum(json.loads(shares))
        assert payable == gross - discount
    orphans = await shop.rows(
        engine,
        "SELECT id FROM customer_coupons WHERE (status = 'USED' AND used_order_id IS NULL) "
        "OR (status = 'LOCKED' AND locked_order_id IS NULL)",
    )
    assert orphans == []
    restored = await shop.rows(
        engine,
        "SELECT c.status, o.status, o.refunded_amount = o.paid_amount FROM coupon_ledger l "
        "JOIN customer_coupons c ON c.id = l.coupon_id JOIN orders o ON o.id = l.order_id "
        "WHERE l.action = 'RESTORED'",
    )
    assert restored == [("UNUSED", "CANCELLED", 1)]
    async with AsyncSession(engine) as session:
        template_id = await session.scalar(select(CouponTemplate.id).where(CouponTemplate.code == "DEMO-ALL"))
        assert template_id is not None
        figures = (await figures_of(session, [template_id], shop.NOW))[template_id]
    assert (figures.used, figures.locked, figures.orders, figures.discount_given) == (1, 1, 1, 500)
    assert figures.sales > 0
