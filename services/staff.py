"""Staff accounts (账号权限) and what a back-office caller may act on.

`require_hq` and `require_store_access` are the one place saying which stores a merchant may
change; every back-office use case calls them before writing. Staff accounts themselves are
configured by HQ, or by a store's main account for its own sub-accounts (`models/staff_rules.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, false, func, or_, select, true

from models.action_log import LoggedAction, LoggedEntity
from models.enums import Role, StaffRole
from models.errors import DomainError, ErrorCode
from models.principals import Principal
from models.staff_rules import (
    HQ_MANAGER,
    Manager,
    check_display_name,
    check_may_manage,
    check_scope,
    check_sub_account,
    check_username,
)
from models.stores.rows import StaffAccount, StaffStore, Store
from services import action_log
from services.commands import Result, Work
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import require_signed_in

MOBILE = re.compile(r"^1[3-9]\d{9}$")
STAFF_BY_USERNAME = Sort(
    "USERNAME",
    (SortKey(StaffAccount.username, False, str), SortKey(StaffAccount.id, False)),
    lambda a: (a.username, a.id),
)


def require_hq(principal: Principal) -> None:
    if principal.role is not Role.HQ_ADMIN:
        raise DomainError(ErrorCode.FORBIDDEN, "only HQ may do this")


def require_store_access(principal: Principal, store_id: int, field: str = "storeId") -> None:
    """HQ acts on every store, store staff on their own; nobody else changes stores."""
    if principal.role is Role.HQ_ADMIN:
        return
    if principal.role is Role.STORE_STAFF and store_id in principal.store_ids:
        return
    raise DomainError(ErrorCode.FORBIDDEN, "this store is outside your scope", field)


def staff_visibility(principal: Principal) -> ColumnElement[bool]:
    """HQ sees every account; store staff see the accounts that work in one of their stores."""
    role = require_signed_in(principal)
    if role is Role.HQ_ADMIN:
        return true()
    if role is Role.STORE_STAFF and principal.store_ids:
        return exists(
            select(StaffStore.staff_id).where(
                StaffStore.staff_id == StaffAccount.id, StaffStore.store_id.in_(sorted(principal.store_ids))
            )
        )
    return false()


@dataclass(frozen=True, slots=True)
class StaffCriteria:
    roles: tuple[StaffRole, ...] = ()
    enabled: bool | None = None
    store_id: int | None = None
    search: str | None = None
    """Username prefix or display name contains."""


async def list_staff(
    sessions: SessionFactory, principal: Principal, c: StaffCriteria, page: PageRequest
) -> Page[StaffAccount]:
    parts = [staff_visibility(principal)]
    if c.roles:
        parts.append(StaffAccount.role.in_(c.roles))
    if c.enabled is not None:
        parts.append(StaffAccount.enabled.is_(c.enabled))
    if c.store_id is not None:
        parts.append(
            exists(
                select(StaffStore.staff_id).where(
                    StaffStore.staff_id == StaffAccount.id, StaffStore.store_id == c.store_id
                )
            )
        )
    if c.search:
        parts.append(
            or_(
                StaffAccount.username.startswith(c.search.lower(), autoescape=True),
                StaffAccount.display_name.contains(c.search, autoescape=True),
            )
        )
    return await paginate(sessions, select(StaffAccount).where(and_(*parts)), STAFF_BY_USERNAME, page)


async def _stores_of(work: Work, staff_id: int) -> set[int]:
    stmt = select(StaffStore.store_id).where(StaffStore.staff_id == staff_id)
    return set((await work.session.scalars(stmt)).all())


async def _manager(work: Work) -> Manager:
    """HQ, or the caller's own main account (looked up by the token subject)."""
    if work.principal.role is Role.HQ_ADMIN:
        return HQ_MANAGER
    if work.principal.role is Role.STORE_STAFF and work.principal.subject:
        account = await work.session.scalar(
            select(StaffAccount).where(StaffAccount.username == work.principal.subject)
        )
        if account is not None and account.enabled and account.parent_id is None:
            stores = await _stores_of(work, account.id)
            return Manager(account.id, frozenset(stores & work.principal.store_ids))
    raise DomainError(ErrorCode.FORBIDDEN, "only HQ or a store's main account manages accounts")


async def _check_stores_exist(work: Work, store_ids: set[int]) -> None:
    if store_ids:
        found = await work.session.scalar(select(func.count()).where(Store.id.in_(store_ids)))
        if found != len(store_ids):
            raise DomainError(ErrorCode.NOT_FOUND, "a store in storeIds does not exist", "storeIds")


async def _check_parent(work: Work, parent_id: int | None, stores: set[int]) -> None:
    if parent_id is None:
        return
    parent = await work.session.get(StaffAccount, parent_id)
    if parent is None:
        raise DomainError(ErrorCode.NOT_FOUND, "parent account not found", "parentId")
    check_sub_account(parent.role, parent.parent_id, await _stores_of(work, parent.id), stores)


async def _set_stores(work: Work, staff_id: int, stores: set[int]) -> None:
    await work.session.execute(delete(StaffStore).where(StaffStore.staff_id == staff_id))
    work.session.add_all(StaffStore(staff_id=staff_id, store_id=s) for s in sorted(stores))


