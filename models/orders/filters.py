"""What the admin order list may filter on, as pure data: the filter AST and its smart constructors.

Both front ends of the list — the typed `OrderFilter` input and the `query:` string language
(`models/orders/query_language.py`) — build this one AST, and `services/orders/search.py` compiles
it to one SQL WHERE. Neither front end knows SQL and the compiler knows neither front end, so a
filter means the same thing however it was written. The smart constructors below (`enum_in`,
`text_match`, `time_in`, ...) are the only way to build leaves: they validate and normalise
values once, raising `FilterValueError`, which each front end turns into its own coded error
(with a column for the query string, with an input path for the typed filter).
The status tabs live in `models/orders/tabs.py`, the sort specs in `models/orders/sorting.py`.

Pure: no I/O, no ORM, no GraphQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Final, TypeAlias

from models.after_sales.states import AfterSaleStatus
from models.enums import Fulfillment, OrderChannel, OrderType, PaymentMethod
from models.orders.states import OrderStatus
from models.pre_orders import BookingState

MAX_TEXT_LENGTH: Final = 100
MAX_AMOUNT_CENTS: Final = 2**31 - 1
"""Amount columns are 32-bit integers on PostgreSQL; a larger bound could not even be bound."""
MAX_ID: Final = 2**63 - 1
MAX_CONDITIONS: Final = 100
"""Leaves one filter may hold, whichever front end wrote it; each front end counts them as it reads
its input and refuses the first one past the bound, before building anything more."""


class FilterValueError(ValueError):
    """A value no filter can use; the front end adds where it was (column or input path)."""


class EnumField(StrEnum):
    STATUS = "status"
    PAYMENT = "payment"
    TYPE = "type"
    FULFILLMENT = "fulfillment"
    CHANNEL = "channel"
    AFTER_SALE = "aftersale"
    """An after-sale of the order is in one of the statuses (EXISTS, whatever its lines)."""
    BOOKING = "booking"
    """预订单 in one of the booking states at the time the list is read (`models/pre_orders.py`)."""


ENUM_TYPES: Final[Mapping[EnumField, type[StrEnum]]] = {
    EnumField.STATUS: OrderStatus,
    EnumField.PAYMENT: PaymentMethod,
    EnumField.TYPE: OrderType,
    EnumField.FULFILLMENT: Fulfillment,
    EnumField.CHANNEL: OrderChannel,
    EnumField.AFTER_SALE: AfterSaleStatus,
    EnumField.BOOKING: BookingState,
}


class IdField(StrEnum):
    STORE = "storeid"
    CAMPAIGN = "campaign"


class FlagField(StrEnum):
    HQ_WAREHOUSE = "warehouse"
    """The HQ warehouse (总部) fulfils the order: it has no store (only EXPRESS orders can)."""
    HAS_CAMPAIGN = "hascampaign"
    """The order belongs to some campaign (its campaign id is set), whichever it is."""
    WATCHED = "watched"
    """The caller watches the order (their own watch list: models/orders/watches.py)."""
    PRE_ORDER = "preorder"
    """The order is a pre-order (预订单): it has a booked time."""


class NameField(StrEnum):
    """Exact names. Regions are the fulfilling store's region (HQ warehouse orders have none)."""

    STORE_CODE = "store"
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"


class TextField(StrEnum):
    ORDER_NO = "no"
    """Exact order number."""
    ORDER_NO_PREFIX = "order number prefix"
    """Order number starts with the text (uses the unique index)."""
    PHONE = "phone"
    """Customer phone or consignee phone: 4 digits match the last four, more the whole number."""
    BUYER_PHONE = "buyerphone"
    """The buyer's (customer's) own phone only, never the consignee's; read like PHONE."""
    STORE_NAME = "storename"
    """The fulfilling store's name contains the text (HQ warehouse orders have no store)."""
    MERCHANT_NO = "merchantno"
    """Exact merchant order number (商家订单号), as the store or HQ set it."""
    SERIAL = "serial"
    """Exact payment serial number (流水号): the gateway's reference of a payment or refund."""
    CONSIGNEE = "consignee"
    """Consignee name contains the text."""
    PRODUCT = "product"
    """A line's product name snapshot or its SKU code contains the text."""
    SKU = "sku"
    """A line's SKU code contains the text, or its barcode is the text."""
    ANY = "text"
    """Free text: order number prefix, consignee name, phone (last four or whole), product name."""


