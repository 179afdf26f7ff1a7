"""The 操作日志: writing entries inside a use case's transaction, and the scoped list of them.

Use cases describe a change as {field: [before, after]} with `changes_between`; `record` adds one
entry to the unit of work and `record_many` bulk-inserts many (a 5,000-row sync writes its log in
a handful of statements, not 5,000).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, insert, select, true

from models.action_log import ActionLog, LoggedAction, LoggedEntity
from models.enums import Role
from models.principals import Principal
from services.commands import Work
from services.db import SessionFactory
from services.pagination import Page, PageRequest, Sort, SortKey, paginate
from services.scoping import require_signed_in

LOGS_NEWEST_FIRST = Sort(
    "CREATED_AT",
    (SortKey(ActionLog.created_at, True, datetime), SortKey(ActionLog.id, True)),
    lambda a: (a.created_at, a.id),
)


def plain(value: Any) -> Any:
    """A JSON-able form of a column value (enums by value, datetimes as ISO strings)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def changes_between(row: Any, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{attribute: [current, new]} for every attribute whose value would change."""
    return {
        name: [plain(getattr(row, name)), plain(new)]
        for name, new in values.items()
        if getattr(row, name) != new
    }


def created(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {name: [None, plain(value)] for name, value in values.items() if value is not None}


def entry(
    work: Work,
    entity: LoggedEntity,
    entity_id: int,
    action: LoggedAction,
    changes: Mapping[str, Any],
    store_id: int | None = None,
) -> dict[str, Any]:
    return {
        "actor_type": work.actor.type,
        "actor_id": work.actor.id,
        "entity_type": entity,
        "entity_id": entity_id,
        "store_id": store_id,
        "action": action,
        "changes": dict(changes),
        "created_at": work.now,
    }


def record(
    work: Work,
    entity: LoggedEntity,
    entity_id: int,
    action: LoggedAction,
    changes: Mapping[str, Any],
    store_id: int | None = None,
) -> None:
    work.session.add(ActionLog(**entry(work, entity, entity_id, action, changes, store_id)))


async def record_many(work: Work, entries: Sequence[dict[str, Any]]) -> None:
    """One bulk INSERT (executemany) for many entries made with `entry`."""
    if entries:
        await work.session.execute(insert(ActionLog), list(entries))


def log_visibility(principal: Principal) -> ColumnElement[bool]:
    """HQ sees every entry; store staff the entries of their stores (not HQ's catalogue edits)."""
    role = require_signed_in(principal)
    if role is Role.HQ_ADMIN:
        return true()
    if role is Role.STORE_STAFF and principal.store_ids:
        return ActionLog.store_id.in_(sorted(principal.store_ids))
    return false()


@dataclass(frozen=True, slots=True)
class LogCriteria:
    entity_type: LoggedEntity | None = None
    entity_id: int | None = None
    store_ids: tuple[int, ...] = ()
    actor_id: str | None = None
    actions: tuple[LoggedAction, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None
    """Half-open: [created_from, created_to)."""


async def list_action_logs(
    sessions: SessionFactory, principal: Principal, c: LogCriteria, page: PageRequest
) -> Page[ActionLog]:
    parts: list[ColumnElement[bool]] = [log_visibility(principal)]
    if c.entity_type is not None:
        parts.append(ActionLog.entity_type == c.entity_type)
    if c.entity_id is not None:
        parts.append(ActionLog.entity_id == c.entity_id)
    if c.store_ids:
        parts.append(ActionLog.store_id.in_(c.store_ids))
    if c.actor_id:
        parts.append(ActionLog.actor_id == c.actor_id)
    if c.actions:
        parts.append(ActionLog.action.in_(c.actions))
    if c.created_from is not None:
        parts.append(ActionLog.created_at >= c.created_from)
    if c.created_to is not None:
        parts.append(ActionLog.created_at < c.created_to)
    return await paginate(sessions, select(ActionLog).where(and_(*parts)), LOGS_NEWEST_FIRST, page)
