"""Printable picking tickets / receipts (拣货单 / 小票) as HTML or PDF, under the staff's own token.

GET /orders/{id}/ticket          one order (its global id); /orders/{id}/ticket.pdf as PDF
GET /tickets?id=…&id=…           several, one page each (at most 50; unknown or hidden ids left out);
                                 /tickets.pdf?id=… as one PDF

Store staff (their own stores' orders) and HQ only: 401 without a token, 403 for other roles,
404 when none of the orders is visible. Phones and addresses follow the PII rule of the API
(`models.pii`); every value is HTML-escaped. Times are in the business time zone.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from gql.http.ticket_pdf import render_pdf
from gql.http.ticket_view import TicketView, ticket_view
from gql.ids import decode_id
from gql.settings import Settings
from models.enums import Role
from models.errors import DomainError
from models.principals import ANONYMOUS, Principal
from services.db import SessionFactory
from services.tickets import MAX_TICKETS, load_tickets

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


def _ticket(v: TicketView) -> str:
    rows = [
        f"<tr><td>{escape(line.product)}<br><small>{escape(line.spec)} {escape(line.sku_code)}</small></td>"
        f'<td class="n">×{line.to_pick}</td><td class="n">{escape(line.amount)}</td></tr>'
        for line in v.lines
    ]
    *amounts, (paid_label, paid) = v.totals
    parts = [
        '<section class="ticket">',
        f"<h1>{escape(v.store)}</h1>",
        f'<div class="big">{escape(v.fulfilment)}</div>',
        f"<div>订单号: {escape(v.order_no)}</div>",
        f"<div>下单: {v.created}　支付: {v.paid}</div>",
        f'<div class="big">预订时间: {v.booked}</div>' if v.booked else "",
        f'<div class="big">预计送达: {v.promised}</div>' if v.promised else "",
        f'<div class="big">提货码: {escape(v.pickup_code)}</div>' if v.pickup_code else "",
        '<div class="rule"></div>',
        f"<div>收货人: {escape(v.consignee)}</div>",
        f"<div>{escape(v.address)}</div>" if v.address else "",
        f"<div>骑手: {escape(v.rider)}</div>" if v.rider else "",
        f"<div>备注: {escape(v.remark)}</div>" if v.remark else "",
        '<div class="rule"></div>',
        '<table><tr><th>商品</th><th class="n">数量</th><th class="n">金额</th></tr>',
        *rows,
        "</table>",
        '<div class="rule"></div>',
        "<table>",
        *(f'<tr><td>{label}</td><td class="n">{escape(amount)}</td></tr>' for label, amount in amounts),
        f'<tr><td><b>{paid_label}</b></td><td class="n"><b>{escape(paid)}</b></td></tr>',
        "</table>",
        "</section>",
    ]
    return "\n".join(p for p in parts if p)


def render(views: list[TicketView]) -> str:
    body = "\n".join(_ticket(v) for v in views)
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>拣货单</title>'
        f"<style>{_STYLE}</style></head><body>"
        '<button class="noprint" onclick="window.print()">打印</button>'
        f"{body}</body></html>"
    )


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": message, "code": code}, status_code=status)


async def tickets_endpoint(
    request: Request, settings: Settings, sessions: SessionFactory, *, pdf: bool = False
) -> Response:
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
    views = [ticket_view(t, principal, settings.zone) for t in tickets]
    headers = {"cache-control": "no-store"}
    if pdf:
        name = f"ticket-{views[0].order_no}.pdf" if len(views) == 1 else "tickets.pdf"
        headers["content-disposition"] = f'inline; filename="{name}"'
        return Response(render_pdf(views), media_type="application/pdf", headers=headers)
    return HTMLResponse(render(views), headers=headers)