PHONE_FIELDS: Final = frozenset({TextField.PHONE, TextField.BUYER_PHONE})
"""Fields whose value is a phone (normalised by `text_match`, refused to analysts by the service)."""


class TimeField(StrEnum):
    CREATED = "created"
    PAID = "paid"


@dataclass(frozen=True, slots=True)
class EnumIn:
    field: EnumField
    values: frozenset[StrEnum]


@dataclass(frozen=True, slots=True)
class IdIn:
    field: IdField
    ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class FlagIs:
    field: FlagField
    value: bool


@dataclass(frozen=True, slots=True)
class NameIn:
    field: NameField
    names: frozenset[str]
    origins: Mapping[str, int | str] = dataclass_field(default_factory=dict, compare=False, hash=False)
    """Where each name was written — its column in a query string, its input path in a typed filter —
    for an error naming it (an unknown store code); not part of what the filter means."""


@dataclass(frozen=True, slots=True)
class TextMatch:
    field: TextField
    text: str


@dataclass(frozen=True, slots=True)
class TimeIn:
    """Half-open [start, end) in UTC; a missing bound is open."""

    field: TimeField
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class AmountIn:
    """Payable amount in cents, both bounds inclusive (amounts are integers, so every op is exact)."""

    min: int | None
    max: int | None


@dataclass(frozen=True, slots=True)
class AllOf:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Leaf: TypeAlias = EnumIn | IdIn | FlagIs | NameIn | TextMatch | TimeIn | AmountIn
Node: TypeAlias = Leaf | AllOf | AnyOf | Not


# ---- smart constructors: the one place values are checked ----------------------------------------


def enum_in(field: EnumField, values: Iterable[StrEnum]) -> EnumIn:
    chosen = frozenset(values)
    if not chosen:
        raise FilterValueError(f"{field.value} needs at least one value")
    wanted = ENUM_TYPES[field]
    if any(not isinstance(v, wanted) for v in chosen):
        raise FilterValueError(f"{field.value} takes {wanted.__name__} values")
    return EnumIn(field, chosen)


def id_in(field: IdField, ids: Iterable[int]) -> IdIn:
    chosen = frozenset(ids)
    if not chosen:
        raise FilterValueError(f"{field.value} needs at least one id")
    if any(not 1 <= i <= MAX_ID for i in chosen):
        raise FilterValueError(f"{field.value} ids are positive integers")
    return IdIn(field, chosen)


def name_in(field: NameField, names: Iterable[str], origins: Iterable[int | str] | None = None) -> NameIn:
    """`origins`, parallel to `names`: where each was written (the first place wins for a repeat)."""
    cleaned = [clean_text(n, field.value) for n in names]
    if not cleaned:
        raise FilterValueError(f"{field.value} needs at least one name")
    where: dict[str, int | str] = {}
    for name, origin in zip(cleaned, origins or (), strict=False):
        where.setdefault(name, origin)
    return NameIn(field, frozenset(cleaned), where)


def flag_is(field: FlagField, value: bool) -> FlagIs:
    return FlagIs(field, value)


_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_DIGITS = re.compile(r"[0-9]+")


def text_match(field: TextField, text: str) -> TextMatch:
    cleaned = clean_text(text, field.value)
    if field not in PHONE_FIELDS:
        return TextMatch(field, cleaned)
    phone = normalize_phone(cleaned)
    if phone is None:
        raise FilterValueError(f"{field.value} takes the last 4 digits or the whole number")
    return TextMatch(field, phone)


