"""The back-office action log (操作日志): who changed what, when, from which value to which.

Written in the same transaction as the change it describes, so the log never claims a change
that rolled back nor misses one that committed. `store_id` is the store the change belongs to
(a listing, a store setting): store staff see their stores' entries, HQ sees everything.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, JsonType, created_at_column, enum_type, id_pk
from models.enums import ActorType


class LoggedEntity(StrEnum):
    STORE = "STORE"
    STAFF_ACCOUNT = "STAFF_ACCOUNT"
    CATEGORY = "CATEGORY"
    PRODUCT = "PRODUCT"
    SKU = "SKU"
    STORE_SKU = "STORE_SKU"
    REVIEW = "REVIEW"


class LoggedAction(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    MOVE = "MOVE"
    DELETE = "DELETE"
    SHELF_ON = "SHELF_ON"
    SHELF_OFF = "SHELF_OFF"
    SYNC = "SYNC"
    """A row of a batch price/stock sync (价格/库存同步)."""
    REPLY = "REPLY"
    HIDE = "HIDE"
    SHOW = "SHOW"


class ActionLog(Base):
    __tablename__ = "action_logs"
    __table_args__ = (
        Index("ix_action_logs_entity", "entity_type", "entity_id", "created_at"),
        Index("ix_action_logs_store_created", "store_id", "created_at"),
        Index("ix_action_logs_created_at", "created_at"),
        Index("ix_action_logs_actor", "actor_id", "created_at"),
    )

    id: Mapped[int] = id_pk()
    actor_type: Mapped[ActorType] = mapped_column(enum_type(ActorType))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    """The token subject (a staff username for staff, `admin` etc. for HQ)."""
    entity_type: Mapped[LoggedEntity] = mapped_column(enum_type(LoggedEntity))
    entity_id: Mapped[int] = mapped_column(IdType)
    store_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("stores.id"))
    action: Mapped[LoggedAction] = mapped_column(enum_type(LoggedAction))
    changes: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    """{field: [before, after]} of what changed (creations: [null, value])."""
    created_at: Mapped[datetime] = created_at_column()
