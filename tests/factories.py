"""Small, explicit test data: each test says what it needs and gets exactly that.

(The big realistic data set comes from `bench.generator`; tests that compute figures by hand
use these factories so the expected numbers are visible in the test.)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from models.after_sales.rows import AfterSale
from models.after_sales.states import AfterSaleInitiator, AfterSaleStatus, AfterSaleType
from models.campaigns.rows import Campaign
from models.catalog.rows import Category, Product, Sku, StoreSku
from models.customers.rows import Customer
from models.enums import (
    ActorType,
    CampaignType,
    Fulfillment,
    OrderType,
    PageType,
    PaymentMethod,
    SourceChannel,
    StaffRole,
    TraceState,
)
from models.orders.rows import AllocationRecord, Order, OrderEvent, OrderLine, Parcel, ParcelLine, ParcelTrace
from models.orders.states import OrderStatus
from models.reviews import Review
from models.stores.rows import StaffAccount, StaffStore, Store
from models.visits import VisitEvent
from services.db import SessionFactory, unit_of_work

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
ALWAYS_OPEN = [{"weekday": d, "open": "00:00", "close": "24:00"} for d in range(1, 8)]


class Seed:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self._n = itertools.count(1)

    async def _add(self, *rows: Any) -> None:
        async with unit_of_work(self.sessions) as s:
            s.add_all(rows)

    async def store(self, code: str | None = None, **kw: Any) -> Store:
        n = next(self._n)
        store = Store(
            code=code or f"ST{n:03d}",
            name=kw.pop("name", f"测试门店{n}"),
            province=kw.pop("province", "上海市"),
            city=kw.pop("city", "上海市"),
            district=kw.pop("district", "浦东新区"),
            address=f"张江路{n}号",
            latitude=31.2,
            longitude=121.6,
            # open around the clock unless a test says otherwise: placeOrder refuses a closed store,
            # and tests run at any time of day
            business_hours=kw.pop("business_hours", ALWAYS_OPEN),
            packaging_fee=kw.pop("packaging_fee", 100),
            delivery_fee=kw.pop("delivery_fee", 500),
            **kw,
        )
        await self._add(store)
        return store

    async def category(self, name: str | None = None, parent: Category | None = None) -> Category:
        n = next(self._n)
        cat = Category(
            name=name or f"类目{n}",
            parent_id=parent.id if parent else None,
            level=2 if parent else 1,
            sort_order=n,
        )
        await self._add(cat)
        return cat

    async def product(
        self,
        name: str | None = None,
        category: Category | None = None,
        prices: tuple[int, ...] = (1000,),
        *,
        listable: bool = False,
    ) -> tuple[Product, list[Sku]]:
        """`listable`: with an image and a weight, so it passes the catalogue audit (商品审核)."""
        if category is None:
            category = await self.category(parent=await self.category())
        n = next(self._n)
        product = Product(
            name=name or f"商品{n}",
            category_id=category.id,
            image_urls=[f"https://img.example/p{n}.jpg"] if listable else [],
            image_url=f"https://img.example/p{n}.jpg" if listable else None,
            weight_g=500 if listable else None,
        )
        await self._add(product)
        skus = [
            Sku(
                product_id=product.id,
                sku_code=f"SKU{n}-{i}",
                barcode=f"69{n:06d}{i:05d}",
                spec=f"规格{i}",
                price=price,
                original_price=price + 200,
            )
            for i, price in enumerate(prices)
        ]
        await self._add(*skus)
        return product, skus

    async def listing(self, store: Store, sku: Sku, stock: int = 10, on_shelf: bool = True) -> StoreSku:
        row = StoreSku(store_id=store.id, sku_id=sku.id, stock=stock, on_shelf=on_shelf)
        await self._add(row)
        return row

    async def customer(self, phone: str | None = None, **kw: Any) -> Customer:
        n = next(self._n)
        phone = phone or f"1380000{n:04d}"
        customer = Customer(
            nickname=kw.pop("nickname", f"顾客{n}"),
            phone=phone,
            phone_last4=phone[-4:],
            invite_code=f"INV{n:05d}",
            registered_at=kw.pop("registered_at", T0 - timedelta(days=30)),
            **kw,
        )
        await self._add(customer)
        return customer

    async def order(
        self,
        store: Store | None,
        customer: Customer,
        lines: list[tuple[Sku, int]],
        *,
        status: OrderStatus = OrderStatus.PENDING_ACCEPTANCE,
        fulfillment: Fulfillment = Fulfillment.STORE_DELIVERY,
        created_at: datetime = T0,
        parcels: int = 0,
        order_no: str | None = None,
        paid_at: datetime | None = None,
        payable: int | None = None,
        line_names: Sequence[str] | None = None,
        **fields: Any,
    ) -> Order:
        """`paid_at` and `payable` override the derived ones; `line_names` are the lines' product
        name snapshots; `fields` set any other Order column (channel, type, consignee_name, ...)."""
        n = next(self._n)
        goods = sum(sku.price * qty for sku, qty in lines)
        original = sum(sku.original_price * qty for sku, qty in lines)
        delivery = store.delivery_fee if store and fulfillment is Fulfillment.STORE_DELIVERY else 0
        packaging = store.packaging_fee if store else 0
        payable = goods + delivery + packaging if payable is None else payable
        paid = status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)
        order = Order(
            order_no=order_no or f"20261101{n:08d}",
            store_id=store.id if store else None,
            customer_id=customer.id,
            type=OrderType.NORMAL,
            fulfillment=fulfillment,
            status=status,
            payment_method=PaymentMethod.WECHAT_PAY if paid else None,
            goods_amount=goods,
            goods_original_amount=original,
            delivery_fee=delivery,
            packaging_fee=packaging,
            payable_amount=payable,
            paid_amount=payable if paid else 0,
            consignee_name=customer.nickname,
            consignee_phone=customer.phone or "13800000000",
            consignee_phone_last4=(customer.phone or "0000")[-4:],
            consignee_address="张江路1号",
            pickup_code="123456" if fulfillment is Fulfillment.SELF_PICKUP else None,
            created_at=created_at,
            paid_at=paid_at or (created_at + timedelta(minutes=1) if paid else None),
            updated_at=created_at,
        )
        if "consignee_phone" in fields:
            fields.setdefault("consignee_phone_last4", fields["consignee_phone"][-4:])
        for name, value in fields.items():
            setattr(order, name, value)
        await self._add(order)
        line_rows = [
            OrderLine(
                order_id=order.id,
                sku_id=sku.id,
                product_id=sku.product_id,
                product_name=line_names[i] if line_names else f"商品{sku.product_id}",
                spec=sku.spec,
                unit_price=sku.price,
                original_price=sku.original_price,
                quantity=qty,
                paid_amount=sku.price * qty,
            )
            for i, (sku, qty) in enumerate(lines)
        ]
        event = OrderEvent(
            order_id=order.id,
            store_id=order.store_id,
            to_status=OrderStatus.PENDING_PAYMENT,
            actor_type=ActorType.CUSTOMER,
            actor_id=str(customer.id),
            payload={},
            created_at=created_at,
        )
        await self._add(*line_rows, event)
        for p in range(parcels):
            parcel = Parcel(
                order_id=order.id,
                carrier="顺丰速运",
                tracking_no=f"SF{n:08d}{p}",
                shipped_at=created_at + timedelta(hours=2),
                latest_state=TraceState.IN_TRANSIT,
            )
            await self._add(parcel)
            await self._add(
                ParcelLine(parcel_id=parcel.id, order_line_id=line_rows[0].id, quantity=1),
                ParcelTrace(
                    parcel_id=parcel.id,
                    occurred_at=created_at + timedelta(hours=3),
                    location="上海转运中心",
                    description="快件已揽收",
                    state=TraceState.COLLECTED,
                ),
            )
        return order

    async def campaign(
        self, name: str | None = None, type: CampaignType = CampaignType.SPEND_REWARD
    ) -> Campaign:
        n = next(self._n)
        campaign = Campaign(
            type=type,
            name=name or f"活动{n}",
            starts_at=T0 - timedelta(days=1),
            ends_at=T0 + timedelta(days=30),
        )
        await self._add(campaign)
        return campaign

    async def after_sale(
        self, order: Order, status: AfterSaleStatus, kind: AfterSaleType = AfterSaleType.REFUND_ONLY
    ) -> AfterSale:
        """An after-sale row of the order (no lines, no money moved): enough for list filters."""
        n = next(self._n)
        row = AfterSale(
            after_sale_no=f"RF{n:010d}",
            order_id=order.id,
            store_id=order.store_id,
            customer_id=order.customer_id,
            type=kind,
            initiator=AfterSaleInitiator.BUYER,
            status=status,
            reason="不想要了",
            refund_amount=0,
            created_at=order.created_at + timedelta(hours=1),
        )
        await self._add(row)
        return row

    async def staff(
        self,
        username: str,
        role: StaffRole = StaffRole.STORE_STAFF,
        stores: Sequence[Store] = (),
        parent: StaffAccount | None = None,
        enabled: bool = True,
    ) -> StaffAccount:
        account = StaffAccount(
            username=username,
            display_name=f"员工{username}",
            role=role,
            parent_id=parent.id if parent else None,
            enabled=enabled,
        )
        await self._add(account)
        await self._add(*(StaffStore(staff_id=account.id, store_id=store.id) for store in stores))
        return account

    async def review(
        self,
        order: Order,
        line: OrderLine,
        rating: int = 5,
        *,
        images: int = 0,
        hidden: bool = False,
        reply: str | None = None,
        created_at: datetime | None = None,
    ) -> Review:
        review = Review(
            order_id=order.id,
            order_line_id=line.id,
            product_id=line.product_id,
            sku_id=line.sku_id,
            store_id=order.store_id,
            customer_id=order.customer_id,
            rating=rating,
            content="好吃" if rating >= 4 else "一般",
            image_urls=[f"https://img.example/r{line.id}-{i}.jpg" for i in range(images)],
            hidden=hidden,
            reply=reply,
            created_at=created_at or order.created_at + timedelta(days=2),
        )
        await self._add(review)
        return review

    async def lines_of(self, order: Order) -> list[OrderLine]:
        async with self.sessions() as s:
            stmt = select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
            return list((await s.scalars(stmt)).all())

    # Metrics (issue 7): page views, money refunded, and a store rejecting an order.
    async def visit(
        self,
        visitor: str,
        at: datetime,
        *,
        store: Store | None = None,
        product: Product | None = None,
        customer: Customer | None = None,
        page: PageType | None = None,
        source: SourceChannel = SourceChannel.DIRECT,
        dwell_ms: int = 10_000,
    ) -> VisitEvent:
        n = next(self._n)
        event = VisitEvent(
            event_id=f"ev-{n}",
            visitor_id=visitor,
            customer_id=customer.id if customer else None,
            session_id=f"s-{visitor}",
            page_type=page or (PageType.PRODUCT if product else PageType.HOME),
            product_id=product.id if product else None,
            store_id=store.id if store else None,
            source=source,
            dwell_ms=dwell_ms,
            occurred_at=at,
            received_at=at,
        )
        await self._add(event)
        return event

    async def refund(self, order: Order, amount: int, at: datetime) -> AfterSale:
        """A merchant refund that reached REFUNDED at `at` (the money columns of the order are
        left alone: metrics read the after-sale)."""
        n = next(self._n)
        row = AfterSale(
            after_sale_no=f"RF{n:010d}",
            order_id=order.id,
            store_id=order.store_id,
            customer_id=order.customer_id,
            type=AfterSaleType.REFUND_ONLY,
            initiator=AfterSaleInitiator.MERCHANT,
            status=AfterSaleStatus.REFUNDED,
            reason="缺货",
            refund_amount=amount,
            created_at=at,
            refunded_at=at,
            closed_at=at,
            updated_at=at,
        )
        await self._add(row)
        return row

    async def rejection(self, order: Order, store: Store, at: datetime) -> AllocationRecord:
        row = AllocationRecord(
            order_id=order.id,
            from_store_id=store.id,
            to_store_id=None,
            reason="缺货",
            actor_type=ActorType.STAFF,
            created_at=at,
        )
        await self._add(row)
        return row
