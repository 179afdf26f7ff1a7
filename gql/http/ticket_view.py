"""What a picking ticket / receipt (拣货单 / 小票) says, as text, whatever it is printed with.

One place decides the content (labels, times in the business time zone, the PII rule of the API
from `models.pii`); `gql/http/tickets.py` lays it out as HTML and `gql/http/ticket_pdf.py` as PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from models.money import format_cents
from models.pii import mask_address, mask_name, mask_phone, sees_full_pii
from models.principals import Principal
from services.tickets import Ticket

_FULFILMENT = {"SELF_PICKUP": "到店自提", "STORE_DELIVERY": "门店配送", "EXPRESS": "快递"}


@dataclass(frozen=True, slots=True)
class TicketLine:
    product: str
    spec: str
    sku_code: str
    to_pick: int
    """Units ordered minus units refunded."""
    amount: str


@dataclass(frozen=True, slots=True)
class TicketView:
    store: str
    fulfilment: str
    order_no: str
    created: str
    paid: str
    booked: str | None
    """预订单: the booked time."""
    promised: str | None
    pickup_code: str | None
    consignee: str
    """Name and phone, the phone masked unless the caller sees full PII for this order."""
    address: str | None
    rider: str | None
    remark: str | None
    lines: tuple[TicketLine, ...]
    totals: tuple[tuple[str, str], ...]
    """(label, amount); the last one is what was paid."""


def _time(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at is not None else "—"


def yuan(cents: int) -> str:
    return f"¥{format_cents(cents)}"


def ticket_view(t: Ticket, principal: Principal, zone: ZoneInfo) -> TicketView:
    o = t.order
    full = sees_full_pii(principal, o.store_id)
    phone = o.consignee_phone if full else mask_phone(o.consignee_phone)
    address = o.consignee_address or None
    if address and not full:
        address = mask_address(address)
    rider = None
    if t.delivery is not None and t.delivery.rider_name:
        name = t.delivery.rider_name if full else mask_name(t.delivery.rider_name)
        rider_phone = t.delivery.rider_phone or ""
        rider = f"{name} {rider_phone if full else mask_phone(rider_phone)}".strip()
    return TicketView(
        store=t.store.name if t.store is not None else "总部仓",
        fulfilment=_FULFILMENT.get(o.fulfillment.value, o.fulfillment.value),
        order_no=o.order_no,
        created=_time(o.created_at, zone),
        paid=_time(o.paid_at, zone),
        booked=_time(o.booked_for, zone) if o.booked_for is not None else None,
        promised=_time(o.promised_at, zone) if o.promised_at is not None else None,
        pickup_code=o.pickup_code or None,
        consignee=f"{o.consignee_name} {phone}",
        address=address,
        rider=rider,
        remark=o.buyer_remark or None,
        lines=tuple(
            TicketLine(
                product=line.product_name,
                spec=line.spec,
                sku_code=t.sku_codes.get(line.sku_id, ""),
                to_pick=line.quantity - line.refunded_quantity,
                amount=yuan(line.paid_amount),
            )
            for line in t.lines
        ),
        totals=(
            ("商品金额", yuan(o.goods_amount)),
            ("优惠", f"-{yuan(o.discount_amount)}"),
            ("配送费", yuan(o.delivery_fee)),
            ("包装费", yuan(o.packaging_fee)),
            ("实付", yuan(o.paid_amount)),
        ),
    )
