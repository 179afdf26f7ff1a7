"""Watch lists (关注订单): the orders each back-office user keeps an eye on.

A watch belongs to one principal, keyed like idempotency keys and export jobs by `Principal.key`
("STORE_STAFF:<subject>"), so two users never share one and a role change starts a new list. At
most one row per (watcher, order): watching twice is one watch. A deleted order takes its watches.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdType, created_at_column


class OrderWatch(Base):
    __tablename__ = "order_watches"
    __table_args__ = (Index("ix_order_watches_order_id", "order_id"),)

    watcher_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    """`Principal.key` of the watcher; the primary key leads with it, for `watched:true`."""
    order_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = created_at_column()
