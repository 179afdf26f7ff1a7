"""The fields of the order query language: one table of them, and how each leaf is written back.

`models/orders/query_language.py` owns the grammar (terms, AND/OR/NOT, parentheses); this module
owns the table of what may come before `:` (`FIELDS`), each field with its help line and its
value reader (`models/orders/query_values.py`), so the GraphQL description can never drift from
the parser, and `format_leaf`, the readers' inverse.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from models.money import format_cents
from models.orders import filters as f
from models.orders.query_values import (
    COLONS,
    COMMAS,
    FLAG_WORDS,
    KEYWORDS,
    ONE_MICROSECOND,
    Parse,
    enum_field,
    id_field,
    name_field,
    parse_amount,
    parse_campaign,
    parse_pre_order,
    parse_warehouse,
    parse_watched,
    text_field,
    time_field,
)
from models.orders.tabs import STATUS_ALIASES
from models.pre_orders import BOOKING_ALIASES


@dataclass(frozen=True, slots=True)
class FieldSpec:
    names: tuple[str, ...]
    help: str
    parse: Parse


_STATUS_HELP = "status:待发货,PENDING_PICKUP — order status (enum names or the tab names 待付款 … 已关闭)"

FIELDS: Final[tuple[FieldSpec, ...]] = (
    FieldSpec(("status",), _STATUS_HELP, enum_field(f.EnumField.STATUS, dict(STATUS_ALIASES))),
    FieldSpec(("store",), "store:SH001,SH002 — store codes", name_field(f.NameField.STORE_CODE)),
    FieldSpec(("storeid",), "storeid:<Store id or number>", id_field(f.IdField.STORE, "Store")),
    FieldSpec(
        ("storename",),
        "storename:静安 — the fulfilling store's name contains",
        text_field(f.TextField.STORE_NAME),
    ),
    FieldSpec(
        ("warehouse",),
        "warehouse:hq — shipped by the HQ warehouse (总部, no store); warehouse:store — by a store",
        parse_warehouse,
    ),
    FieldSpec(("province",), "province:上海市 — the store's province", name_field(f.NameField.PROVINCE)),
    FieldSpec(("city",), "city:上海市 — the store's city", name_field(f.NameField.CITY)),
    FieldSpec(("district",), "district:浦东新区 — the store's district", name_field(f.NameField.DISTRICT)),
    FieldSpec(
        ("no", "order"), "no:2026112312345678 exact, no:2026112* prefix", text_field(f.TextField.ORDER_NO)
    ),
    FieldSpec(
        ("phone",),
        "phone:1234 (last four) or phone:13800138000 — customer or consignee phone",
        text_field(f.TextField.PHONE),
    ),
    FieldSpec(
        ("buyerphone",),
        "buyerphone:1234 or buyerphone:13800138000 — the buyer's own phone only, not the consignee's",
        text_field(f.TextField.BUYER_PHONE),
    ),
    FieldSpec(
        ("merchantno",),
        "merchantno:POS20261123001 — exact merchant order number (商家订单号)",
        text_field(f.TextField.MERCHANT_NO),
    ),
    FieldSpec(
        ("serial",),
        "serial:4200001234 — exact payment serial number (流水号) of a payment or refund",
        text_field(f.TextField.SERIAL),
    ),
    FieldSpec(("consignee",), "consignee:张 — consignee name contains", text_field(f.TextField.CONSIGNEE)),
    FieldSpec(
        ("product",),
        "product:车厘子 — a line's product name or SKU code contains",
        text_field(f.TextField.PRODUCT),
    ),
    FieldSpec(
        ("sku",), "sku:SKU12 — a line's SKU code contains, or its barcode", text_field(f.TextField.SKU)
    ),
    FieldSpec(
        ("created",),
        "created:2026-11-01, created:>=2026-11-01T08:00, created:2026-11-01..2026-11-07 — dates are whole "
        "days in the business time zone, ranges include both ends",
        time_field(f.TimeField.CREATED),
    ),
    FieldSpec(
        ("paid",),
        "paid:>=2026-11-01 — like created; unpaid orders never match",
        time_field(f.TimeField.PAID),
    ),
    FieldSpec(("total",), "total:>100, total:50..99.99 — payable amount in yuan", parse_amount),
    FieldSpec(("payment",), "payment:WECHAT_PAY,ALIPAY", enum_field(f.EnumField.PAYMENT)),
    FieldSpec(("type",), "type:GROUP_BUY", enum_field(f.EnumField.TYPE)),
    FieldSpec(("fulfillment",), "fulfillment:SELF_PICKUP", enum_field(f.EnumField.FULFILLMENT)),
    FieldSpec(("channel",), "channel:APP,H5", enum_field(f.EnumField.CHANNEL)),
    FieldSpec(
        ("campaign",),
        "campaign:<Campaign id or number>; campaign:any — in some campaign, campaign:none — in none",
        parse_campaign,
    ),
    FieldSpec(("watched",), "watched:true — orders on the caller's watch list (watchOrder)", parse_watched),
    FieldSpec(("preorder",), "preorder:true — pre-orders (预订单, with a booked time)", parse_pre_order),
    FieldSpec(
        ("booking",),
        "booking:SOON,OVERDUE — pre-orders in that booking state now (NOT_YET 未到时, SOON 即将到时, "
        "OVERDUE 已超时)",
        enum_field(f.EnumField.BOOKING, dict(BOOKING_ALIASES)),
    ),
    FieldSpec(
        ("aftersale",),
        "aftersale:PENDING_REVIEW — has an after-sale in that status",
        enum_field(f.EnumField.AFTER_SALE),
    ),
)
FIELD_BY_NAME: Final = {name: spec for spec in FIELDS for name in spec.names}


def describe_fields() -> str:
    """One line per field, for the GraphQL description of the `query` argument."""
    return "\n".join(f"- {spec.help}" for spec in FIELDS)


def format_leaf(leaf: f.Leaf) -> str:
    """The term of one leaf; `parse_query` reads it back to the same leaf."""
    if isinstance(leaf, f.EnumIn):
        ordered = [m.value for m in f.ENUM_TYPES[leaf.field] if m in leaf.values]
        return f"{leaf.field.value}:{','.join(ordered)}"
    if isinstance(leaf, f.IdIn):
        return f"{leaf.field.value}:{','.join(str(i) for i in sorted(leaf.ids))}"
    if isinstance(leaf, f.FlagIs):
        word = next(w for w, v in FLAG_WORDS[leaf.field].items() if v is leaf.value)
        return f"{'campaign' if leaf.field is f.FlagField.HAS_CAMPAIGN else leaf.field.value}:{word}"
    if isinstance(leaf, f.NameIn):
        return f"{leaf.field.value}:{','.join(_quoted_if_needed(n) for n in sorted(leaf.names))}"
    if isinstance(leaf, f.TextMatch):
        if leaf.field is f.TextField.ANY:
            special = (
                leaf.text.startswith("-") or leaf.text in KEYWORDS or any(c in leaf.text for c in COLONS)
            )
            return _quote(leaf.text) if special else _quoted_if_needed(leaf.text)
        if leaf.field is f.TextField.ORDER_NO_PREFIX:
            return f"no:{_quoted_if_needed(leaf.text)}*"
        return f"{leaf.field.value}:{_quoted_if_needed(leaf.text)}"
    if isinstance(leaf, f.TimeIn):
        name = leaf.field.value
        if leaf.start is not None and leaf.end is not None:
            return f"{name}:{_iso(leaf.start)}..{_iso(leaf.end - ONE_MICROSECOND)}"
        if leaf.start is not None:
            return f"{name}:>={_iso(leaf.start)}"
        assert leaf.end is not None
        return f"{name}:<{_iso(leaf.end)}"
    if leaf.min is not None and leaf.max is not None:
        return f"total:{format_cents(leaf.min)}..{format_cents(leaf.max)}"
    if leaf.min is not None:
        return f"total:>={format_cents(leaf.min)}"
    assert leaf.max is not None
    return f"total:<={format_cents(leaf.max)}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _quoted_if_needed(text: str) -> str:
    plain = not text.endswith("*") and not any(c.isspace() or c in '()"“' or c in COMMAS for c in text)
    return text if plain else _quote(text)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
