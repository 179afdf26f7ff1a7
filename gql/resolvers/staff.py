"""Root fields of staff accounts (账号权限) and the action log (操作日志)."""

from __future__ import annotations

from datetime import tzinfo

import strawberry

from gql.admin_mutations import run_admin
from gql.context import Info
from gql.gate.permissions import Allowed
from gql.ids import decode_id, parse_global_id
from gql.schema.common import Connection, UserError
from gql.schema.staff import (
    ActionLog,
    ActionLogFilter,
    CreateStaffAccountInput,
    StaffAccount,
    StaffAccountFilter,
    StaffAccountPayload,
    UpdateStaffAccountInput,
)
from gql.time_input import half_open
from models.action_log import LoggedEntity
from models.errors import DomainError, ErrorCode
from models.stores.rows import StaffAccount as StaffAccountRow
from services import action_log, staff
from services.commands import Result, Work
from services.pagination import PageRequest

_ENTITY_BY_NODE = {
    "Store": LoggedEntity.STORE,
    "StaffAccount": LoggedEntity.STAFF_ACCOUNT,
    "Category": LoggedEntity.CATEGORY,
    "Product": LoggedEntity.PRODUCT,
    "Sku": LoggedEntity.SKU,
    "StoreSku": LoggedEntity.STORE_SKU,
    "Review": LoggedEntity.REVIEW,
}


def _log_criteria(f: ActionLogFilter, zone: tzinfo) -> action_log.LogCriteria:
    entity_type, entity_id = f.entity_type, None
    created_from, created_to = half_open(f.created_from, f.created_to, zone, "filter.createdFrom")
    if f.entity_id is not None:
        gid = parse_global_id(f.entity_id, "filter.entityId")
        if gid.type_name not in _ENTITY_BY_NODE:
            raise DomainError(ErrorCode.BAD_USER_INPUT, f"{gid.type_name} is not logged", "filter.entityId")
        entity_type = _ENTITY_BY_NODE[gid.type_name]
        entity_id = decode_id(f.entity_id, gid.type_name, "filter.entityId")
    return action_log.LogCriteria(
        entity_type=entity_type,
        entity_id=entity_id,
        store_ids=(decode_id(f.store_id, "Store", "filter.storeId"),) if f.store_id else (),
        actor_id=f.actor_id,
        actions=tuple(f.action or ()),
        created_from=created_from,
        created_to=created_to,
    )


async def _payload(info: Info, result: Result | None, errors: list[UserError]) -> StaffAccountPayload:
    if result is None:
        return StaffAccountPayload(staff_account=None, user_errors=errors)
    async with info.context.sessions() as session:
        row = await session.get(StaffAccountRow, int(result["staffAccountId"]))
    return StaffAccountPayload(staff_account=StaffAccount.from_row(row) if row else None, user_errors=[])


def _store_ids(values: list[strawberry.ID]) -> frozenset[int]:
    return frozenset(decode_id(s, "Store", f"storeIds.{i}") for i, s in enumerate(values))


@strawberry.type
class StaffQueries:
    @strawberry.field(
        permission_classes=[Allowed],
        description="Accounts by username: HQ sees all, store staff the accounts working in their stores.",
    )
    async def staff_accounts(
        self,
        info: Info,
        filter: StaffAccountFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[StaffAccount]:
        f = filter or StaffAccountFilter()
        criteria = staff.StaffCriteria(
            roles=tuple(f.role or ()),
            enabled=f.enabled,
            store_id=decode_id(f.store_id, "Store", "filter.storeId") if f.store_id else None,
            search=f.search,
        )
        page = await staff.list_staff(
            info.context.sessions, info.context.principal, criteria, PageRequest(first, after, last, before)
        )
        return Connection[StaffAccount].of(page, StaffAccount.from_row)

    @strawberry.field(
        permission_classes=[Allowed],
        description="The 操作日志, newest first: HQ sees everything, store staff their stores' entries.",
    )
    async def action_logs(
        self,
        info: Info,
        filter: ActionLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ActionLog]:
        criteria = _log_criteria(filter or ActionLogFilter(), info.context.deps.rules.zone)
        page = await action_log.list_action_logs(
            info.context.sessions, info.context.principal, criteria, PageRequest(first, after, last, before)
        )
        return Connection[ActionLog].of(page, ActionLog.from_row)


@strawberry.type
class StaffMutations:
    @strawberry.mutation(permission_classes=[Allowed], description="Create a back-office account.")
    async def create_staff_account(self, info: Info, input: CreateStaffAccountInput) -> StaffAccountPayload:
        async def use_case(work: Work) -> Result:
            new = staff.NewStaff(
                username=input.username,
                display_name=input.display_name,
                role=input.role,
                store_ids=_store_ids(input.store_ids),
                parent_id=decode_id(input.parent_id, "StaffAccount", "parentId") if input.parent_id else None,
                phone=input.phone,
                enabled=input.enabled,
            )
            return await staff.create_staff(work, new)

        return await _payload(info, *await run_admin(info, "createStaffAccount", input, use_case))

    @strawberry.mutation(
        permission_classes=[Allowed],
        description="Change an account: name, phone, role, stores, enable/disable.",
    )
    async def update_staff_account(self, info: Info, input: UpdateStaffAccountInput) -> StaffAccountPayload:
        async def use_case(work: Work) -> Result:
            changes = staff.StaffChanges(
                display_name=input.display_name,
                phone=input.phone,
                role=input.role,
                store_ids=None if input.store_ids is None else _store_ids(input.store_ids),
                enabled=input.enabled,
            )
            staff_id = decode_id(input.staff_account_id, "StaffAccount", "staffAccountId")
            return await staff.update_staff(work, staff_id, changes)

        return await _payload(info, *await run_admin(info, "updateStaffAccount", input, use_case))
