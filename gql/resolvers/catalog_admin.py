"""Mutations of catalogue administration (HQ): the category tree, products and their SKUs."""

from __future__ import annotations

from typing import Any

import strawberry

from gql.admin_mutations import given, run_admin
from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id, encode_id
from gql.schema.catalog import Category, Product, Sku
from gql.schema.catalog_admin import (
    CategoryPayload,
    CreateCategoryInput,
    CreateProductInput,
    CreateSkuInput,
    DeleteCategoryInput,
    DeleteCategoryPayload,
    MoveCategoryInput,
    ProductPayload,
    ReorderCategoriesInput,
    ReorderCategoriesPayload,
    SkuPayload,
    UpdateCategoryInput,
    UpdateProductInput,
    UpdateSkuInput,
)
from models.catalog.rows import Category as CategoryRow
from models.catalog.rows import Product as ProductRow
from models.catalog.rows import Sku as SkuRow
from models.errors import DomainError, ErrorCode
from services.catalog import admin as catalog_admin
from services.catalog import categories as category_admin
from services.catalog import reads as catalog
from services.commands import Result, Work

_SKU_FIELDS = {
    "spec": "spec",
    "barcode": "barcode",
    "sku_code": "sku_code",
    "price_cents": "price",
    "original_price_cents": "original_price",
    "image_url": "image_url",
    "weight_grams": "weight_g",
}
_PRODUCT_FIELDS = {
    "name": "name",
    "subtitle": "subtitle",
    "description": "description",
    "image_urls": "image_urls",
    "weight_grams": "weight_g",
    "status": "status",
}
_NOT_NULL = frozenset({"spec", "price", "original_price", "sku_code", "name", "image_urls", "status"})


def _category_id(value: strawberry.ID | None, field: str) -> int | None:
    return None if value is None else decode_id(value, "Category", field)


def _non_null(values: dict[str, Any]) -> dict[str, Any]:
    for name, value in values.items():
        if value is None and name in _NOT_NULL:
            raise DomainError(ErrorCode.BAD_USER_INPUT, f"{name} cannot be null", name)
    return values


async def _category(info: Info, result: Result | None) -> Category | None:
    if result is None or result.get("categoryId") is None:
        return None
    async with info.context.sessions() as session:
        row = await session.get(CategoryRow, int(result["categoryId"]))
    return Category.from_row(row) if row else None


async def _product(info: Info, result: Result | None) -> Product | None:
    if result is None:
        return None
    async with info.context.sessions() as session:
        row = await session.get(ProductRow, int(result["productId"]))
    return Product.from_row(row) if row else None


async def _sku(info: Info, result: Result | None) -> Sku | None:
    if result is None:
        return None
    async with info.context.sessions() as session:
        row = await session.get(SkuRow, int(result["skuId"]))
    return Sku.from_row(row) if row else None