def normalize_phone(text: str) -> str | None:
    """Digits of a phone as stored ("+86 138-0013-8000" → "13800138000"); None if it is not one.

    Four digits are a 尾号 (last four); seven to fifteen a whole number; anything else none.
    """
    digits = _PHONE_SEPARATORS.sub("", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not _DIGITS.fullmatch(digits):
        return None
    return digits if len(digits) == 4 or 7 <= len(digits) <= 15 else None


def clean_text(text: str, what: str) -> str:
    """Trimmed, non-empty, bounded text without control characters (PostgreSQL refuses NUL)."""
    cleaned = text.strip()
    if not cleaned:
        raise FilterValueError(f"{what} must not be empty")
    if len(cleaned) > MAX_TEXT_LENGTH:
        raise FilterValueError(f"{what} must be at most {MAX_TEXT_LENGTH} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in cleaned):
        raise FilterValueError(f"{what} must not contain control characters")
    return cleaned


def time_in(field: TimeField, start: datetime | None, end: datetime | None, zone: tzinfo) -> TimeIn:
    """A datetime without an offset is read in the business time zone `zone`."""
    if start is None and end is None:
        raise FilterValueError(f"{field.value} needs a start or an end")
    try:
        start, end = (None if t is None else _utc(t, zone) for t in (start, end))
    except (OverflowError, ValueError):
        raise FilterValueError(f"{field.value} is out of range") from None
    if start is not None and end is not None and start >= end:
        raise FilterValueError(f"{field.value} range is empty: its end must come after its start")
    return TimeIn(field, start, end)


def _utc(moment: datetime, zone: tzinfo) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def amount_in(min_cents: int | None, max_cents: int | None) -> AmountIn:
    if min_cents is None and max_cents is None:
        raise FilterValueError("amount needs a minimum or a maximum")
    for bound in (min_cents, max_cents):
        if bound is not None and not 0 <= bound <= MAX_AMOUNT_CENTS:
            raise FilterValueError(f"amounts are between 0 and {MAX_AMOUNT_CENTS} cents")
    if min_cents is not None and max_cents is not None and min_cents > max_cents:
        raise FilterValueError("amount range is empty: its minimum is above its maximum")
    return AmountIn(min_cents, max_cents)


def all_of(*nodes: Node) -> Node:
    """AND of at least one node, nested ANDs flattened (so `a (b c)` equals `a b c`)."""
    return _combine(AllOf, nodes)


def any_of(*nodes: Node) -> Node:
    """OR of at least one node, nested ORs flattened."""
    return _combine(AnyOf, nodes)


def _combine(kind: type[AllOf] | type[AnyOf], nodes: tuple[Node, ...]) -> Node:
    """The nodes' children of the same kind lifted one level (theirs are flat already), duplicates
    dropped keeping the first. One hash per child: O(n) for n children (a child's hash walks its
    subtree, so a whole filter built bottom-up costs O(n·d) for d levels of nesting, d ≤ 20)."""
    assert nodes, "an empty AND/OR has no meaning in a filter"
    flat: dict[Node, None] = {}
    for node in nodes:
        for child in node.children if isinstance(node, kind) else (node,):
            flat.setdefault(child)
    children = tuple(flat)
    return children[0] if len(children) == 1 else kind(children)


def negate(node: Node) -> Node:
    return node.child if isinstance(node, Not) else Not(node)


def leaves(node: Node) -> Iterable[Leaf]:
    if isinstance(node, AllOf | AnyOf):
        for child in node.children:
            yield from leaves(child)
    elif isinstance(node, Not):
        yield from leaves(node.child)
    else:
        yield node


def uses_phone(node: Node) -> bool:
    """Whether the filter names a phone outright (free text may also match phones; see the compiler)."""
    return any(isinstance(leaf, TextMatch) and leaf.field in PHONE_FIELDS for leaf in leaves(node))


def uses_watch_list(node: Node) -> bool:
    """Whether the filter reads the caller's watch list (so its SQL depends on who is asking)."""
    return any(isinstance(leaf, FlagIs) and leaf.field is FlagField.WATCHED for leaf in leaves(node))
