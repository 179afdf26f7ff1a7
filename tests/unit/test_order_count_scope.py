"""Which counts the order count parts may answer (models/orders/counts.py `count_scope`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.enums import PaymentMethod, Role
from models.orders import filters as f
from models.orders.counts import CountScope, count_scope
from models.orders.states import OrderStatus as S
from models.principals import Principal

HQ = Principal(Role.HQ_ADMIN, "hq")
ANALYST = Principal(Role.ANALYST, "a")
STAFF = Principal(Role.STORE_STAFF, "s", store_ids=frozenset({1, 2}))
SHOPPER = Principal(Role.SHOPPER, "c", customer_id=7)

STATUS = f.enum_in(f.EnumField.STATUS, [S.COMPLETED, S.SHIPPED])
STORES = f.id_in(f.IdField.STORE, [2, 3])
CODES = f.name_in(f.NameField.STORE_CODE, ["SH001"])


def test_everything_for_those_who_see_all_stores() -> None:
    assert count_scope(HQ, [None, None]) == CountScope()
    assert count_scope(ANALYST, []) == CountScope()


def test_staff_count_within_their_stores() -> None:
    assert count_scope(STAFF, [None]) == CountScope(store_ids=frozenset({1, 2}))
    assert count_scope(STAFF, [STORES]) == CountScope(store_ids=frozenset({2}))
    assert count_scope(Principal(Role.STORE_STAFF, "x"), [None]) == CountScope(store_ids=frozenset())


def test_shoppers_are_counted_over_their_orders() -> None:
    assert count_scope(SHOPPER, [None]) is None


def test_statuses_stores_and_codes_are_anded() -> None:
    assert count_scope(HQ, [f.all_of(STATUS, STORES, CODES)]) == CountScope(
        frozenset({S.COMPLETED, S.SHIPPED}), frozenset({2, 3}), frozenset({"SH001"})
    )
    # the filter and the query string narrow each other
    completed = f.enum_in(f.EnumField.STATUS, [S.COMPLETED, S.CANCELLED])
    assert count_scope(HQ, [STATUS, completed]) == CountScope(statuses=frozenset({S.COMPLETED}))
    disjoint = f.enum_in(f.EnumField.STATUS, [S.CLOSED])
    assert count_scope(HQ, [f.all_of(STATUS, disjoint)]) == CountScope(statuses=frozenset())


@pytest.mark.parametrize(
    "node",
    [
        f.any_of(STATUS, STORES),
        f.negate(STATUS),
        f.all_of(STATUS, f.enum_in(f.EnumField.PAYMENT, [PaymentMethod.WECHAT_PAY])),
        f.all_of(STATUS, f.time_in(f.TimeField.CREATED, datetime(2026, 11, 1, tzinfo=UTC), None, UTC)),
        f.all_of(STATUS, f.text_match(f.TextField.ORDER_NO, "2026")),
        f.all_of(STATUS, f.name_in(f.NameField.CITY, ["杭州市"])),
        f.all_of(STATUS, f.amount_in(100, None)),
        f.id_in(f.IdField.CAMPAIGN, [1]),
    ],
)
def test_anything_else_is_counted_over_the_orders(node: f.Node) -> None:
    assert count_scope(HQ, [node]) is None
    assert count_scope(STAFF, [None, node]) is None
