"""Product and SKU administration (商品管理): HQ creates, edits, activates and archives products.

A product starts as a DRAFT and becomes ACTIVE only when the required-information audit passes
(`models/catalog/rules.py`); an ACTIVE product must keep passing it, so an edit that would strip
its image is refused rather than leaving a half-described product on sale. ARCHIVED is the
seed's 删除: the product leaves every shelf but stays for the order lines that reference it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from models.action_log import LoggedAction, LoggedEntity
from models.catalog.rows import Category, Product, Sku, StoreSku
from models.catalog.rules import audit_product, check_name, check_price, not_listable
from models.enums import ProductStatus
from models.errors import DomainError, ErrorCode
from services import action_log
from services.commands import Result, Work
from services.group_buy.cache import invalidate_catalog_pages
from services.staff import require_hq

BARCODE: Final = re.compile(r"^[0-9A-Za-z-]{4,32}$")
SKU_CODE: Final = re.compile(r"^[0-9A-Za-z_-]{1,40}$")
MAX_IMAGES: Final = 20
MAX_WEIGHT_G: Final = 1_000_000


def _images(urls: Sequence[str], path: str) -> list[str]:
    if len(urls) > MAX_IMAGES:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"at most {MAX_IMAGES} images", path)
    for i, url in enumerate(urls):
        if not url.startswith("https://") or len(url) > 300:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT, "images are https URLs of ≤ 300 characters", f"{path}.{i}"
            )
    return list(urls)


def _weight(grams: int | None, path: str) -> int | None:
    if grams is not None and not 1 <= grams <= MAX_WEIGHT_G:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"a weight is 1 to {MAX_WEIGHT_G} grams", path)
    return grams


def _text(value: str | None, limit: int, path: str) -> str | None:
    text = (value or "").strip()
    if len(text) > limit:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"at most {limit} characters", path)
    return text or None


def sku_values(changes: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    """Validated SKU columns for the given settings; error paths are prefixed with `path`."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "spec":
            out[name] = check_name(value, "spec", f"{path}spec")
        elif name in ("price", "original_price"):
            out[name] = check_price(
                value, f"{path}{'priceCents' if name == 'price' else 'originalPriceCents'}"
            )
        elif name == "barcode":
            if value is not None and not BARCODE.match(value):
                raise DomainError(
                    ErrorCode.BAD_USER_INPUT, "a barcode is 4-32 letters or digits", f"{path}barcode"
                )
            out[name] = value
        elif name == "sku_code":
            if value is not None and not SKU_CODE.match(value):
                raise DomainError(
                    ErrorCode.BAD_USER_INPUT, "a SKU code is 1-40 of A-Z, 0-9, - and _", f"{path}skuCode"
                )
            out[name] = value
        elif name == "image_url":
            out[name] = _images([value], f"{path}imageUrl")[0] if value else None
        elif name == "weight_g":
            out[name] = _weight(value, f"{path}weightGrams")
        else:
            raise KeyError(name)
    return out


def product_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "name":
            out[name] = check_name(value, "product", "name")
        elif name == "subtitle":
            out[name] = _text(value, 200, "subtitle")
        elif name == "description":
            out[name] = _text(value, 5000, "description")
        elif name == "image_urls":
            out[name] = _images(value, "imageUrls")
            out["image_url"] = out[name][0] if out[name] else None
        elif name == "weight_g":
            out[name] = _weight(value, "weightGrams")
        elif name in ("category_id", "status"):
            out[name] = value
        else:
            raise KeyError(name)
    return out


async def _leaf_category(work: Work, category_id: int) -> None:
    category = await work.session.get(Category, category_id)
    if category is None:
        raise DomainError(ErrorCode.NOT_FOUND, "category not found", "categoryId")
    if category.level != 2:
        raise DomainError(
            ErrorCode.INVALID_CATEGORY_LEVEL, "products go into a second-level category", "categoryId"
        )


