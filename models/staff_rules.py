"""Staff accounts (账号权限): main and sub accounts, roles and store scope. Pure.

The seed: 主副账号 — HQ and store accounts; "高权限可配置低权限" — a higher account configures lower
ones. Here HQ configures every account; a store's main account (主账号: STORE_STAFF without a
parent) configures its own sub-accounts (子账号), within its own stores and never above
STORE_STAFF. A sub-account configures nobody.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass
from typing import Final

from models.enums import StaffRole
from models.errors import DomainError, ErrorCode

USERNAME: Final = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")


def check_username(username: str, field: str = "username") -> str:
    if not USERNAME.match(username):
        raise DomainError(ErrorCode.BAD_USER_INPUT, "a username is 3-64 of a-z, 0-9, '.', '_' and '-'", field)
    return username


def check_display_name(name: str, field: str = "displayName") -> str:
    text = name.strip()
    if not text or len(text) > 64:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "a display name is 1 to 64 characters", field)
    return text


def check_scope(role: StaffRole, store_ids: Set[int], field: str = "storeIds") -> None:
    """Store staff act on at least one store; HQ and analysts see all stores, so list none."""
    if role is StaffRole.STORE_STAFF and not store_ids:
        raise DomainError(ErrorCode.BAD_USER_INPUT, "store staff need at least one store", field)
    if role is not StaffRole.STORE_STAFF and store_ids:
        raise DomainError(ErrorCode.BAD_USER_INPUT, f"{role.value} accounts see every store", field)


@dataclass(frozen=True, slots=True)
class Manager:
    """Who configures accounts: HQ (`main_account_id` None) or a store's main account."""

    main_account_id: int | None
    store_ids: frozenset[int] = frozenset()

    @property
    def is_hq(self) -> bool:
        return self.main_account_id is None


HQ_MANAGER: Final = Manager(None)


def check_sub_account(
    parent_role: StaffRole, parent_parent_id: int | None, parent_stores: Set[int], stores: Set[int]
) -> None:
    """A sub-account hangs off a main store account and stays within its stores."""
    if parent_role is not StaffRole.STORE_STAFF or parent_parent_id is not None:
        raise DomainError(
            ErrorCode.BAD_USER_INPUT, "a sub-account's parent must be a main store account", "parentId"
        )
    if not stores <= parent_stores:
        raise DomainError(
            ErrorCode.FORBIDDEN, "a sub-account's stores must be among its main account's", "storeIds"
        )


def check_may_manage(manager: Manager, *, role: StaffRole, parent_id: int | None, stores: Set[int]) -> None:
    """Whether `manager` may create (or turn an account into) one with this role, parent and scope."""
    if manager.is_hq:
        return
    if role is not StaffRole.STORE_STAFF:
        raise DomainError(ErrorCode.FORBIDDEN, "a main account creates store staff only", "role")
    if parent_id != manager.main_account_id:
        raise DomainError(ErrorCode.FORBIDDEN, "a main account manages its own sub-accounts only", "parentId")
    if not stores <= manager.store_ids:
        raise DomainError(ErrorCode.FORBIDDEN, "only stores of the main account itself", "storeIds")