@strawberry.type
class CatalogAdminMutations:
    @strawberry.mutation(permission_classes=[Allowed], description="Add a category (店内类目), HQ.")
    async def create_category(self, info: Info, input: CreateCategoryInput) -> CategoryPayload:
        async def use_case(work: Work) -> Result:
            parent = _category_id(input.parent_id, "parentId")
            return await category_admin.create_category(work, input.name, parent, input.sort_order)

        result, errors = await run_admin(info, "createCategory", input, use_case)
        return CategoryPayload(category=await _category(info, result), user_errors=errors)

    @strawberry.mutation(permission_classes=[Allowed], description="Rename or reposition a category.")
    async def update_category(self, info: Info, input: UpdateCategoryInput) -> CategoryPayload:
        async def use_case(work: Work) -> Result:
            category_id = decode_id(input.category_id, "Category", "categoryId")
            return await category_admin.update_category(work, category_id, input.name, input.sort_order)

        result, errors = await run_admin(info, "updateCategory", input, use_case)
        return CategoryPayload(category=await _category(info, result), user_errors=errors)

    @strawberry.mutation(permission_classes=[Allowed], description="Move a category (two levels stay two).")
    async def move_category(self, info: Info, input: MoveCategoryInput) -> CategoryPayload:
        async def use_case(work: Work) -> Result:
            category_id = decode_id(input.category_id, "Category", "categoryId")
            return await category_admin.move_category(
                work, category_id, _category_id(input.parent_id, "parentId")
            )

        result, errors = await run_admin(info, "moveCategory", input, use_case)
        return CategoryPayload(category=await _category(info, result), user_errors=errors)

    @strawberry.mutation(permission_classes=[Allowed], description="Set the display order of one level.")
    async def reorder_categories(self, info: Info, input: ReorderCategoriesInput) -> ReorderCategoriesPayload:
        parent_id: int | None = None

        async def use_case(work: Work) -> Result:
            nonlocal parent_id
            parent_id = _category_id(input.parent_id, "parentId")
            ids = [decode_id(c, "Category", f"categoryIds.{i}") for i, c in enumerate(input.category_ids)]
            return await category_admin.reorder_categories(work, parent_id, ids)

        result, errors = await run_admin(info, "reorderCategories", input, use_case)
        if result is None:
            return ReorderCategoriesPayload(categories=[], user_errors=errors)
        rows = (
            await catalog.top_level_categories(info.context.sessions)
            if parent_id is None
            else await info.context.loaders.categories_by_parent.load(parent_id)
        )
        return ReorderCategoriesPayload(categories=[Category.from_row(r) for r in rows], user_errors=[])

    @strawberry.mutation(permission_classes=[Allowed], description="Delete an empty category.")
    async def delete_category(self, info: Info, input: DeleteCategoryInput) -> DeleteCategoryPayload:
        async def use_case(work: Work) -> Result:
            return await category_admin.delete_category(
                work, decode_id(input.category_id, "Category", "categoryId")
            )

        result, errors = await run_admin(info, "deleteCategory", input, use_case)
        deleted = None if result is None else encode_id("Category", int(result["deletedCategoryId"]))
        return DeleteCategoryPayload(
            deleted_category_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )

    @strawberry.mutation(permission_classes=[Allowed], description="Create a product with its SKUs (HQ).")
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload:
        async def use_case(work: Work) -> Result:
            new = catalog_admin.NewProduct(
                category_id=decode_id(input.category_id, "Category", "categoryId"),
                name=input.name,
                skus=[given(s, _SKU_FIELDS) for s in input.skus],
                details={
                    "subtitle": input.subtitle,
                    "description": input.description,
                    "image_urls": input.image_urls,
                    "weight_g": input.weight_grams,
                    "status": input.status,
                },
            )
            return await catalog_admin.create_product(work, new)

        result, errors = await run_admin(info, "createProduct", input, use_case)
        return ProductPayload(product=await _product(info, result), user_errors=errors)

    @strawberry.mutation(
        permission_classes=[Allowed], description="Edit, activate or archive a product (HQ)."
    )
    async def update_product(self, info: Info, input: UpdateProductInput) -> ProductPayload:
        async def use_case(work: Work) -> Result:
            changes = _non_null(given(input, _PRODUCT_FIELDS))
            if input.category_id is not strawberry.UNSET:
                if input.category_id is None:
                    raise DomainError(ErrorCode.BAD_USER_INPUT, "a product needs a category", "categoryId")
                changes["category_id"] = decode_id(input.category_id, "Category", "categoryId")
            product_id = decode_id(input.product_id, "Product", "productId")
            return await catalog_admin.update_product(work, product_id, changes)

        result, errors = await run_admin(info, "updateProduct", input, use_case)
        return ProductPayload(product=await _product(info, result), user_errors=errors)

    @strawberry.mutation(permission_classes=[Allowed], description="Add a SKU to a product (HQ).")
    async def create_sku(self, info: Info, input: CreateSkuInput) -> SkuPayload:
        async def use_case(work: Work) -> Result:
            product_id = decode_id(input.product_id, "Product", "productId")
            return await catalog_admin.create_sku(work, product_id, given(input, _SKU_FIELDS))

        result, errors = await run_admin(info, "createSku", input, use_case)
        return SkuPayload(sku=await _sku(info, result), user_errors=errors)

    @strawberry.mutation(permission_classes=[Allowed], description="Change a SKU's details or HQ price (HQ).")
    async def update_sku(self, info: Info, input: UpdateSkuInput) -> SkuPayload:
        async def use_case(work: Work) -> Result:
            changes = _non_null(given(input, _SKU_FIELDS))
            return await catalog_admin.update_sku(work, decode_id(input.sku_id, "Sku", "skuId"), changes)

        result, errors = await run_admin(info, "updateSku", input, use_case)
        return SkuPayload(sku=await _sku(info, result), user_errors=errors)
