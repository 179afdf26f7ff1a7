"""Shelf states, the required-information audit, value limits and account management rules."""

from __future__ import annotations

import pytest

from models.catalog.rows import Product, Sku
from models.catalog.rules import (
    AuditReason,
    BatchRejected,
    ShelfState,
    audit_product,
    check_batch_size,
    check_price,
    check_stock,
    shelf_state,
)
from models.enums import StaffRole
from models.errors import DomainError, ErrorCode
from models.staff_rules import HQ_MANAGER, Manager, check_may_manage, check_scope, check_sub_account


def test_sold_out_is_automatic_and_not_off_shelf() -> None:
    assert shelf_state(on_shelf=True, stock=3) is ShelfState.ON_SALE
    assert shelf_state(on_shelf=True, stock=0) is ShelfState.SOLD_OUT
    assert shelf_state(on_shelf=False, stock=0) is ShelfState.OFF_SHELF
    assert shelf_state(on_shelf=False, stock=9) is ShelfState.OFF_SHELF


def _product(**kw: object) -> Product:
    fields: dict[str, object] = {"image_url": None, "image_urls": [], "weight_g": None}
    fields.update(kw)
    return Product(name="赣南脐橙", **fields)


def _sku(**kw: object) -> Sku:
    fields: dict[str, object] = {
        "barcode": "6901234567890",
        "price": 1990,
        "original_price": 2590,
        "weight_g": 500,
    }
    fields.update(kw)
    return Sku(spec="5斤装", **fields)


def test_audit_reasons() -> None:
    assert audit_product(_product(), []) == [
        AuditReason.MISSING_IMAGE,
        AuditReason.MISSING_WEIGHT,
        AuditReason.NO_SKUS,
    ]
    complete = _product(image_urls=["https://img.example/1.jpg"])
    assert audit_product(complete, [_sku()]) == []
    assert audit_product(complete, [_sku(), _sku(weight_g=None)]) == [AuditReason.MISSING_WEIGHT]
    weighed = _product(image_urls=["https://img.example/1.jpg"], weight_g=2500)
    assert audit_product(weighed, [_sku(weight_g=None)]) == []  # the product's weight covers its SKUs
    assert audit_product(complete, [_sku(barcode=None, price=3000)]) == [
        AuditReason.MISSING_BARCODE,
        AuditReason.PRICE_ABOVE_ORIGINAL,
    ]


def test_value_limits() -> None:
    assert check_price(0, "price") == 0
    with pytest.raises(DomainError) as error:
        check_price(-1, "items.3.priceCents")
    assert (error.value.code, error.value.field) == (ErrorCode.INVALID_PRICE, "items.3.priceCents")
    with pytest.raises(DomainError) as error:
        check_stock(-5, "stock")
    assert error.value.code is ErrorCode.INVALID_STOCK
    with pytest.raises(DomainError) as error:
        check_batch_size(5_001)
    assert error.value.code is ErrorCode.BATCH_TOO_LARGE
    check_batch_size(5_000)


def test_batch_rejection_keeps_every_row_error() -> None:
    rows = [DomainError(ErrorCode.NOT_FOUND, "unknown barcode", "items.2.barcode")]
    rejected = BatchRejected(rows)
    assert rejected.errors == rows
    assert rejected.code is ErrorCode.NOT_FOUND
    assert "nothing was applied" in rejected.message


def test_scope_by_role() -> None:
    check_scope(StaffRole.STORE_STAFF, {1})
    check_scope(StaffRole.HQ_ADMIN, set())
    for role, stores in ((StaffRole.STORE_STAFF, set()), (StaffRole.ANALYST, {1})):
        with pytest.raises(DomainError):
            check_scope(role, stores)


def test_main_accounts_manage_their_own_sub_accounts_only() -> None:
    check_may_manage(HQ_MANAGER, role=StaffRole.HQ_ADMIN, parent_id=None, stores=set())
    main = Manager(main_account_id=7, store_ids=frozenset({1, 2}))
    check_may_manage(main, role=StaffRole.STORE_STAFF, parent_id=7, stores={1})
    for kw, field in (
        ({"role": StaffRole.HQ_ADMIN, "parent_id": 7, "stores": set()}, "role"),
        ({"role": StaffRole.STORE_STAFF, "parent_id": 8, "stores": {1}}, "parentId"),
        ({"role": StaffRole.STORE_STAFF, "parent_id": 7, "stores": {3}}, "storeIds"),
    ):
        with pytest.raises(DomainError) as error:
            check_may_manage(main, **kw)  # type: ignore[arg-type]
        assert (error.value.code, error.value.field) == (ErrorCode.FORBIDDEN, field)


def test_sub_accounts_hang_off_main_store_accounts() -> None:
    check_sub_account(StaffRole.STORE_STAFF, None, {1, 2}, {2})
    with pytest.raises(DomainError) as error:
        check_sub_account(StaffRole.STORE_STAFF, 3, {1}, {1})  # the parent is itself a sub-account
    assert error.value.field == "parentId"
    with pytest.raises(DomainError) as error:
        check_sub_account(StaffRole.STORE_STAFF, None, {1}, {1, 2})
    assert error.value.field == "storeIds"
