"""Placing an order (下单): prices from the store's listing, fees from the store, stock reserved.

Everything a shopper could get wrong is checked before anything is written, each with its own
code; stock is reserved with conditional updates in the same transaction as the order, so two
shoppers can never buy the same last unit.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models.catalog import Product, Sku, StoreSku
from models.customers import Customer
from models.enums import ActorType, Fulfillment, OrderChannel, OrderType, ProductStatus, StoreStatus
from models.errors import DomainError, ErrorCode
from models.order_states import OrderStatus
from models.orders import Order, OrderEvent, OrderLine
from models.pii import phone_last4
from models.stores import Store
from services.commands import Result, Work
from services.stock import reserve_stock

MAX_LINES = 50
MAX_QUANTITY = 999
MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True, slots=True)
class CartLine:
    sku_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class ConsigneeInput:
    name: str
    phone: str
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    store_id: int | None
    """None: an EXPRESS order shipped by the HQ warehouse."""
    fulfillment: Fulfillment
    lines: tuple[CartLine, ...]
    consignee: ConsigneeInput
    channel: OrderChannel = OrderChannel.MINI_PROGRAM
    buyer_remark: str | None = None


@dataclass(frozen=True, slots=True)
class _Priced:
    sku: Sku
    product: Product
    unit_price: int
    quantity: int


def _validate_shape(cmd: PlaceOrder) -> None:
    if not cmd.lines:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "an order needs at least one line", "lines")
    if len(cmd.lines) > MAX_LINES:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_LINES} lines", "lines")
    for i, line in enumerate(cmd.lines):
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, f"quantity must be 1 to {MAX_QUANTITY}", f"lines.{i}.quantity"
            )
    if len({line.sku_id for line in cmd.lines}) != len(cmd.lines):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "each SKU once per order (add up the quantity)", "lines")
    c = cmd.consignee
    if not c.name.strip() or len(c.name) > 64:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "consignee name is required (≤ 64 characters)", "consignee.name"
        )
    if not MOBILE.match(c.phone):
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "consignee phone must be an 11-digit mobile number", "consignee.phone"
        )
    if cmd.fulfillment is not Fulfillment.SELF_PICKUP and not (c.address and c.city):
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "delivery needs a city and an address", "consignee.address"
        )
    if cmd.store_id is None and cmd.fulfillment is not Fulfillment.EXPRESS:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "only EXPRESS orders may omit the store", "storeId")
    if cmd.buyer_remark is not None and len(cmd.buyer_remark) > 200:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "remark is at most 200 characters", "buyerRemark")


async def _store(work: Work, cmd: PlaceOrder) -> Store | None:
    if cmd.store_id is None:
        return None
    store = await work.session.get(Store, cmd.store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "store not found", "storeId")
    if store.status is not StoreStatus.OPEN:
        raise DomainError(
            ErrorCode.STORE_NOT_OPEN, f"{store.name} is not taking orders ({store.status.value})", "storeId"
        )
    offered = {
        Fulfillment.SELF_PICKUP: store.supports_self_pickup,
        Fulfillment.STORE_DELIVERY: store.supports_store_delivery,
        Fulfillment.EXPRESS: store.supports_express,
    }[cmd.fulfillment]
    if not offered:
        raise DomainError(
            ErrorCode.FULFILLMENT_NOT_OFFERED,
            f"{store.name} does not offer {cmd.fulfillment.value}",
            "fulfillment",
        )
    return store


async def _price(work: Work, cmd: PlaceOrder, store: Store | None) -> list[_Priced]:
    sku_ids = [line.sku_id for line in cmd.lines]
    rows = (await work.session.execute(select(Sku, Product).join(Product).where(Sku.id.in_(sku_ids)))).all()
    found = {sku.id: (sku, product) for sku, product in rows}
    listings: dict[int, StoreSku] = {}
    if store is not None:
        stmt = select(StoreSku).where(StoreSku.store_id == store.id, StoreSku.sku_id.in_(sku_ids))
        listings = {row.sku_id: row for row in (await work.session.scalars(stmt)).all()}
    priced = []
    for i, line in enumerate(cmd.lines):
        if line.sku_id not in found:
            raise DomainError(ErrorCode.NOT_FOUND, f"SKU {line.sku_id} not found", f"lines.{i}.skuId")
        sku, product = found[line.sku_id]
        if product.status is not ProductStatus.ACTIVE:
            raise DomainError(ErrorCode.NOT_ON_SHELF, f"{product.name} is not on sale", f"lines.{i}.skuId")
        price = sku.price
        if store is not None:
            listing = listings.get(sku.id)
            if listing is None or not listing.on_shelf:
                raise DomainError(
                    ErrorCode.NOT_ON_SHELF, f"{product.name} is not on sale here", f"lines.{i}.skuId"
                )
            if listing.purchase_limit is not None and line.quantity > listing.purchase_limit:
                raise DomainError(
                    ErrorCode.PURCHASE_LIMIT_EXCEEDED,
                    f"{product.name}: at most {listing.purchase_limit} per order",
                    f"lines.{i}.quantity",
                )
            price = listing.price_override if listing.price_override is not None else sku.price
        priced.append(_Priced(sku, product, price, line.quantity))
    return priced


def new_order_no(now: datetime, work: Work) -> str:
    """2026112312345678: the business day, then eight random digits (unguessable, not a counter)."""
    return now.astimezone(work.deps.rules.zone).strftime("%Y%m%d") + f"{secrets.randbelow(10**8):08d}"


async def place_order(work: Work, cmd: PlaceOrder) -> Result:
    if work.actor.type is not ActorType.CUSTOMER or work.principal.customer_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only a signed-in shopper places orders")
    _validate_shape(cmd)
    customer = await work.session.get(Customer, work.principal.customer_id)
    if customer is None:
        raise DomainError(ErrorCode.NOT_FOUND, "customer not found")
    store = await _store(work, cmd)
    priced = await _price(work, cmd, store)
    goods = sum(p.unit_price * p.quantity for p in priced)
    if store is not None and cmd.fulfillment is Fulfillment.STORE_DELIVERY and goods < store.min_order_amount:
        raise DomainError(
            ErrorCode.MIN_ORDER_NOT_MET,
            f"delivery starts at {store.min_order_amount / 100:.2f} yuan of goods (起送价)",
            "lines",
        )
    await reserve_stock(work.session, store.id if store else None, [(p.sku.id, p.quantity) for p in priced])
    delivery_fee = store.delivery_fee if store and cmd.fulfillment is Fulfillment.STORE_DELIVERY else 0
    packaging_fee = store.packaging_fee if store else 0
    c = cmd.consignee
    order = Order(
        store_id=store.id if store else None,
        customer_id=customer.id,
        channel=cmd.channel,
        type=OrderType.NORMAL,
        fulfillment=cmd.fulfillment,
        status=OrderStatus.PENDING_PAYMENT,
        goods_amount=goods,
        goods_original_amount=sum(p.sku.original_price * p.quantity for p in priced),
        discount_amount=0,
        delivery_fee=delivery_fee,
        packaging_fee=packaging_fee,
        payable_amount=goods + delivery_fee + packaging_fee,
        consignee_name=c.name.strip(),
        consignee_phone=c.phone,
        consignee_phone_last4=phone_last4(c.phone),
        consignee_province=c.province,
        consignee_city=c.city,
        consignee_district=c.district,
        consignee_address=c.address,
        consignee_latitude=c.latitude,
        consignee_longitude=c.longitude,
        pickup_code=f"{secrets.randbelow(10**6):06d}" if cmd.fulfillment is Fulfillment.SELF_PICKUP else None,
        buyer_remark=cmd.buyer_remark,
        created_at=work.now,
        payment_deadline=work.now + work.deps.rules.payment_timeout,
        updated_at=work.now,
    )
    await _insert_with_fresh_number(work, order)
    for p in priced:
        work.session.add(
            OrderLine(
                order_id=order.id,
                sku_id=p.sku.id,
                product_id=p.product.id,
                product_name=p.product.name,
                spec=p.sku.spec,
                image_url=p.sku.image_url or p.product.image_url,
                unit_price=p.unit_price,
                original_price=p.sku.original_price,
                quantity=p.quantity,
                discount_share=0,
                paid_amount=p.unit_price * p.quantity,
            )
        )
    work.session.add(
        OrderEvent(
            order_id=order.id,
            store_id=order.store_id,
            action=None,
            from_status=None,
            to_status=OrderStatus.PENDING_PAYMENT,
            actor_type=work.actor.type,
            actor_id=work.actor.id,
            payload={"lines": len(priced), "payable": order.payable_amount},
            created_at=work.now,
        )
    )
    customer.last_order_at = work.now
    return {"orderId": order.id}


async def _insert_with_fresh_number(work: Work, order: Order, attempts: int = 5) -> None:
    """Insert under a savepoint and draw a new number on the (rare) collision."""
    for _ in range(attempts):
        order.order_no = new_order_no(work.now, work)
        try:
            async with work.session.begin_nested():
                work.session.add(order)
                await work.session.flush()
            return
        except IntegrityError as exc:
            if "order_no" not in str(exc.orig):
                raise
            if order in work.session:
                work.session.expunge(order)
    raise DomainError(ErrorCode.INTERNAL_SERVER_ERROR, "could not allocate an order number; try again")
