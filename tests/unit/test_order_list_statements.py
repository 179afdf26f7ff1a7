"""The admin list's statements are made once per (scope, filter) and first page (services/orders/search.py
`_listed`, services/pagination.py `_page_of`), and never shared where they differ."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.enums import Role
from models.errors import DomainError
from models.orders import filters as f
from models.orders.states import OrderStatus
from models.principals import Principal
from services.orders.search import OrderCriteria, _listed
from services.orders.sorting import order_sort
from services.pagination import PageRequest, _page_of, encode_cursor

HQ = Principal(Role.HQ_ADMIN, "hq")
STAFF = Principal(Role.STORE_STAFF, "s", store_ids=frozenset({1}))
COMPLETED = OrderCriteria(filter=f.enum_in(f.EnumField.STATUS, [OrderStatus.COMPLETED]))


def test_one_statement_per_scope_and_filter() -> None:
    same = OrderCriteria(filter=f.enum_in(f.EnumField.STATUS, [OrderStatus.COMPLETED]))
    assert _listed(HQ, COMPLETED) is _listed(Principal(Role.HQ_ADMIN, "another"), same)
    assert _listed(HQ, COMPLETED) is not _listed(STAFF, COMPLETED)
    assert _listed(STAFF, COMPLETED) is not _listed(
        Principal(Role.STORE_STAFF, "s", store_ids=frozenset({2})), COMPLETED
    )
    assert _listed(HQ, COMPLETED) is not _listed(HQ, OrderCriteria())
    assert str(_listed(STAFF, COMPLETED)) != str(_listed(HQ, COMPLETED))


def test_a_refused_filter_is_refused_every_time() -> None:
    analyst = Principal(Role.ANALYST, "a")
    by_phone = OrderCriteria(filter=f.text_match(f.TextField.PHONE, "13800001234"))
    for _ in range(2):
        with pytest.raises(DomainError, match="phone"):
            _listed(analyst, by_phone)


def test_first_pages_are_remembered_and_pages_after_a_cursor_are_not() -> None:
    base, sort = _listed(HQ, COMPLETED), order_sort(())
    assert order_sort(()) is sort
    first = _page_of(base, sort, PageRequest(first=50), frozenset({"id", "status"}))
    assert _page_of(base, sort, PageRequest(first=50), frozenset({"id", "status"})) == first
    assert _page_of(base, sort, PageRequest(first=20), frozenset({"id", "status"}))[1] is not first[1]
    assert _page_of(base, sort, PageRequest(last=50), frozenset({"id", "status"}))[1] is not first[1]
    assert _page_of(base, sort, PageRequest(first=50), None)[1] is not first[1]

    class Row:
        id = 7
        created_at = datetime(2026, 11, 1, tzinfo=UTC)

    cursor = encode_cursor(sort, Row())
    columns = frozenset({"id", "status"})
    after = _page_of(base, sort, PageRequest(first=50, after=cursor), columns)
    assert after[1] is not _page_of(base, sort, PageRequest(first=50, after=cursor), columns)[1]
