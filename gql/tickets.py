"""Printable picking tickets / receipts (拣货单 / 小票) as HTML, under the staff's own token.

GET /orders/{id}/ticket          one order (its global id)
GET /tickets?id=…&id=…           several, one page each (at most 50; unknown or hidden ids left out)

Store staff (their own stores' orders) and HQ only: 401 without a token, 403 for other roles,
404 when none of the orders is visible. Phones and addresses follow the PII rule of the API
(`models.pii`); every value is HTML-escaped. Times are in the business time zone.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from gql.ids import decode_id
from gql.settings import Settings
from models.enums import Role
from models.errors import DomainError
from models.money import format_cents
from models.pii import mask_address, mask_name, mask_phone, sees_full_pii
from models.principals import ANONYMOUS, Principal
from services.db import SessionFactory
from services.tickets import MAX_TICKETS, Ticket, load_tickets

_STYLE = """
body { font-family: "PingFang SC", "Microsoft YaHei", sans-serif; font-size: 13px; margin: 0; }
.ticket { width: 72mm; padding: 4mm; page-break-after: always; }
.ticket:last-child { page-break-after: auto; }
h1 { font-size: 16px; margin: 0 0 2mm; text-align: center; }
h2 { font-size: 14px; margin: 2mm 0; }
table { width: 100%; border-collapse: collapse; }
td, th { padding: 1mm 0; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; white-space: nowrap; }
.rule { border-top: 1px dashed #000; margin: 2mm 0; }
.big { font-size: 18px; font-weight: bold; }
@media print { .noprint { display: none; } }
"""

_FULFILMENT = {"SELF_PICKUP": "到店自提", "STORE_DELIVERY": "门店配送", "EXPRESS": "快递"}


def _time(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at is not None else "—"


def _yuan(cents: int) -> str:
    return f"¥{format_cents(cents)}"


def _ticket(t: Ticket, principal: Principal, zone: ZoneInfo) -> str:
    o = t.order
    full = sees_full_pii(principal, o.store_id)
    phone = o.consignee_phone if full else mask_phone(o.consignee_phone)
    address = o.consignee_address or ""
    if address and not full:
        address = mask_address(address)
    rows = []
    for line in t.lines:
        to_pick = line.quantity - line.refunded_quantity
        rows.append(
            f"<tr><td>{escape(line.product_name)}<br><small>{escape(line.spec)}</small></td>"
            f'<td class="n">×{to_pick}</td><td class="n">{_yuan(line.paid_amount)}</td></tr>'
        )
    rider = ""
    if t.delivery is not None and t.delivery.rider_name:
        name = t.delivery.rider_name if full else mask_name(t.delivery.rider_name)
        rphone = t.delivery.rider_phone or ""
        rphone = rphone if full else mask_phone(rphone)
        rider = f"<div>骑手: {escape(name)} {escape(rphone)}</div>"
    store = escape(t.store.name) if t.store is not None else "总部仓"
    parts = [
        '<section class="ticket">',
        f"<h1>{store}</h1>",
        f'<div class="big">{escape(_FULFILMENT.get(o.fulfillment.value, o.fulfillment.value))}</div>',
        f"<div>订单号: {escape(o.order_no)}</div>",
        f"<div>下单: {_time(o.created_at, zone)}　支付: {_time(o.paid_at, zone)}</div>",
    ]
    if o.promised_at is not None:
        parts.append(f'<div class="big">预计送达: {_time(o.promised_at, zone)}</div>')
    if o.pickup_code:
        parts.append(f'<div class="big">提货码: {escape(o.pickup_code)}</div>')
    parts += [
        '<div class="rule"></div>',
        f"<div>收货人: {escape(o.consignee_name)} {escape(phone)}</div>",
        f"<div>{escape(address)}</div>" if address else "",
        rider,
        f"<div>备注: {escape(o.buyer_remark)}</div>" if o.buyer_remark else "",
        '<div class="rule"></div>',
        '<table><tr><th>商品</th><th class="n">数量</th><th class="n">金额</th></tr>',
        *rows,
        "</table>",
        '<div class="rule"></div>',
        "<table>",
        f'<tr><td>商品金额</td><td class="n">{_yuan(o.goods_amount)}</td></tr>',
        f'<tr><td>优惠</td><td class="n">-{_yuan(o.discount_amount)}</td></tr>',
        f'<tr><td>配送费</td><td class="n">{_yuan(o.delivery_fee)}</td></tr>',
        f'<tr><td>包装费</td><td class="n">{_yuan(o.packaging_fee)}</td></tr>',
        f'<tr><td><b>实付</b></td><td class="n"><b>{_yuan(o.paid_amount)}</b></td></tr>',
        "</table>",
        "</section>",
    ]
    return "\n".join(p for p in parts if p)


def render(tickets: list[Ticket], principal: Principal, zone: ZoneInfo) -> str:
    body = "\n".join(_ticket(t, principal, zone) for t in tickets)
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>拣货单</title>'
        f"<style>{_STYLE}</style></head><body>"
        '<button class="noprint" onclick="window.print()">打印</button>'
        f"{body}</body></html>"
    )


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": message, "code": code}, status_code=status)


async def tickets_endpoint(request: Request, settings: Settings, sessions: SessionFactory) -> Response:
    principal: Principal = request.scope.get("state", {}).get("principal", ANONYMOUS)
    if principal.role is None:
        return _error(401, "UNAUTHENTICATED", "sign in as store staff or HQ")
    if principal.role not in (Role.STORE_STAFF, Role.HQ_ADMIN):
        return _error(403, "FORBIDDEN", "tickets are for store staff and HQ")
    raw = [request.path_params["id"]] if "id" in request.path_params else request.query_params.getlist("id")
    if not raw or len(raw) > MAX_TICKETS:
        return _error(400, "BAD_USER_INPUT", f"give 1 to {MAX_TICKETS} order ids")
    try:
        ids = [decode_id(value, "Order") for value in raw]
    except DomainError as error:
        return _error(400, error.code.value, error.message)
    tickets = await load_tickets(sessions, principal, ids)
    if not tickets:
        return _error(404, "NOT_FOUND", "no such order")
    return HTMLResponse(render(tickets, principal, settings.zone), headers={"cache-control": "no-store"})
