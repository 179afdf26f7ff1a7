"""Picking tickets / receipts (拣货单 / 小票) as PDF: one 80 mm receipt page per order.

Drawn with reportlab's canvas. Chinese text uses Adobe's STSong-Light CID font, which PDF viewers
supply themselves (nothing to ship or install on the server; the file names the font, it does not
embed it); the order number is also drawn in Helvetica and as a QR code, so scanners and text
search find it. The content is `gql.http.ticket_view.TicketView`, the same as the HTML ticket's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Final

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.renderPDF import draw as draw_drawing
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.pdfmetrics import registerFont, stringWidth
from reportlab.pdfgen.canvas import Canvas

from gql.http.ticket_view import TicketView

CJK: Final = "STSong-Light"
LATIN: Final = "Helvetica-Bold"
registerFont(UnicodeCIDFont(CJK))

WIDTH: Final = 80 * mm
MARGIN: Final = 4 * mm
TEXT_WIDTH: Final = WIDTH - 2 * MARGIN
QR_SIZE: Final = 28 * mm
NUMBER_WIDTH: Final = 22 * mm
"""The right-hand column of a line (units, amount)."""


@dataclass(frozen=True, slots=True)
class _Row:
    text: str
    size: float = 9
    font: str = CJK
    right: str | None = None
    """Right-aligned text on the same row (units, amounts)."""
    rule: bool = False
    """A dashed line instead of text."""


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Break `text` into pieces no wider than `width` (by character: Chinese has no spaces)."""
    pieces, current = [], ""
    for ch in text:
        if current and stringWidth(current + ch, CJK, size) > width:
            pieces.append(current)
            current = ""
        current += ch
    return [*pieces, current] if current else pieces or [""]


def _rows(v: TicketView) -> list[_Row]:
    rows = [_Row(v.store, 13), _Row(v.fulfilment, 11), _Row(v.order_no, 11, LATIN)]
    rows += [_Row(f"订单号: {v.order_no}"), _Row(f"下单: {v.created}"), _Row(f"支付: {v.paid}")]
    rows += [_Row(f"预订时间: {v.booked}", 11)] if v.booked else []
    rows += [_Row(f"预计送达: {v.promised}", 11)] if v.promised else []
    rows += [_Row(f"提货码: {v.pickup_code}", 11)] if v.pickup_code else []
    rows += [_Row("", rule=True), _Row(f"收货人: {v.consignee}")]
    rows += [_Row(v.address)] if v.address else []
    rows += [_Row(f"骑手: {v.rider}")] if v.rider else []
    rows += [_Row(f"备注: {v.remark}")] if v.remark else []
    rows += [_Row("", rule=True), _Row("商品", right="数量   金额")]
    for line in v.lines:
        rows += [
            _Row(line.product, right=f"×{line.to_pick}   {line.amount}"),
            _Row(f"  {line.spec} {line.sku_code}", 8),
        ]
    rows.append(_Row("", rule=True))
    rows += [_Row(label, right=amount) for label, amount in v.totals]
    return rows


def _lines(row: _Row) -> list[str]:
    if row.rule:
        return [""]
    width = TEXT_WIDTH - (NUMBER_WIDTH if row.right is not None else 0)
    return _wrap(row.text, row.size, width) if row.font == CJK else [row.text]


def _page(canvas: Canvas, v: TicketView) -> None:
    rows = [(row, _lines(row)) for row in _rows(v)]
    height = 2 * MARGIN + QR_SIZE + sum(row.size * 1.4 * len(lines) for row, lines in rows)
    canvas.setPageSize((WIDTH, height))
    y = height - MARGIN
    for row, lines in rows:
        for i, text in enumerate(lines):
            y -= row.size * 1.4
            if row.rule:
                canvas.setDash(2, 2)
                canvas.line(MARGIN, y + row.size * 0.5, WIDTH - MARGIN, y + row.size * 0.5)
                canvas.setDash()
                continue
            canvas.setFont(row.font, row.size)
            canvas.drawString(MARGIN, y, text)
            if row.right is not None and i == 0:
                canvas.drawRightString(WIDTH - MARGIN, y, row.right)
    qr = QrCodeWidget(v.order_no)
    x0, y0, x1, y1 = qr.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0])
    drawing.add(qr)
    draw_drawing(drawing, canvas, (WIDTH - QR_SIZE) / 2, MARGIN)
    canvas.showPage()


def render_pdf(views: list[TicketView]) -> bytes:
    """One page per ticket, in the order given."""
    out = io.BytesIO()
    canvas = Canvas(out, pageCompression=1)
    canvas.setTitle(f"拣货单 {views[0].order_no}" if len(views) == 1 else f"拣货单 ×{len(views)}")
    canvas.setCreator("mallgraph")
    for view in views:
        _page(canvas, view)
    canvas.save()
    return out.getvalue()
