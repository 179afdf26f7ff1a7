"""Reading the values of the order query language: what comes after `field:`, one kind at a time.

`models/orders/query_language.py` owns the grammar (terms, AND/OR/NOT, parentheses) and
`models/orders/query_fields.py` the table of fields; this module holds the readers that table
points at — enum names and their Chinese aliases, dates in the business time zone, yuan
amounts, ids, prefixes, flag words — and `QuerySyntaxError`, the coded error (with its column)
every one of them raises. Each reader builds leaves only through the smart constructors of
`models/orders/filters.py`, so a value means what it means in the typed filter.

Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Final, TypeVar

from models.errors import DomainError, ErrorCode
from models.orders import filters as f

COLONS: Final = ":："
"""Field separators; the full-width one is what a Chinese input method types."""
COMMAS: Final = ",，"
KEYWORDS: Final = ("AND", "OR", "NOT")
QUOTES: Final = {'"': '"', "“": "”"}
ONE_MICROSECOND: Final = timedelta(microseconds=1)
_T = TypeVar("_T")


class QuerySyntaxError(DomainError):
    """A query string the parser refused; `column` (1-based) is also sent in the error's extensions."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(ErrorCode.INVALID_QUERY_SYNTAX, message, "query", extensions={"column": column})
        self.column = column


def fail(column: int, what: str, hint: str = "") -> QuerySyntaxError:
    return QuerySyntaxError(f"{what} at column {column}{hint}", column)


