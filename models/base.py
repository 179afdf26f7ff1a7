"""Declarative base and the column types every table shares.

The types here exist so that SQLite and PostgreSQL behave the same from Python's side:
timestamps always come back as aware UTC datetimes, enums are stored as checked strings
(no native PostgreSQL ENUM types to migrate), JSON is JSONB on PostgreSQL, and ids are
64-bit on PostgreSQL but SQLite's rowid alias.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Enum, Integer, MetaData, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# 64-bit keys on PostgreSQL; on SQLite only INTEGER PRIMARY KEY aliases the rowid (and autoincrements).
IdType = BigInteger().with_variant(Integer(), "sqlite")

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out.

    PostgreSQL stores `timestamptz`; SQLite stores a naive UTC ISO string that sorts correctly.
    Naive datetimes are refused on the way in: a missing zone is a bug, not a default.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use an aware (UTC) datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


DIALECT_ONLY_INDEXES = frozenset(
    {
        "ix_orders_order_no_pattern",
        "ix_orders_consignee_grams",
        "ix_orders_paid_at_facts",
        "ix_orders_created_at_facts",
        "ix_order_lines_order_facts",
        "ix_order_lines_created_facts",
        "ix_order_lines_paid_facts",
        "ix_metrics_category_line_hours_totals",
        "ix_order_consignee_names_grams",
        "ix_orders_consignee_status",
        "ix_order_lines_name_status",
        "ix_metrics_product_sales_days_store_covering",
        "ix_metrics_product_view_days_store_covering",
    }
)
"""Indexes a migration creates on one dialect only (operator classes, GIN, INCLUDE columns); not
declared on the models."""


def include_in_comparison(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's include_object hook: leave the dialect-only indexes out of model/database comparisons."""
    return not (type_ == "index" and name in DIALECT_ONLY_INDEXES)


def utcnow() -> datetime:

    return datetime.now(UTC)


def enum_type(enum_cls: type[enum.Enum], name: str | None = None) -> Enum:
    """A VARCHAR with a CHECK constraint listing the enum's values (stored by value).

    `name` names the CHECK constraint; give one when a table has two columns of the same enum.
    """
    return Enum(
        enum_cls,
        name=name or _snake(enum_cls.__name__),
        native_enum=False,
        create_constraint=True,
        length=max(len(str(m.value)) for m in enum_cls) + 8,
        values_callable=lambda cls: [str(m.value) for m in cls],
        validate_strings=True,
    )


def _snake(name: str) -> str:
    out = [name[0].lower()]
    for ch in name[1:]:
        if ch.isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def id_pk() -> Mapped[int]:
    return mapped_column(IdType, primary_key=True, autoincrement=True)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(UtcDateTime(), default=utcnow, nullable=False)