async def _check_codes_free(
    work: Work, skus: Sequence[Mapping[str, Any]], paths: Sequence[str], except_id: int | None
) -> None:
    """Barcodes and SKU codes are unique across the catalogue and within the input.

    `paths[i]` prefixes the error path of row i ("skus.3." in a product, "" for one SKU).
    """
    for column, attr, label in (("barcode", Sku.barcode, "barcode"), ("sku_code", Sku.sku_code, "skuCode")):
        seen: dict[str, int] = {}
        for i, values in enumerate(skus):
            code = values.get(column)
            if code is None:
                continue
            if code in seen:
                raise DomainError(
                    ErrorCode.DUPLICATE_CODE, f"{code} repeats row {seen[code]}", f"{paths[i]}{label}"
                )
            seen[code] = i
        if seen:
            stmt = select(attr).where(attr.in_(seen))
            if except_id is not None:
                stmt = stmt.where(Sku.id != except_id)
            taken = (await work.session.scalars(stmt.limit(1))).first()
            if taken is not None:
                raise DomainError(
                    ErrorCode.DUPLICATE_CODE, f"{taken} is already used", f"{paths[seen[taken]]}{label}"
                )


async def _flush_codes(work: Work, path: str) -> None:
    try:
        async with work.session.begin_nested():
            await work.session.flush()
    except IntegrityError:  # a concurrent writer took a code between our check and this insert
        raise DomainError(ErrorCode.DUPLICATE_CODE, "a barcode or SKU code is already used", path) from None


async def _require_listable(work: Work, product: Product) -> None:
    if product.status is not ProductStatus.ACTIVE:
        return
    skus = list((await work.session.scalars(select(Sku).where(Sku.product_id == product.id))).all())
    reasons = audit_product(product, skus)
    if reasons:
        raise not_listable(product.name, reasons, "status")


@dataclass(frozen=True, slots=True)
class NewProduct:
    category_id: int
    name: str
    skus: Sequence[Mapping[str, Any]]
    """SKU settings: spec, price, original_price and optionally barcode, sku_code, image_url, weight_g."""
    details: Mapping[str, Any] = field(default_factory=dict)
    """subtitle, description, image_urls, weight_g, status."""


async def create_product(work: Work, new: NewProduct) -> Result:
    require_hq(work.principal)
    values = product_values({"name": new.name, "category_id": new.category_id, **new.details})
    values.setdefault("status", ProductStatus.DRAFT)
    await _leaf_category(work, new.category_id)
    skus = [sku_values(s, f"skus.{i}.") for i, s in enumerate(new.skus)]
    for i, s in enumerate(skus):
        for required, label in (
            ("spec", "spec"),
            ("price", "priceCents"),
            ("original_price", "originalPriceCents"),
        ):
            if required not in s:
                raise DomainError(ErrorCode.BAD_USER_INPUT, f"{label} is required", f"skus.{i}.{label}")
    await _check_codes_free(work, skus, [f"skus.{i}." for i in range(len(skus))], None)
    values.setdefault("image_urls", [])
    product = Product(**values, created_at=work.now, updated_at=work.now)
    work.session.add(product)
    await work.session.flush()
    rows = []
    for i, settings in enumerate(skus):
        code = settings.get("sku_code") or f"P{product.id}-{i + 1}"
        rows.append(Sku(**{**settings, "sku_code": code}, product_id=product.id, created_at=work.now))
    work.session.add_all(rows)
    await _flush_codes(work, "skus")
    await _require_listable(work, product)
    action_log.record(work, LoggedEntity.PRODUCT, product.id, LoggedAction.CREATE, action_log.created(values))
    for row in rows:
        action_log.record(work, LoggedEntity.SKU, row.id, LoggedAction.CREATE, _sku_snapshot(row))
    return {"productId": product.id}


