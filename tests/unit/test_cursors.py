"""Cursors: opaque, bound to their sort, refused with a coded error when tampered with."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from models.errors import DomainError, ErrorCode
from models.orders.rows import Order
from services.orders.sorting import ORDERS_NEWEST_FIRST
from services.pagination import PageRequest, Sort, SortKey, decode_cursor, encode_cursor

ROW = SimpleNamespace(created_at=datetime(2026, 11, 23, 1, 2, 3, 456, tzinfo=UTC), id=42)


def test_round_trip() -> None:
    cursor = encode_cursor(ORDERS_NEWEST_FIRST, ROW)
    assert decode_cursor(ORDERS_NEWEST_FIRST, cursor, "after") == (ROW.created_at, 42)


def test_cursor_of_another_sort_is_refused() -> None:
    other = Sort("TOTAL", (SortKey(Order.payable_amount, True), SortKey(Order.id, True)), lambda o: (1, o.id))
    cursor = encode_cursor(other, ROW)
    with pytest.raises(DomainError) as info:
        decode_cursor(ORDERS_NEWEST_FIRST, cursor, "after")
    assert info.value.code is ErrorCode.INVALID_CURSOR


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        base64.urlsafe_b64encode(b'["CREATED_AT", [1]]').decode(),
        base64.urlsafe_b64encode(b'["CREATED_AT", ["not a date", 1]]').decode(),
        base64.urlsafe_b64encode(b'["CREATED_AT", ["2026-11-01T00:00:00+00:00", "1"]]').decode(),
        base64.urlsafe_b64encode(b"{}").decode(),
    ],
)
def test_tampered_cursors(cursor: str) -> None:
    with pytest.raises(DomainError) as info:
        decode_cursor(ORDERS_NEWEST_FIRST, cursor, "before")
    assert info.value.code is ErrorCode.INVALID_CURSOR
    assert info.value.field == "before"


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (PageRequest(first=101), ErrorCode.PAGE_SIZE_EXCEEDED),
        (PageRequest(last=500), ErrorCode.PAGE_SIZE_EXCEEDED),
        (PageRequest(first=-1), ErrorCode.BAD_USER_INPUT),
        (PageRequest(first=1, last=1), ErrorCode.BAD_USER_INPUT),
    ],
)
def test_page_size_limits(request_: PageRequest, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as info:
        request_.validated()
    assert info.value.code is code


def test_direction() -> None:
    assert PageRequest(first=5).size == 5
    assert not PageRequest(first=5).backward
    assert PageRequest(last=5, before="x").backward
    assert PageRequest().size == 20