def _phone(value: str | None) -> str | None:
    if value is not None and value != "" and not MOBILE.match(value):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "an 11-digit mobile number", "phone")
    return value or None


@dataclass(frozen=True, slots=True)
class NewStaff:
    username: str
    display_name: str
    role: StaffRole
    store_ids: frozenset[int] = frozenset()
    parent_id: int | None = None
    phone: str | None = None
    enabled: bool = True


async def create_staff(work: Work, new: NewStaff) -> Result:
    manager = await _manager(work)
    parent_id = new.parent_id if manager.is_hq else manager.main_account_id
    values = {
        "username": check_username(new.username),
        "display_name": check_display_name(new.display_name),
        "phone": _phone(new.phone),
        "role": new.role,
        "parent_id": parent_id,
        "enabled": new.enabled,
    }
    stores = set(new.store_ids)
    check_scope(new.role, stores)
    check_may_manage(manager, role=new.role, parent_id=parent_id, stores=stores)
    await _check_stores_exist(work, stores)
    await _check_parent(work, parent_id, stores)
    if await work.session.scalar(select(StaffAccount.id).where(StaffAccount.username == new.username)):
        raise DomainError(ErrorCode.DUPLICATE_CODE, f"username {new.username} is taken", "username")
    account = StaffAccount(**values, created_at=work.now)
    work.session.add(account)
    await work.session.flush()
    await _set_stores(work, account.id, stores)
    action_log.record(
        work,
        LoggedEntity.STAFF_ACCOUNT,
        account.id,
        LoggedAction.CREATE,
        {**action_log.created(values), "store_ids": [None, sorted(stores)]},
    )
    return {"staffAccountId": account.id}


@dataclass(frozen=True, slots=True)
class StaffChanges:
    """Only the given settings change (None: keep)."""

    display_name: str | None = None
    phone: str | None = None
    role: StaffRole | None = None
    store_ids: frozenset[int] | None = None
    enabled: bool | None = None


async def update_staff(work: Work, staff_id: int, changes: StaffChanges) -> Result:
    manager = await _manager(work)
    account = await work.session.scalar(
        select(StaffAccount).where(StaffAccount.id == staff_id).with_for_update()
    )
    if account is None or not (manager.is_hq or account.parent_id == manager.main_account_id):
        raise DomainError(ErrorCode.NOT_FOUND, "staff account not found", "staffAccountId")
    if changes.role is not None and not manager.is_hq and changes.role is not account.role:
        raise DomainError(ErrorCode.FORBIDDEN, "only HQ changes roles", "role")
    if changes.enabled is False and account.username == work.principal.subject:
        raise DomainError(ErrorCode.FORBIDDEN, "you cannot disable your own account", "enabled")
    current_stores = await _stores_of(work, account.id)
    role = changes.role or account.role
    if role is not StaffRole.STORE_STAFF and role is not account.role:
        await _check_no_hierarchy(work, account)
    stores = set(changes.store_ids) if changes.store_ids is not None else current_stores
    check_scope(role, stores)
    check_may_manage(manager, role=role, parent_id=account.parent_id, stores=stores)
    await _check_stores_exist(work, stores)
    await _check_parent(work, account.parent_id, stores)
    if account.parent_id is None and stores != current_stores:
        await _check_children_within(work, account.id, stores)
    values: dict[str, Any] = {"role": role}
    if changes.display_name is not None:
        values["display_name"] = check_display_name(changes.display_name)
    if changes.phone is not None:
        values["phone"] = _phone(changes.phone)
    if changes.enabled is not None:
        values["enabled"] = changes.enabled
    diff = action_log.changes_between(account, values)
    for name, value in values.items():
        setattr(account, name, value)
    if stores != current_stores:
        diff["store_ids"] = [sorted(current_stores), sorted(stores)]
        await _set_stores(work, account.id, stores)
    if diff:
        action_log.record(work, LoggedEntity.STAFF_ACCOUNT, account.id, LoggedAction.UPDATE, diff)
    return {"staffAccountId": account.id}


async def _check_no_hierarchy(work: Work, account: StaffAccount) -> None:
    """Main and sub-accounts are store staff; only a standalone account changes to another role."""
    child = await work.session.scalar(
        select(StaffAccount.id).where(StaffAccount.parent_id == account.id).limit(1)
    )
    if account.parent_id is not None or child is not None:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "main and sub-accounts of a store stay store staff", "role"
        )


async def _check_children_within(work: Work, main_id: int, stores: set[int]) -> None:
    """A main account keeps every store one of its sub-accounts still works in."""
    stmt = (
        select(StaffStore.store_id)
        .join(StaffAccount, StaffAccount.id == StaffStore.staff_id)
        .where(StaffAccount.parent_id == main_id)
    )
    if stores:
        stmt = stmt.where(StaffStore.store_id.not_in(stores))
    if await work.session.scalar(stmt.limit(1)) is not None:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "a sub-account still works in a store being removed", "storeIds"
        )