def suggest(word: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of a term's text, quoted or not; `column` is where it starts (its quote, if quoted)."""

    text: str
    quoted: bool
    column: int


@dataclass(frozen=True, slots=True)
class Item:
    """One comma-separated value of a field term."""

    text: str
    column: int
    star: bool
    """Ends with an unquoted "*": `no:2026112*` asks for a prefix (a quoted "*" is just a character)."""


def split_items(name: str, segments: Sequence[Segment], column: int) -> list[Item]:
    """Split a field's value on unquoted commas; `column` is where the value starts."""
    items: list[Item] = []
    parts: list[Segment] = []

    def close(at: int) -> None:
        joined = "".join(p.text for p in parts)
        if not joined.strip():
            raise fail(at, f"missing value for {name}")
        items.append(Item(joined, parts[0].column, not parts[-1].quoted and joined.endswith("*")))
        parts.clear()

    for seg in segments:
        if seg.quoted:
            parts.append(seg)
            continue
        start = 0
        for k, ch in enumerate(seg.text):
            if ch in COMMAS:
                if k > start:
                    parts.append(Segment(seg.text[start:k], False, seg.column + start))
                close(column)
                start, column = k + 1, seg.column + k + 1
        if start < len(seg.text):
            parts.append(Segment(seg.text[start:], False, seg.column + start))
    close(column)
    return items


def checked(column: int, build: Callable[[], f.Node]) -> f.Node:
    try:
        return build()
    except f.FilterValueError as exc:
        raise fail(column, str(exc)) from None


Parse = Callable[[str, Sequence[Item], tzinfo], f.Node]


def enum_field(field: f.EnumField, aliases: dict[str, StrEnum] | None = None) -> Parse:
    members: dict[str, StrEnum] = {m.value: m for m in f.ENUM_TYPES[field]}

    def parse(name: str, items: Sequence[Item], _zone: tzinfo) -> f.Node:
        values = []
        for item in items:
            value = members.get(item.text.upper()) or (aliases or {}).get(item.text)
            if value is None:
                hint = suggest(item.text.upper(), list(members)) or suggest(item.text, list(aliases or {}))
                raise fail(item.column, f'unknown {name} "{item.text}"', hint)
            values.append(value)
        return f.enum_in(field, values)

    return parse


def name_field(field: f.NameField) -> Parse:
    def parse(_name: str, items: Sequence[Item], _zone: tzinfo) -> f.Node:
        return checked(
            items[0].column, lambda: f.name_in(field, [i.text for i in items], [i.column for i in items])
        )

    return parse


def text_field(field: f.TextField) -> Parse:
    def parse(_name: str, items: Sequence[Item], _zone: tzinfo) -> f.Node:
        def one(item: Item) -> f.Node:
            if field is f.TextField.ORDER_NO and item.star:
                kind, text = f.TextField.ORDER_NO_PREFIX, item.text[:-1]
            else:
                kind, text = field, item.text
            return checked(item.column, lambda: f.text_match(kind, text))

        return f.any_of(*(one(i) for i in items))

    return parse


def id_field(field: f.IdField, type_name: str) -> Parse:
    def parse(name: str, items: Sequence[Item], _zone: tzinfo) -> f.Node:
        ids = []
        for item in items:
            pk = _number_or_global_id(item.text, type_name)
            if pk is None:
                raise fail(item.column, f'{name} "{item.text}" is neither a number nor a {type_name} id')
            ids.append(pk)
        return checked(items[0].column, lambda: f.id_in(field, ids))

    return parse


def _number_or_global_id(text: str, type_name: str) -> int | None:
    """`12`, or a Relay global id: base64 of "Type:pk", the format `gql/ids.py` produces."""
    if re.fullmatch(r"[0-9]{1,19}", text):
        return int(text)
    try:
        kind, _, pk = base64.b64decode(text, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(pk) if kind == type_name and re.fullmatch(r"[0-9]{1,19}", pk) else None


FLAG_WORDS: Final[dict[f.FlagField, dict[str, bool]]] = {
    f.FlagField.HQ_WAREHOUSE: {"hq": True, "总部": True, "store": False, "门店": False},
    f.FlagField.HAS_CAMPAIGN: {"any": True, "none": False},
    f.FlagField.WATCHED: {"true": True, "yes": True, "false": False, "no": False},
    f.FlagField.PRE_ORDER: {"true": True, "yes": True, "false": False, "no": False},
}
"""The words of a flag, each with the flag's value; `format_leaf` writes the first of each value."""


def _flag(field: f.FlagField, name: str, items: Sequence[Item]) -> f.Node:
    if len(items) > 1:
        raise fail(items[1].column, f"{name} takes one value here")
    item = items[0]
    words = FLAG_WORDS[field]
    value = words.get(item.text.lower())
    if value is None:
        listed = ", ".join(words)
        raise fail(item.column, f'unknown {name} "{item.text}"', f": expected one of {listed}")
    return f.flag_is(field, value)


def parse_warehouse(name: str, items: Sequence[Item], _zone: tzinfo) -> f.Node:
    return _flag(f.FlagField.HQ_WAREHOUSE, name, items)


def parse_watched(name: str, items: Sequence[Item], _zone: tzinfo) -> f.Node:
    return _flag(f.FlagField.WATCHED, name, items)


def parse_pre_order(name: str, items: Sequence[Item], _zone: tzinfo) -> f.Node:
    return _flag(f.FlagField.PRE_ORDER, name, items)


def parse_campaign(name: str, items: Sequence[Item], zone: tzinfo) -> f.Node:
    """`campaign:any` / `campaign:none` (whether the order has a campaign), else campaign ids."""
    if any(i.text.lower() in FLAG_WORDS[f.FlagField.HAS_CAMPAIGN] for i in items):
        return _flag(f.FlagField.HAS_CAMPAIGN, name, items)
    return id_field(f.IdField.CAMPAIGN, "Campaign")(name, items, zone)


_OPERATOR = re.compile(r"(>=|<=|>|<|=)?(.*)", re.DOTALL)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}.*")
_YUAN = re.compile(r"([0-9]{1,10})(?:\.([0-9]{1,2}))?")


def _single(name: str, items: Sequence[Item]) -> Item:
    if len(items) > 1:
        raise fail(items[1].column, f"{name} takes one value (use a..b for a range)")
    return items[0]


def _bounds(item: Item, read: Callable[[str, int], tuple[_T, _T]]) -> tuple[_T | None, _T | None]:
    """(lower, upper) from `>v >=v <v <=v =v v a..b`; `read` gives (first, past-the-last) of a value.

    Time values are whole days or instants (first, first + 1µs); amounts are cents (v, v + 1).
    """
    if ".." in item.text:
        low, high = item.text.split("..", 1)
        if not low and not high:
            raise fail(item.column, 'range ".." needs at least one end')
        start = read(low, item.column)[0] if low else None
        end = read(high, item.column + len(low) + 2)[1] if high else None
        return start, end
    match = _OPERATOR.fullmatch(item.text)
    assert match is not None, "the operator pattern matches any text"
    op, value = match[1] or "=", match[2]
    if not value:
        raise fail(item.column, f'missing value after "{op}"')
    first, past = read(value, item.column + len(match[1] or ""))
    if op == ">":
        return past, None
    if op == ">=":
        return first, None
    if op == "<":
        return None, first
    if op == "<=":
        return None, past
    return first, past


def time_field(field: f.TimeField) -> Parse:
    def parse(name: str, items: Sequence[Item], zone: tzinfo) -> f.Node:
        item = _single(name, items)

        def read(text: str, column: int) -> tuple[datetime, datetime]:
            try:
                if _DATE.fullmatch(text):
                    day = datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(), zone)
                    return day, datetime.combine(day.date() + timedelta(days=1), time(), zone)
                if _DATETIME.fullmatch(text):
                    moment = datetime.fromisoformat(text)
                    return moment, moment + ONE_MICROSECOND
            except (ValueError, OverflowError):
                pass
            raise fail(column, f'bad date "{text}"', ": expected YYYY-MM-DD or an ISO datetime")

        start, end = _bounds(item, read)
        return checked(item.column, lambda: f.time_in(field, start, end, zone))

    return parse


def parse_amount(name: str, items: Sequence[Item], _zone: tzinfo) -> f.Node:
    item = _single(name, items)

    def read(text: str, column: int) -> tuple[int, int]:
        match = _YUAN.fullmatch(text)
        if not match:
            raise fail(column, f'bad amount "{text}"', ": expected yuan like 100 or 99.5")
        cents = int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))
        return cents, cents + 1

    low, past = _bounds(item, read)
    high = None if past is None else past - 1
    return checked(item.column, lambda: f.amount_in(low, high))
