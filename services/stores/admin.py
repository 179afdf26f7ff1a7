"""Store administration (门店管理): HQ opens and configures stores, staff run their own.

Settings arrive as {attribute: value} of only what the caller gave; `models/stores/rules.py`
validates them and says which ones store staff may touch. Every change is written to the
action log with its before and after values, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models.action_log import LoggedAction, LoggedEntity
from models.enums import Role
from models.errors import DomainError, ErrorCode
from models.stores.rows import Store
from models.stores.rules import (
    FIELD_PATHS,
    REQUIRED_ON_CREATE,
    check_staff_may_change,
    normalize_store_changes,
)
from services import action_log
from services.commands import Result, Work
from services.staff import require_hq, require_store_access


async def _code_taken(work: Work, code: str, except_id: int | None = None) -> bool:
    stmt = select(Store.id).where(Store.code == code)
    if except_id is not None:
        stmt = stmt.where(Store.id != except_id)
    return await work.session.scalar(stmt) is not None


async def create_store(work: Work, settings: Mapping[str, Any]) -> Result:
    """Open a store (新增门店). Its code is its stable business key (SH001) and cannot repeat."""
    require_hq(work.principal)
    missing = sorted(REQUIRED_ON_CREATE - settings.keys())
    if missing:
        path = FIELD_PATHS[missing[0]]
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"{path} is required", path)
    values = normalize_store_changes(settings)
    if await _code_taken(work, values["code"]):
        raise DomainError(ErrorCode.DUPLICATE_CODE, f"store code {values['code']} is taken", "code")
    store = Store(**values, created_at=work.now, updated_at=work.now)
    try:
        async with work.session.begin_nested():
            work.session.add(store)
            await work.session.flush()
    except IntegrityError:  # a concurrent create took the code between our check and insert
        raise DomainError(ErrorCode.DUPLICATE_CODE, f"store code {values['code']} is taken", "code") from None
    action_log.record(
        work, LoggedEntity.STORE, store.id, LoggedAction.CREATE, action_log.created(values), store.id
    )
    return {"storeId": store.id}


async def update_store(work: Work, store_id: int, changes: Mapping[str, Any]) -> Result:
    """Change store settings; store staff only their own stores' day-to-day settings."""
    require_store_access(work.principal, store_id)
    if work.principal.role is Role.STORE_STAFF:
        check_staff_may_change(changes.keys(), changes)
    values = normalize_store_changes(changes)
    store = await work.session.scalar(select(Store).where(Store.id == store_id).with_for_update())
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "store not found", "storeId")
    if "code" in values and await _code_taken(work, values["code"], store.id):
        raise DomainError(ErrorCode.DUPLICATE_CODE, f"store code {values['code']} is taken", "code")
    diff = action_log.changes_between(store, values)
    if not diff:
        return {"storeId": store.id}
    for name in diff:
        setattr(store, name, values[name])
    store.updated_at = work.now
    action_log.record(work, LoggedEntity.STORE, store.id, LoggedAction.UPDATE, diff, store.id)
    return {"storeId": store.id}
