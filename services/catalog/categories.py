"""Category administration (店内类目): two levels, ordered, moved, deleted only when empty.

Level 1 groups level 2; products hang off level 2. Names repeat nowhere among siblings (the
database's unique constraint and partial index back the check). HQ owns the tree.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from models.action_log import LoggedAction, LoggedEntity
from models.catalog.rows import Category, Product
from models.catalog.rules import check_name
from models.errors import DomainError, ErrorCode
from services import action_log
from services.commands import Result, Work
from services.staff import require_hq


async def _category(work: Work, category_id: int, field: str, lock: bool = False) -> Category:
    stmt = select(Category).where(Category.id == category_id)
    category = await work.session.scalar(stmt.with_for_update() if lock else stmt)
    if category is None:
        raise DomainError(ErrorCode.NOT_FOUND, "category not found", field)
    return category


async def _parent(work: Work, parent_id: int | None) -> Category | None:
    if parent_id is None:
        return None
    parent = await _category(work, parent_id, "parentId")
    if parent.level != 1:
        raise DomainError(ErrorCode.INVALID_CATEGORY_LEVEL, "categories have two levels only", "parentId")
    return parent


async def _check_unique(work: Work, parent_id: int | None, name: str, except_id: int | None = None) -> None:
    parent = Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id
    stmt = select(Category.id).where(parent, Category.name == name)
    if except_id is not None:
        stmt = stmt.where(Category.id != except_id)
    if await work.session.scalar(stmt) is not None:
        raise DomainError(ErrorCode.DUPLICATE_NAME, f"{name} already exists at this level", "name")


async def _next_position(work: Work, parent_id: int | None) -> int:
    parent = Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id
    highest = await work.session.scalar(select(func.max(Category.sort_order)).where(parent))
    return (highest or 0) + 1


async def _flush(work: Work, name: str) -> None:
    """Flush under a savepoint: a concurrent twin surfaces as DUPLICATE_NAME, not a 500."""
    try:
        async with work.session.begin_nested():
            await work.session.flush()
    except IntegrityError:
        raise DomainError(ErrorCode.DUPLICATE_NAME, f"{name} already exists at this level", "name") from None


async def create_category(work: Work, name: str, parent_id: int | None, sort_order: int | None) -> Result:
    require_hq(work.principal)
    name = check_name(name, "category", "name")
    parent = await _parent(work, parent_id)
    await _check_unique(work, parent_id, name)
    category = Category(
        name=name,
        parent_id=parent.id if parent else None,
        level=2 if parent else 1,
        sort_order=sort_order if sort_order is not None else await _next_position(work, parent_id),
        created_at=work.now,
    )
    work.session.add(category)
    await _flush(work, name)
    values = {"name": name, "parent_id": category.parent_id, "sort_order": category.sort_order}
    action_log.record(
        work, LoggedEntity.CATEGORY, category.id, LoggedAction.CREATE, action_log.created(values)
    )
    return {"categoryId": category.id}


async def update_category(work: Work, category_id: int, name: str | None, sort_order: int | None) -> Result:
    """Rename and/or reposition among siblings."""
    require_hq(work.principal)
    category = await _category(work, category_id, "categoryId", lock=True)
    values: dict[str, object] = {}
    if name is not None:
        new_name = check_name(name, "category", "name")
        await _check_unique(work, category.parent_id, new_name, category.id)
        values["name"] = new_name
    if sort_order is not None:
        values["sort_order"] = sort_order
    diff = action_log.changes_between(category, values)
    for key in diff:
        setattr(category, key, values[key])
    await _flush(work, category.name)
    if diff:
        action_log.record(work, LoggedEntity.CATEGORY, category.id, LoggedAction.UPDATE, diff)
    return {"categoryId": category.id}


async def move_category(work: Work, category_id: int, parent_id: int | None) -> Result:
    """Move under another top-level category, or up to the top level (appended at the end).

    Two levels stay two levels: a top-level category with children cannot go under another,
    and one holding products cannot become top level (products hang off level 2).
    """
    require_hq(work.principal)
    category = await _category(work, category_id, "categoryId", lock=True)
    if parent_id == category.id:
        raise DomainError(ErrorCode.INVALID_CATEGORY_LEVEL, "a category cannot hold itself", "parentId")
    parent = await _parent(work, parent_id)
    if category.parent_id == parent_id:
        return {"categoryId": category.id}
    if parent is not None and await _has_children(work, category.id):
        raise DomainError(
            ErrorCode.INVALID_CATEGORY_LEVEL, "move its sub-categories first (two levels only)", "parentId"
        )
    if parent is None and await _has_products(work, category.id):
        raise DomainError(
            ErrorCode.INVALID_CATEGORY_LEVEL, "a top-level category holds no products", "parentId"
        )
    await _check_unique(work, parent_id, category.name, category.id)
    values = {
        "parent_id": parent_id,
        "level": 2 if parent else 1,
        "sort_order": await _next_position(work, parent_id),
    }
    diff = action_log.changes_between(category, values)
    for key, value in values.items():
        setattr(category, key, value)
    await _flush(work, category.name)
    action_log.record(work, LoggedEntity.CATEGORY, category.id, LoggedAction.MOVE, diff)
    return {"categoryId": category.id}


async def reorder_categories(work: Work, parent_id: int | None, ordered_ids: list[int]) -> Result:
    """Set the display order of one level's categories: `ordered_ids` lists exactly all of them."""
    require_hq(work.principal)
    await _parent(work, parent_id)
    level = Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id
    siblings = {c.id: c for c in (await work.session.scalars(select(Category).where(level))).all()}
    if sorted(ordered_ids) != sorted(siblings):
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "list every category of this level exactly once", "categoryIds"
        )
    for position, category_id in enumerate(ordered_ids, start=1):
        category = siblings[category_id]
        if category.sort_order != position:
            action_log.record(
                work,
                LoggedEntity.CATEGORY,
                category.id,
                LoggedAction.UPDATE,
                {"sort_order": [category.sort_order, position]},
            )
            category.sort_order = position
    return {"categoryId": parent_id}


async def _has_children(work: Work, category_id: int) -> bool:
    stmt = select(Category.id).where(Category.parent_id == category_id).limit(1)
    return await work.session.scalar(stmt) is not None


async def _has_products(work: Work, category_id: int) -> bool:
    stmt = select(Product.id).where(Product.category_id == category_id).limit(1)
    return await work.session.scalar(stmt) is not None


async def delete_category(work: Work, category_id: int) -> Result:
    """Only an empty category goes: no sub-categories and no products (archived ones included,
    since their order lines still point at them)."""
    require_hq(work.principal)
    category = await _category(work, category_id, "categoryId", lock=True)
    if await _has_children(work, category.id):
        raise DomainError(ErrorCode.CATEGORY_NOT_EMPTY, "it still has sub-categories", "categoryId")
    if await _has_products(work, category.id):
        raise DomainError(ErrorCode.CATEGORY_NOT_EMPTY, "it still holds products", "categoryId")
    action_log.record(
        work,
        LoggedEntity.CATEGORY,
        category.id,
        LoggedAction.DELETE,
        {"name": [category.name, None], "parent_id": [category.parent_id, None]},
    )
    await work.session.delete(category)
    return {"categoryId": None, "deletedCategoryId": category_id}