def _sku_snapshot(row: Sku) -> dict[str, list[Any]]:
    return action_log.created(
        {
            "sku_code": row.sku_code,
            "barcode": row.barcode,
            "spec": row.spec,
            "price": row.price,
            "original_price": row.original_price,
        }
    )


async def update_product(work: Work, product_id: int, changes: Mapping[str, Any]) -> Result:
    """Edit, activate (audit must pass), deactivate or archive (leaves every shelf) a product."""
    require_hq(work.principal)
    values = product_values(changes)
    product = await work.session.scalar(select(Product).where(Product.id == product_id).with_for_update())
    if product is None:
        raise DomainError(ErrorCode.NOT_FOUND, "product not found", "productId")
    if "category_id" in values:
        await _leaf_category(work, values["category_id"])
    diff = action_log.changes_between(product, values)
    for name in diff:
        setattr(product, name, values[name])
    if not diff:
        return {"productId": product.id}
    product.updated_at = work.now
    await _require_listable(work, product)
    if product.status is ProductStatus.ARCHIVED:
        await work.session.execute(
            update(StoreSku)
            .where(StoreSku.sku_id.in_(select(Sku.id).where(Sku.product_id == product.id)))
            .values(on_shelf=False, updated_at=work.now)
        )
    action_log.record(work, LoggedEntity.PRODUCT, product.id, LoggedAction.UPDATE, diff)
    invalidate_catalog_pages(work)
    return {"productId": product.id}


async def create_sku(work: Work, product_id: int, settings: Mapping[str, Any]) -> Result:
    require_hq(work.principal)
    product = await work.session.scalar(select(Product).where(Product.id == product_id).with_for_update())
    if product is None:
        raise DomainError(ErrorCode.NOT_FOUND, "product not found", "productId")
    values = sku_values(settings)
    for required, label in (
        ("spec", "spec"),
        ("price", "priceCents"),
        ("original_price", "originalPriceCents"),
    ):
        if required not in values:
            raise DomainError(ErrorCode.BAD_USER_INPUT, f"{label} is required", label)
    await _check_codes_free(work, [values], [""], None)
    if not values.get("sku_code"):  # the product row is locked, so the count cannot move under us
        count = await work.session.scalar(select(func.count()).where(Sku.product_id == product.id))
        values["sku_code"] = f"P{product.id}-{(count or 0) + 1}"
    row = Sku(**values, product_id=product.id, created_at=work.now)
    work.session.add(row)
    await _flush_codes(work, "skuCode")
    await _require_listable(work, product)
    action_log.record(work, LoggedEntity.SKU, row.id, LoggedAction.CREATE, _sku_snapshot(row))
    invalidate_catalog_pages(work)
    return {"skuId": row.id}


async def update_sku(work: Work, sku_id: int, changes: Mapping[str, Any]) -> Result:
    """Change a SKU's spec, codes, HQ prices, image or weight (an ACTIVE product stays listable)."""
    require_hq(work.principal)
    values = sku_values(changes)
    sku = await work.session.scalar(select(Sku).where(Sku.id == sku_id).with_for_update())
    if sku is None:
        raise DomainError(ErrorCode.NOT_FOUND, "SKU not found", "skuId")
    codes = {k: v for k, v in values.items() if k in ("barcode", "sku_code") and v != getattr(sku, k)}
    if codes:
        await _check_codes_free(work, [codes], [""], sku.id)
    diff = action_log.changes_between(sku, values)
    for name in diff:
        setattr(sku, name, values[name])
    if diff:
        await _flush_codes(work, "barcode")
        product = await work.session.get(Product, sku.product_id)
        assert product is not None, "SKUs reference an existing product (foreign key)"
        await _require_listable(work, product)
        action_log.record(work, LoggedEntity.SKU, sku.id, LoggedAction.UPDATE, diff)
        invalidate_catalog_pages(work)  # cached public pages show the old prices
    return {"skuId": sku.id}
