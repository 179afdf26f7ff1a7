"""GraphQL types of staff accounts (账号权限) and the action log (操作日志), with their inputs."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gql.context import Info
from gql.ids import encode_id
from gql.schema.common import UserError
from gql.schema.store_admin import IDEMPOTENCY_HELP
from gql.schema.stores import Store
from models.action_log import ActionLog as ActionLogRow
from models.action_log import LoggedAction, LoggedEntity
from models.enums import ActorType, StaffRole
from models.stores.rows import StaffAccount as StaffAccountRow

strawberry.enum(StaffRole, description="Role of a back-office account (the role its tokens carry).")
strawberry.enum(LoggedEntity, description="What an action-log entry is about.")
strawberry.enum(LoggedAction, description="What was done (SYNC: a row of a batch price/stock sync).")

_ENTITY_NODE = {
    LoggedEntity.STORE: "Store",
    LoggedEntity.STAFF_ACCOUNT: "StaffAccount",
    LoggedEntity.CATEGORY: "Category",
    LoggedEntity.PRODUCT: "Product",
    LoggedEntity.SKU: "Sku",
    LoggedEntity.STORE_SKU: "StoreSku",
    LoggedEntity.REVIEW: "Review",
}


@strawberry.type(description="A back-office account: a main account (主账号) or a sub-account (子账号).")
class StaffAccount(relay.Node):
    id: relay.NodeID[int]
    username: str
    display_name: str
    phone: str | None
    role: StaffRole
    enabled: bool = strawberry.field(description="A disabled account may not sign in or act.")
    created_at: datetime
    last_login_at: datetime | None
    _parent_id: strawberry.Private[int | None]

    @strawberry.field(description="True for a store's main account (STORE_STAFF without a parent).")
    def is_main_account(self) -> bool:
        return self.role is StaffRole.STORE_STAFF and self._parent_id is None

    @strawberry.field(description="The main account of a sub-account.")
    async def parent(self, info: Info) -> StaffAccount | None:
        if self._parent_id is None:
            return None
        row = await info.context.loaders.staff_account.load(self._parent_id)
        return StaffAccount.from_row(row) if row else None

    @strawberry.field(description="The stores a STORE_STAFF account acts on (HQ and analysts: all, so none).")
    async def stores(self, info: Info) -> list[Store]:
        links = await info.context.loaders.staff_stores.load(self.id)
        rows = await info.context.loaders.store.load_many([link.store_id for link in links])
        return [Store.from_row(r) for r in rows if r is not None]

    @classmethod
    def from_row(cls, row: StaffAccountRow) -> StaffAccount:
        return cls(
            id=row.id,
            username=row.username,
            display_name=row.display_name,
            phone=row.phone,
            role=row.role,
            enabled=row.enabled,
            created_at=row.created_at,
            last_login_at=row.last_login_at,
            _parent_id=row.parent_id,
        )


@strawberry.type(description="One entry of the 操作日志: who changed what, from which value to which.")
class ActionLog(relay.Node):
    id: relay.NodeID[int]
    actor_type: ActorType
    actor_id: str | None = strawberry.field(description="The acting account's username (token subject).")
    entity_type: LoggedEntity
    entity_id: strawberry.ID = strawberry.field(description="Global id of what was changed.")
    action: LoggedAction
    changes: JSON = strawberry.field(description='{field: [before, after]}, e.g. {"stock": [10, 0]}.')
    created_at: datetime
    _store_id: strawberry.Private[int | None]

    @strawberry.field(description="The store the change belongs to (null for catalogue and accounts).")
    async def store(self, info: Info) -> Store | None:
        if self._store_id is None:
            return None
        row = await info.context.loaders.store.load(self._store_id)
        return Store.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: ActionLogRow) -> ActionLog:
        return cls(
            id=row.id,
            actor_type=row.actor_type,
            actor_id=row.actor_id,
            entity_type=row.entity_type,
            entity_id=strawberry.ID(encode_id(_ENTITY_NODE[row.entity_type], row.entity_id)),
            action=row.action,
            changes=JSON(row.changes),
            created_at=row.created_at,
            _store_id=row.store_id,
        )


@strawberry.input
class StaffAccountFilter:
    role: list[StaffRole] | None = None
    enabled: bool | None = None
    store_id: strawberry.ID | None = None
    search: str | None = strawberry.field(
        default=None, description="Username prefix or display name contains."
    )


@strawberry.input(description="Narrow the action log; ranges are half-open [from, to).")
class ActionLogFilter:
    entity_id: strawberry.ID | None = strawberry.field(
        default=None, description="Any global id of a logged entity (store, product, SKU, listing, ...)."
    )
    entity_type: LoggedEntity | None = None
    store_id: strawberry.ID | None = None
    actor_id: str | None = None
    action: list[LoggedAction] | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


@strawberry.input(
    description="A new account. HQ creates any; a store's main account creates its own sub-accounts "
    "(STORE_STAFF, within its stores; parentId is then itself)."
)
class CreateStaffAccountInput:
    username: str
    display_name: str
    role: StaffRole
    store_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Main account of a sub-account."
    )
    phone: str | None = None
    enabled: bool = True
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.input(description="Change an account; only the fields given change. enabled: false disables it.")
class UpdateStaffAccountInput:
    staff_account_id: strawberry.ID
    display_name: str | None = None
    phone: str | None = strawberry.field(default=None, description='"" clears it.')
    role: StaffRole | None = None
    store_ids: list[strawberry.ID] | None = None
    enabled: bool | None = None
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_HELP)


@strawberry.type
class StaffAccountPayload:
    staff_account: StaffAccount | None
    user_errors: list[UserError]
