"""Catalogue rules (商品规则): shelf states, the required-information audit, value limits. Pure.

The audit is the seed's 商品审核 reduced to what the data can tell: a product without an image or a
weight, without SKUs or barcodes, or with a price above its crossed-out original price is not
listable. It runs when a product is activated and when a listing goes on a shelf, so a
half-described product can be drafted and edited but never sold.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Final

from models.catalog.rows import Product, Sku
from models.errors import DomainError, ErrorCode

MAX_PRICE_CENTS: Final = 10_000_000
"""100,000 yuan: anything above is a typo (cents entered as yuan ×100), not a product."""
MAX_STOCK: Final = 1_000_000
MAX_PURCHASE_LIMIT: Final = 999
MAX_BATCH_ROWS: Final = 5_000
"""Rows a batch sync or shelf change may carry in one call (one transaction)."""
NAME_MAX: Final = {"category": 64, "product": 120, "spec": 100}


class ShelfState(StrEnum):
    """What a shopper sees of a listing. Sold out is automatic at stock 0 and is not off shelf:
    a sold-out listing stays on the shelf and is on sale again as soon as stock arrives."""

    ON_SALE = "ON_SALE"
    SOLD_OUT = "SOLD_OUT"
    OFF_SHELF = "OFF_SHELF"


def shelf_state(on_shelf: bool, stock: int) -> ShelfState:
    if not on_shelf:
        return ShelfState.OFF_SHELF
    return ShelfState.SOLD_OUT if stock <= 0 else ShelfState.ON_SALE


class AuditReason(StrEnum):
    """Why a product may not be listed (商品审核)."""

    MISSING_IMAGE = "MISSING_IMAGE"
    MISSING_WEIGHT = "MISSING_WEIGHT"
    NO_SKUS = "NO_SKUS"
    MISSING_BARCODE = "MISSING_BARCODE"
    PRICE_ABOVE_ORIGINAL = "PRICE_ABOVE_ORIGINAL"
    PRODUCT_NOT_ACTIVE = "PRODUCT_NOT_ACTIVE"
    """Only for shelf changes: the product is a DRAFT or ARCHIVED (not an information gap)."""


def audit_product(product: Product, skus: Sequence[Sku]) -> list[AuditReason]:
    """Every reason the product is not listable, in a stable order (empty: listable).

    A weight on the product covers all its SKUs; otherwise every SKU needs its own (delivery and
    packaging fees are weighed per SKU).
    """
    reasons: list[AuditReason] = []
    if not product.image_url and not product.image_urls:
        reasons.append(AuditReason.MISSING_IMAGE)
    if not product.weight_g and (not skus or any(not s.weight_g for s in skus)):
        reasons.append(AuditReason.MISSING_WEIGHT)
    if not skus:
        reasons.append(AuditReason.NO_SKUS)
    if any(not s.barcode for s in skus):
        reasons.append(AuditReason.MISSING_BARCODE)
    if any(s.price > s.original_price for s in skus):
        reasons.append(AuditReason.PRICE_ABOVE_ORIGINAL)
    return reasons


def not_listable(name: str, reasons: Sequence[AuditReason], field: str) -> DomainError:
    return DomainError(
        ErrorCode.NOT_LISTABLE,
        f"{name} is not listable: {', '.join(r.value for r in reasons)}",
        field,
        {"reasons": [r.value for r in reasons]},
    )


def check_price(cents: int, field: str) -> int:
    if not 0 <= cents <= MAX_PRICE_CENTS:
        raise DomainError(ErrorCode.INVALID_PRICE, f"a price is 0 to {MAX_PRICE_CENTS} cents", field)
    return cents


def check_stock(stock: int, field: str) -> int:
    if not 0 <= stock <= MAX_STOCK:
        raise DomainError(ErrorCode.INVALID_STOCK, f"stock is 0 to {MAX_STOCK}", field)
    return stock


def check_purchase_limit(limit: int | None, field: str) -> int | None:
    if limit is not None and not 1 <= limit <= MAX_PURCHASE_LIMIT:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, f"a purchase limit is 1 to {MAX_PURCHASE_LIMIT} (or none)", field
        )
    return limit


def check_name(value: str, kind: str, field: str) -> str:
    """Trimmed, non-empty and within the column's length."""
    name = value.strip()
    limit = NAME_MAX[kind]
    if not name or len(name) > limit:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"a {kind} name is 1 to {limit} characters", field)
    return name


def check_batch_size(rows: int, field: str = "items") -> None:
    if rows == 0:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "a batch needs at least one row", field)
    if rows > MAX_BATCH_ROWS:
        raise DomainError(ErrorCode.BATCH_TOO_LARGE, f"at most {MAX_BATCH_ROWS:,} rows a call", field)


class BatchRejected(DomainError):
    """Some rows of a batch are wrong and the batch is all-or-nothing: nothing was applied.

    `errors` holds one DomainError per failing row, its `field` naming the row by index
    (`items.17.barcode`), so the client can point at each line of its file.
    """

    def __init__(self, errors: Sequence[DomainError], field: str = "items") -> None:
        super().__init__(
            errors[0].code,
            f"{len(errors)} row(s) refused; nothing was applied",
            field,
        )
        self.errors = list(errors)
