"""Printable picking tickets: HTML under the staff's token, one order or a batch, PII as the API shows it."""

from __future__ import annotations

import base64
import re
import zlib

import httpx

from gql.ids import encode_id
from models.enums import Role
from tests.api.conftest import Api
from tests.api.delivery_flow import accepted_delivery
from tests.api.order_flow import PAY, PLACE, key, ok, open_shop, place_and_pay
from tests.factories import Seed


async def _get(api: Api, path: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {api.token}"} if api.token else {}
    return await api.http.get(path, headers=headers)


async def test_one_ticket_and_a_batch(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    first = await accepted_delivery(api, shop)
    second = await accepted_delivery(api, shop)
    staff = api.as_staff(shop.a.id)

    one = await _get(staff, f"/orders/{first['id']}/ticket")
    assert one.status_code == 200
    assert one.headers["content-type"].startswith("text/html")
    assert one.text.count('class="ticket"') == 1
    assert "13800138000" in one.text  # the store sees its own order's consignee in full
    assert "预计送达" in one.text
    assert "×2" in one.text

    both = await _get(staff, f"/tickets?id={first['id']}&id={second['id']}")
    assert both.status_code == 200
    assert both.text.count('class="ticket"') == 2


async def test_who_may_print(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order = await place_and_pay(api, shop)
    path = f"/orders/{order['id']}/ticket"
    assert (await _get(api, path)).status_code == 401
    assert (await _get(api.as_shopper(shop.customer_id), path)).status_code == 403
    assert (await _get(api.as_role(Role.ANALYST), path)).status_code == 403
    assert (await _get(api.as_staff(shop.b.id), path)).status_code == 404  # another store's order
    hq = await _get(api.as_hq(), path)
    assert hq.status_code == 200
    assert "13800138000" in hq.text
    bad = await _get(api.as_hq(), f"/tickets?id={encode_id('Store', 1)}")
    assert (bad.status_code, bad.json()["code"]) == (400, "BAD_USER_INPUT")
    assert (await _get(api.as_hq(), "/tickets")).status_code == 400


async def test_values_are_escaped(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    shopper = api.as_shopper(shop.customer_id)
    order_input = shop.order_input()
    order_input["buyerRemark"] = "<script>alert(1)</script>"
    placed = ok(await shopper.execute(PLACE, input=order_input), "placeOrder")
    ok(
        await shopper.execute(
            PAY, input={"orderId": placed["id"], "paymentMethod": "WECHAT_PAY", "idempotencyKey": key()}
        ),
        "payOrder",
    )
    page = await _get(api.as_staff(shop.a.id), f"/orders/{placed['id']}/ticket")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text


# -- PDF --------------------------------------------------------------------------------------------

_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_SHOW = re.compile(rb"/(F\d+) [\d.]+ Tf|\(((?:[^\\)]|\\.)*)\) Tj", re.S)
"""A font change, or a string shown in the current font."""


def _unescape(raw: bytes) -> bytes:
    """A PDF string literal's bytes (backslash escapes: octal and the usual characters)."""
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i] != 0x5C:  # not a backslash
            out.append(raw[i])
            i += 1
        elif raw[i + 1 : i + 2].isdigit():
            digits = re.match(rb"[0-7]{1,3}", raw[i + 1 :])
            assert digits is not None
            out.append(int(digits[0], 8))
            i += 1 + len(digits[0])
        else:
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(raw[i + 1 : i + 2], raw[i + 1 : i + 2])
            i += 2
    return bytes(out)


def _pdf_text(pdf: bytes) -> tuple[int, str]:
    """(pages, the text shown on them) of a PDF written by reportlab: ASCII85 + Flate content
    streams; CID-font strings are UCS-2."""
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type /Page\b(?!s)", pdf))
    fonts = dict(re.findall(rb"/BaseFont /([\w-]+) .*?/Name /(F\d+)", pdf, re.S))
    cjk = {name for base, name in fonts.items() if base == b"STSong-Light"}
    shown = []
    for raw in _STREAM.findall(pdf):
        raw = raw.strip()
        if not raw.endswith(b"~>"):
            continue  # not a content stream
        content = zlib.decompress(base64.a85decode(raw[:-2]))
        font = b""
        for change, text in _SHOW.findall(content):
            if change:
                font = change
                continue
            data = _unescape(text)
            shown.append(data.decode("utf-16-be") if font in cjk else data.decode("latin-1"))
    return pages, "\n".join(shown)


async def _order_no(api: Api, order_id: str) -> str:
    r = await api.as_hq().execute(
        "query($id: ID!) { node(id: $id) { ... on Order { orderNo } } }", id=order_id
    )
    no: str = r.data["node"]["orderNo"]
    return no


async def test_pdf_ticket_and_batch(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    first = await accepted_delivery(api, shop)
    second = await accepted_delivery(api, shop)
    first_no, second_no = await _order_no(api, first["id"]), await _order_no(api, second["id"])
    staff = api.as_staff(shop.a.id)

    one = await _get(staff, f"/orders/{first['id']}/ticket.pdf")
    assert one.status_code == 200
    assert one.headers["content-type"] == "application/pdf"
    assert one.headers["content-disposition"] == f'inline; filename="ticket-{first_no}.pdf"'
    pages, text = _pdf_text(one.content)
    assert pages == 1
    assert first_no in text
    for shown in (
        shop.a.name,
        "门店配送",
        "预计送达",
        "收货人: 张三 13800138000",
        "红富士苹果",
        "×2",
        "实付",
    ):
        assert shown in text, shown

    both = await _get(staff, f"/tickets.pdf?id={second['id']}&id={first['id']}&id={second['id']}")
    assert both.status_code == 200
    pages, text = _pdf_text(both.content)
    assert pages == 2  # a repeated id prints once
    assert text.index(second_no) < text.index(first_no)


async def test_pdf_has_the_html_tickets_permissions(api: Api, seed: Seed) -> None:
    shop = await open_shop(seed)
    order = await place_and_pay(api, shop)
    path = f"/orders/{order['id']}/ticket.pdf"
    assert (await _get(api, path)).status_code == 401
    assert (await _get(api.as_shopper(shop.customer_id), path)).status_code == 403
    foreign = await _get(api.as_staff(shop.b.id), path)  # another store's order
    assert (foreign.status_code, foreign.json()["code"]) == (404, "NOT_FOUND")
    unknown = await _get(api.as_hq(), f"/orders/{encode_id('Order', 987654)}/ticket.pdf")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND")
    # in a batch, another store's order is left out
    mine = await accepted_delivery(api, shop)
    batch = await _get(
        api.as_staff(shop.a.id), f"/tickets.pdf?id={mine['id']}&id={encode_id('Order', 987654)}"
    )
    assert _pdf_text(batch.content)[0] == 1
    assert (await _get(api.as_hq(), "/tickets.pdf")).status_code == 400
